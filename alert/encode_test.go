package alert

import (
	"errors"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func newEnc(t testing.TB, opts EncoderOptions) *Encoder {
	t.Helper()
	e, err := NewEncoder(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The golden lines were checked field by field by hand: the community IDs
// with testdata/communityid.py, age as EVE computes it (48 - 46 = 2 whole
// seconds although the flow lasted 1.68 s), probabilities at 6 significant
// digits, the CET time converted to UTC.
func TestGoldenLines(t *testing.T) {
	alertEv := goldenAlert(t)

	flowEv := Event{
		Time:     time.Date(2026, 11, 23, 3, 0, 5, 0, time.FixedZone("CET", 3600)),
		Type:     TypeFlow,
		FlowID:   1<<53 - 1,
		InIface:  "eth0",
		SrcIP:    netip.MustParseAddr("192.168.0.89"),
		DestIP:   netip.MustParseAddr("192.168.0.1"),
		Proto:    1,
		ICMPType: 8,
		AppProto: "eco_i",
		Flow:     Flow{PktsToServer: 1, BytesToServer: 8, State: StateNew, Reason: ReasonTimeout},
		KDD:      KDD{Flag: "SF"},
		Source:   Source{File: "a.pcap", FirstPacket: 7, LastPacket: 7, LastFile: "b.pcap"},
	}
	flowEv.SetCommunityID(0)

	oddEv := Event{
		Time:   time.Unix(0, 1),
		Type:   TypeAlert,
		SrcIP:  netip.MustParseAddr("2001:db8::1"),
		DestIP: netip.MustParseAddr("2001:db8::2"),
		Proto:  253,
		Alert: Alert{
			Signature:     mustSig(t, "bot-iot", "Theft"),
			Score:         math.NaN(),
			Probabilities: []ClassProb{{"Normal", -0.5}, {"Theft", 1.5e-7}},
			Family:        "bot-iot",
		},
	}

	cases := []struct {
		name    string
		opts    EncoderOptions
		ev      Event
		want    string
		clamped uint64
	}{
		{
			name: "tcp alert with features",
			opts: EncoderOptions{FeatureNames: []string{"duration", "protocol_type"}},
			ev:   alertEv,
			want: `{"timestamp":"2026-11-23T02:59:48.584655123Z","flow_id":12345,"event_type":"alert","vlan":[100,200],` +
				`"src_ip":"10.0.0.1","src_port":1234,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP",` +
				`"community_id":"1:LzRJKgjvUJlC/VQLtISlfACcEzA=",` +
				`"alert":{"action":"allowed","gid":1,"signature_id":1700101,"rev":1,"signature":"cnids NSL-KDD DoS",` +
				`"category":"Attempted Denial of Service","severity":1,"class":"DoS","score":0.987654,` +
				`"probabilities":{"normal":0.0123457,"DoS":0.98},"model":"cnn-1","family":"nsl-kdd"},` +
				`"app_proto":"http",` +
				`"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":100,"bytes_toclient":2000,` +
				`"start":"2026-11-23T02:59:46.900000000Z","end":"2026-11-23T02:59:48.584655123Z","age":2,` +
				`"state":"closed","reason":"closed"},` +
				`"kdd":{"flag":"RSTRH","features":{"duration":2,"protocol_type":"tcp"}},` +
				`"source":{"file":"a.pcap","first_packet":10,"last_packet":20}}` + "\n",
		},
		{
			name: "tcp alert without features",
			ev:   alertEv,
			want: `{"timestamp":"2026-11-23T02:59:48.584655123Z","flow_id":12345,"event_type":"alert","vlan":[100,200],` +
				`"src_ip":"10.0.0.1","src_port":1234,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP",` +
				`"community_id":"1:LzRJKgjvUJlC/VQLtISlfACcEzA=",` +
				`"alert":{"action":"allowed","gid":1,"signature_id":1700101,"rev":1,"signature":"cnids NSL-KDD DoS",` +
				`"category":"Attempted Denial of Service","severity":1,"class":"DoS","score":0.987654,` +
				`"probabilities":{"normal":0.0123457,"DoS":0.98},"model":"cnn-1","family":"nsl-kdd"},` +
				`"app_proto":"http",` +
				`"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":100,"bytes_toclient":2000,` +
				`"start":"2026-11-23T02:59:46.900000000Z","end":"2026-11-23T02:59:48.584655123Z","age":2,` +
				`"state":"closed","reason":"closed"},` +
				`"kdd":{"flag":"RSTRH"},` +
				`"source":{"file":"a.pcap","first_packet":10,"last_packet":20}}` + "\n",
		},
		{
			name: "icmp flow from a CET timestamp",
			opts: EncoderOptions{Host: "sensor-1"},
			ev:   flowEv,
			want: `{"timestamp":"2026-11-23T02:00:05.000000000Z","host":"sensor-1","flow_id":9007199254740991,` +
				`"in_iface":"eth0","event_type":"flow","src_ip":"192.168.0.89","icmp_type":8,"dest_ip":"192.168.0.1",` +
				`"icmp_code":0,"proto":"ICMP","community_id":"1:X0snYXpgwiv9TZtqg64sgzUn6Dk=","app_proto":"eco_i",` +
				`"flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":8,"bytes_toclient":0,` +
				`"end":"2026-11-23T02:00:05.000000000Z","state":"new","reason":"timeout"},` +
				`"kdd":{"flag":"SF"},` +
				`"source":{"file":"a.pcap","first_packet":7,"last_packet":7,"last_file":"b.pcap"}}` + "\n",
		},
		{
			name: "portless protocol, clamped numbers",
			ev:   oddEv,
			want: `{"timestamp":"1970-01-01T00:00:00.000000001Z","flow_id":0,"event_type":"alert",` +
				`"src_ip":"2001:db8::1","dest_ip":"2001:db8::2","proto":"253",` +
				`"alert":{"action":"allowed","gid":1,"signature_id":1700204,"rev":1,"signature":"cnids BoT-IoT Theft",` +
				`"category":"Information Leak","severity":1,"class":"Theft","score":0,` +
				`"probabilities":{"Normal":0,"Theft":1.5e-07},"family":"bot-iot"},` +
				`"flow":{"pkts_toserver":0,"pkts_toclient":0,"bytes_toserver":0,"bytes_toclient":0,` +
				`"end":"1970-01-01T00:00:00.000000001Z"}}` + "\n",
			clamped: 2,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := newEnc(t, c.opts)
			got, err := enc.AppendLine([]byte("prefix:"), &c.ev)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(got), "prefix:") {
				t.Fatalf("AppendLine did not append: %q", got)
			}
			got = got[len("prefix:"):]
			if string(got) != c.want {
				t.Fatalf("line differs\n got: %s\nwant: %s", got, c.want)
			}
			decodeLine(t, got)
			if enc.Clamped() != c.clamped {
				t.Fatalf("Clamped() = %d, want %d", enc.Clamped(), c.clamped)
			}
			// The same event again gives the same bytes (reused buffers).
			again, err := enc.AppendLine(nil, &c.ev)
			if err != nil || string(again) != c.want {
				t.Fatalf("second encoding differs: %s (err %v)", again, err)
			}
		})
	}
}

// The field order is part of the schema.
func TestFieldOrder(t *testing.T) {
	ev := goldenAlert(t)
	ev.InIface = "eth1"
	line, err := newEnc(t, EncoderOptions{Host: "h"}).AppendLine(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"timestamp", "host", "flow_id", "in_iface", "event_type", "vlan", "src_ip", "src_port",
		"dest_ip", "dest_port", "proto", "community_id", "alert", "app_proto", "flow", "kdd", "source"}
	if got := keysInOrder(t, line); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys %v\nwant %v", got, want)
	}
}

