package alert

import (
	"errors"
	"math"
	"net/netip"
	"testing"
	"time"
)

// FuzzEncoder feeds arbitrary strings, numbers, times and addresses to the
// encoder: every line must be one valid JSON object that decodes back to
// the same values (invalid UTF-8 replaced), or the event must be refused
// with ErrInvalidEvent.
func FuzzEncoder(f *testing.F) {
	f.Add("eth0", "http", "RSTRH", "a.pcap", "DoS", 0.5, 3.0, uint64(1), int64(1795402788), int64(584655123), []byte{10, 0, 0, 1}, uint8(6), uint8(0))
	f.Add("\xff\"\\\n", "</script>", "\x00", "\u2028", "\xed\xa0\x80", math.NaN(), math.Inf(-1), uint64(math.MaxUint64), int64(0), int64(1), []byte{}, uint8(1), uint8(1))
	f.Add("", "", "", "", "", -1.0, 1e308, uint64(0), int64(-62135596800), int64(0), make([]byte, 16), uint8(58), uint8(2))
	f.Add("x", "y", "z", "w", "v", 2.0, math.Copysign(0, -1), uint64(1<<53), int64(253402300799), int64(999999999), []byte{1, 2, 3, 4, 5}, uint8(253), uint8(3))
	f.Fuzz(func(t *testing.T, s1, s2, s3, s4, s5 string, p, x float64, n uint64, sec, nsec int64, ab []byte, proto, kind uint8) {
		enc, err := NewEncoder(EncoderOptions{Host: s5, FeatureNames: []string{"a" + s1, "b" + s1, "n"}})
		if err != nil {
			t.Fatal(err)
		}
		ev := Event{
			Time:        time.Unix(sec, nsec),
			Type:        EventType(kind%4 + 1), // includes the invalid 4
			FlowID:      n,
			CommunityID: s4,
			Proto:       proto,
			ICMPType:    uint8(n),
			ICMPCode:    uint8(n >> 8),
			SrcPort:     uint16(n),
			DestPort:    uint16(n >> 16),
			AppProto:    s2,
			InIface:     s1,
			VLAN:        VLAN{IDs: [3]uint16{uint16(n), 2, 3}, N: uint8(n % 5)},
			Flow: Flow{
				Start:        time.Unix(sec-int64(n%7), 0),
				PktsToServer: n, BytesToClient: n >> 3,
				State: FlowState(n % 5), Reason: FlowReason(n % 6),
			},
			Alert: Alert{
				Signature:     Signature{ID: uint32(n), Name: s3, Category: s4, Class: s5, Severity: uint8(n)},
				Score:         p,
				Probabilities: []ClassProb{{s1, p}, {s2, x}},
				Model:         s2,
				Family:        s3,
			},
			KDD:    KDD{Flag: s3, Features: []FeatureValue{Text(s2), Num(x), Num(p)}},
			Source: Source{File: s4, FirstPacket: n, LastPacket: n + 1, LastFile: s5},
			Summary: Summary{
				IntervalStart: time.Unix(sec, 0), IntervalEnd: time.Unix(sec+60, 0),
				Alerts: n, Flags: []FlagCount{{s1, n}, {s3, 1}},
				ScoreMax: x, ScoreMean: p,
				First: FlowRef{FlowID: n, CommunityID: s4, End: time.Unix(sec, nsec), File: s1},
			},
		}
		src, dst := addrPair(ab)
		ev.SrcIP, ev.DestIP = src, dst
		line, err := enc.AppendLine(nil, &ev)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error %v does not wrap ErrInvalidEvent", err)
			}
			if line != nil {
				t.Fatalf("refused event wrote %q", line)
			}
			return
		}
		m := decodeLine(t, line)
		if got := path(t, m, "event_type"); got != ev.Type.String() {
			t.Fatalf("event_type %v, want %v", got, ev.Type)
		}
		if s5 != "" {
			if got := path(t, m, "host"); got != sanitized(s5) {
				t.Fatalf("host %q, want %q", got, sanitized(s5))
			}
		}
		want := ev.Time.UTC().Format(TimeFormat)
		if got := path(t, m, "timestamp"); got != want {
			t.Fatalf("timestamp %v, want %v", got, want)
		}
		if ev.Type != TypeFlow {
			if got := path(t, m, "alert", "signature"); got != sanitized(s3) {
				t.Fatalf("signature %q, want %q", got, sanitized(s3))
			}
		} else if _, ok := m["alert"]; ok {
			t.Fatal("flow event with an alert object")
		}
		if ev.Type == TypeSummary {
			checkUnit(t, path(t, m, "summary", "score_max"))
			return
		}
		if s2 != "" {
			if got := path(t, m, "app_proto"); got != sanitized(s2) {
				t.Fatalf("app_proto %q, want %q", got, sanitized(s2))
			}
		}
		if ev.Type == TypeAlert {
			checkUnit(t, path(t, m, "alert", "score"))
			if got := path(t, m, "alert", "probabilities", sanitized(s2)); !inUnit(got) {
				t.Fatalf("probability %v", got)
			}
		}
		if got := path(t, m, "src_ip"); got != src.String() {
			t.Fatalf("src_ip %v, want %v", got, src)
		}
	})
}

func inUnit(v any) bool {
	f, ok := v.(float64)
	return ok && f >= 0 && f <= 1
}

func checkUnit(t *testing.T, v any) {
	t.Helper()
	if !inUnit(v) {
		t.Fatalf("%v is not a probability", v)
	}
}

// addrPair makes two addresses from fuzz bytes: IPv4 from up to 8 bytes,
// IPv6 from more, none from fewer than 4.
func addrPair(b []byte) (netip.Addr, netip.Addr) {
	switch {
	case len(b) >= 32:
		return netip.AddrFrom16([16]byte(b[:16])), netip.AddrFrom16([16]byte(b[16:32]))
	case len(b) >= 16:
		a := netip.AddrFrom16([16]byte(b[:16]))
		return a, a
	case len(b) >= 8:
		return netip.AddrFrom4([4]byte(b[:4])), netip.AddrFrom4([4]byte(b[4:8]))
	case len(b) >= 4:
		return netip.AddrFrom4([4]byte(b[:4])), netip.Addr{}
	}
	return netip.Addr{}, netip.Addr{}
}