var hostile = []string{
	`"`,
	`\`,
	`a"b\"c\\`,
	"\x00\x01\x02\x1f\x7f",
	"line\nbreak\r\ttab\b\f",
	"\xff\xfe\xfd invalid",
	"ok\xc3",           // truncated 2-byte sequence
	"\xed\xa0\x80",     // UTF-8-encoded surrogate: invalid
	"\xf4\x90\x80\x80", // beyond U+10FFFF: invalid
	"</script><script>alert(1)</script>",
	"\u2028\u2029",
	"emoji 😀 and é",
	`"}],"event_type":"flow","x":{"`,
}

// Every string field, with hostile content, decodes back to itself (invalid
// UTF-8 bytes replaced by U+FFFD), and no field can be injected.
func TestHostileStrings(t *testing.T) {
	for i, h := range hostile {
		featName := "f" + h
		enc := newEnc(t, EncoderOptions{Host: h, FeatureNames: []string{featName, "n"}})
		ev := goldenAlert(t)
		ev.InIface = h
		ev.AppProto = h
		ev.CommunityID = h
		ev.Alert.Signature.Name = "sig" + h
		ev.Alert.Signature.Category = h
		ev.Alert.Signature.Class = h
		ev.Alert.Model = h
		ev.Alert.Family = h
		ev.Alert.Probabilities = []ClassProb{{"p" + h, 0.5}, {"q", 0.5}}
		ev.KDD.Flag = h
		ev.KDD.Features = []FeatureValue{Text(h), Num(1)}
		ev.Source.File = h
		ev.Source.LastFile = "last" + h
		line, err := enc.AppendLine(nil, &ev)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		m := decodeLine(t, line)
		want := sanitized(h)
		checks := []struct {
			keys []string
			want string
		}{
			{[]string{"in_iface"}, want},
			{[]string{"host"}, want},
			{[]string{"app_proto"}, want},
			{[]string{"community_id"}, want},
			{[]string{"alert", "signature"}, "sig" + want},
			{[]string{"alert", "category"}, want},
			{[]string{"alert", "class"}, want},
			{[]string{"alert", "model"}, want},
			{[]string{"alert", "family"}, want},
			{[]string{"kdd", "flag"}, want},
			{[]string{"kdd", "features", sanitized(featName)}, want},
			{[]string{"source", "file"}, want},
			{[]string{"source", "last_file"}, "last" + want},
		}
		for _, c := range checks {
			got := path(t, m, c.keys...)
			if got != c.want {
				t.Errorf("case %d %q: %v = %q, want %q", i, h, c.keys, got, c.want)
			}
		}
		if p := path(t, m, "alert", "probabilities", sanitized("p"+h)); p != 0.5 {
			t.Errorf("case %d: probability under hostile class = %v", i, p)
		}
		if got := path(t, m, "event_type"); got != "alert" {
			t.Errorf("case %d: event_type = %v", i, got)
		}
		if len(m) != 17 {
			t.Errorf("case %d: %d top-level keys, want 17: %s", i, len(m), line)
		}
	}
}

// Empty optional strings are omitted rather than written empty.
func TestOmitEmpty(t *testing.T) {
	ev := connAlert(t, 0)
	ev.AppProto, ev.KDD.Flag, ev.Source = "", "", Source{}
	ev.Alert.Family, ev.Alert.Probabilities = "", nil
	line, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeLine(t, line)
	for _, k := range []string{"app_proto", "kdd", "source", "community_id", "vlan", "in_iface", "host"} {
		if _, ok := m[k]; ok {
			t.Errorf("%q written: %s", k, line)
		}
	}
	a := m["alert"].(map[string]any)
	for _, k := range []string{"probabilities", "family", "model"} {
		if _, ok := a[k]; ok {
			t.Errorf("alert.%s written: %s", k, line)
		}
	}
}

func TestClamping(t *testing.T) {
	enc := newEnc(t, EncoderOptions{FeatureNames: []string{"a", "b", "c", "d"}})
	ev := connAlert(t, 0)
	ev.Alert.Score = math.Inf(1)
	ev.Alert.Probabilities = []ClassProb{{"x", math.Inf(-1)}, {"y", 2}, {"z", math.Copysign(0, -1)}}
	ev.KDD.Features = []FeatureValue{Num(math.NaN()), Num(math.Inf(1)), Num(math.Inf(-1)), Num(-0.25)}
	line, err := enc.AppendLine(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeLine(t, line)
	if got := path(t, m, "alert", "score"); got != 1.0 {
		t.Errorf("score = %v, want 1", got)
	}
	for k, want := range map[string]float64{"x": 0, "y": 1, "z": 0} {
		if got := path(t, m, "alert", "probabilities", k); got != want {
			t.Errorf("probability %s = %v, want %v", k, got, want)
		}
	}
	if strings.Contains(string(line), "-0,") || strings.Contains(string(line), ":-0}") {
		t.Errorf("negative zero written: %s", line)
	}
	for k, want := range map[string]float64{"a": 0, "b": math.MaxFloat64, "c": -math.MaxFloat64, "d": -0.25} {
		if got := path(t, m, "kdd", "features", k); got != want {
			t.Errorf("feature %s = %v, want %v", k, got, want)
		}
	}
	// Score +Inf, probabilities -Inf and 2, features NaN, +Inf, -Inf.
	if enc.Clamped() != 6 {
		t.Errorf("Clamped() = %d, want 6", enc.Clamped())
	}
}

func TestProbabilityDigits(t *testing.T) {
	enc := newEnc(t, EncoderOptions{})
	for _, c := range []struct {
		p    float64
		want string
	}{
		{0.123456789, `"score":0.123457`},
		{1, `"score":1,`},
		{0, `"score":0,`},
		{0.5, `"score":0.5,`},
		{1e-9, `"score":1e-09,`},
		{0.99999949, `"score":0.999999,`},
		{0.99999951, `"score":1,`},
	} {
		ev := connAlert(t, 0)
		ev.Alert.Score = c.p
		line, err := enc.AppendLine(nil, &ev)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(line), c.want) {
			t.Errorf("score %v: want %s in %s", c.p, c.want, line)
		}
	}
}

func TestValidation(t *testing.T) {
	enc := newEnc(t, EncoderOptions{FeatureNames: []string{"a", "b"}})
	cases := []struct {
		name  string
		mod   func(*Event)
		field string
	}{
		{"type", func(e *Event) { e.Type = 0 }, "event_type"},
		{"type 9", func(e *Event) { e.Type = 9 }, "event_type"},
		{"zero time", func(e *Event) { e.Time = time.Time{} }, "timestamp"},
		{"year 10000", func(e *Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "timestamp"},
		{"src", func(e *Event) { e.SrcIP = netip.Addr{} }, "src_ip"},
		{"dst", func(e *Event) { e.DestIP = netip.Addr{} }, "dest_ip"},
		{"vlan", func(e *Event) { e.VLAN.N = 4 }, "vlan"},
		{"start after end", func(e *Event) { e.Flow.Start = e.Time.Add(time.Second) }, "flow.start"},
		{"flow end year", func(e *Event) { e.Flow.End = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) }, "flow.end"},
		{"state", func(e *Event) { e.Flow.State = 7 }, "flow.state"},
		{"reason", func(e *Event) { e.Flow.Reason = 7 }, "flow.reason"},
		{"features", func(e *Event) { e.KDD.Features = []FeatureValue{Num(1)} }, "kdd.features"},
		{"signature", func(e *Event) { e.Alert.Signature = Signature{} }, "alert.signature"},
		{"duplicate class", func(e *Event) { e.Alert.Probabilities = []ClassProb{{"a", 0.5}, {"a", 0.5}} }, "alert.probabilities"},
		{"summary without interval", func(e *Event) { e.Type = TypeSummary }, "summary.interval_start"},
	}
	for _, c := range cases {
		ev := connAlert(t, 1)
		c.mod(&ev)
		out, err := enc.AppendLine([]byte("keep"), &ev)
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: err = %v, want ErrInvalidEvent", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), "field "+c.field+":") {
			t.Errorf("%s: error %q does not name field %s", c.name, err, c.field)
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst changed to %q", c.name, out)
		}
	}
	// A flow event needs no signature.
	ev := connAlert(t, 1)
	ev.Type, ev.Alert = TypeFlow, Alert{}
	if _, err := enc.AppendLine(nil, &ev); err != nil {
		t.Errorf("flow event without alert: %v", err)
	}
}

func TestNewEncoderDuplicateFeature(t *testing.T) {
	_, err := NewEncoder(EncoderOptions{FeatureNames: []string{"a", "b", "a"}})
	if err == nil || !strings.Contains(err.Error(), `"a" appears at 0 and 2`) {
		t.Fatalf("err = %v", err)
	}
}

// zerolog.SetGlobalLevel(Disabled) elsewhere must not make alerts vanish
// silently. (It changes zerolog's global state, restored at once; this test
// does not run in parallel.)
func TestGlobalLevelDisabled(t *testing.T) {
	prev := zerolog.GlobalLevel()
	zerolog.SetGlobalLevel(zerolog.Disabled)
	defer zerolog.SetGlobalLevel(prev)
	ev := connAlert(t, 0)
	out, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &ev)
	if !errors.Is(err, ErrLoggerDisabled) || len(out) != 0 {
		t.Fatalf("err = %v, out %q", err, out)
	}
	zerolog.SetGlobalLevel(zerolog.PanicLevel) // any level short of Disabled
	if _, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &ev); err != nil {
		t.Fatalf("at PanicLevel: %v", err)
	}
}

func TestEncoderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	enc := newEnc(t, EncoderOptions{Host: "s", FeatureNames: []string{"duration", "protocol_type"}})
	evs := []Event{goldenAlert(t), connAlert(t, 3)}
	sum := Event{Time: t0, Type: TypeSummary, SrcIP: evs[1].SrcIP, DestIP: evs[1].DestIP, Alert: evs[1].Alert,
		Summary: Summary{IntervalStart: t0, IntervalEnd: t0.Add(time.Minute), Alerts: 3,
			Flags: []FlagCount{{"S0", 2}, {"REJ", 1}}, First: FlowRef{FlowID: 1, End: t0}, Last: FlowRef{FlowID: 2, End: t0}}}
	evs = append(evs, sum)
	buf := make([]byte, 0, 8192)
	for i := range evs {
		allocs := testing.AllocsPerRun(200, func() {
			var err error
			buf, err = enc.AppendLine(buf[:0], &evs[i])
			if err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("event %d (%v): %v allocations per event, want 0", i, evs[i].Type, allocs)
		}
	}
}

func TestStringers(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{TypeAlert.String(), "alert"}, {TypeFlow.String(), "flow"}, {TypeSummary.String(), "alert_summary"},
		{EventType(0).String(), "EventType(0)"},
		{StateNew.String(), "new"}, {StateEstablished.String(), "established"}, {StateClosed.String(), "closed"},
		{FlowState(9).String(), "FlowState(9)"},
		{ReasonTimeout.String(), "timeout"}, {ReasonShutdown.String(), "shutdown"},
		{ReasonEvicted.String(), "evicted"}, {ReasonClosed.String(), "closed"}, {FlowReason(0).String(), "FlowReason(0)"},
		{ProtoName(6), "TCP"}, {ProtoName(17), "UDP"}, {ProtoName(1), "ICMP"}, {ProtoName(58), "IPv6-ICMP"},
		{ProtoName(132), "SCTP"}, {ProtoName(253), "253"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
