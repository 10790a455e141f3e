package alert

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// t0 is a base packet time aligned to 10 s.
var t0 = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

func mustSig(t testing.TB, family, class string) Signature {
	t.Helper()
	s, err := LookupSignature(family, class)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goldenAlert is the alert of the first golden line.
func goldenAlert(t testing.TB) Event {
	ev := Event{
		Time:     time.Date(2026, 11, 23, 2, 59, 48, 584655123, time.UTC),
		Type:     TypeAlert,
		FlowID:   12345,
		SrcIP:    netip.MustParseAddr("10.0.0.1"),
		DestIP:   netip.MustParseAddr("10.0.0.2"),
		SrcPort:  1234,
		DestPort: 80,
		Proto:    6,
		AppProto: "http",
		VLAN:     VLAN{IDs: [3]uint16{100, 200}, N: 2},
		Flow: Flow{
			Start:         time.Date(2026, 11, 23, 2, 59, 46, 900000000, time.UTC),
			PktsToServer:  3,
			PktsToClient:  2,
			BytesToServer: 100,
			BytesToClient: 2000,
			State:         StateClosed,
			Reason:        ReasonClosed,
		},
		Alert: Alert{
			Signature:     mustSig(t, "nsl-kdd", "DoS"),
			Score:         0.9876543,
			Probabilities: []ClassProb{{"normal", 0.0123457}, {"DoS", 0.98}},
			Model:         "cnn-1",
			Family:        "nsl-kdd",
		},
		KDD:    KDD{Flag: "RSTRH", Features: []FeatureValue{Num(2), Text("tcp")}},
		Source: Source{File: "a.pcap", FirstPacket: 10, LastPacket: 20},
	}
	ev.SetCommunityID(0)
	return ev
}

// connAlert returns a simple alert for sink tests; i varies the flow ID,
// the time (i ms after t0) and the source port.
func connAlert(t testing.TB, i int) Event {
	return Event{
		Time:     t0.Add(time.Duration(i) * time.Millisecond),
		Type:     TypeAlert,
		FlowID:   uint64(1000 + i),
		SrcIP:    netip.MustParseAddr("10.1.1.1"),
		DestIP:   netip.MustParseAddr("10.2.2.2"),
		SrcPort:  uint16(40000 + i),
		DestPort: 23,
		Proto:    6,
		AppProto: "telnet",
		Flow:     Flow{Start: t0, PktsToServer: 4, State: StateClosed, Reason: ReasonClosed},
		Alert: Alert{
			Signature:     mustSig(t, "nsl-kdd", "R2L"),
			Score:         0.75,
			Probabilities: []ClassProb{{"normal", 0.25}, {"R2L", 0.75}},
			Family:        "nsl-kdd",
		},
		KDD:    KDD{Flag: "SF"},
		Source: Source{File: "lab.pcap", FirstPacket: uint64(10 * i), LastPacket: uint64(10*i + 9)},
	}
}

func connAlerts(t testing.TB, n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = connAlert(t, i)
	}
	return out
}

// decodeLine checks that line is exactly one valid JSON object and a
// newline, and decodes it.
func decodeLine(t testing.TB, line []byte) map[string]any {
	t.Helper()
	if len(line) == 0 || line[len(line)-1] != '\n' {
		t.Fatalf("line does not end with a newline: %q", line)
	}
	body := line[:len(line)-1]
	if strings.ContainsAny(string(body), "\n\r") {
		t.Fatalf("line holds a raw line break: %q", line)
	}
	if !json.Valid(body) {
		t.Fatalf("invalid JSON: %s", body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return m
}

// path walks a decoded object along keys.
func path(t testing.TB, m map[string]any, keys ...string) any {
	t.Helper()
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object at %q", keys, k)
		}
		cur, ok = obj[k]
		if !ok {
			t.Fatalf("%v: no key %q", keys, k)
		}
	}
	return cur
}

// keysInOrder returns the top-level keys of a JSON object in order.
func keysInOrder(t testing.TB, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(line)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", line)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// sanitized is what a JSON decoder returns for s after the encoder replaced
// each invalid UTF-8 byte by U+FFFD: converting to runes does the same.
func sanitized(s string) string { return string([]rune(s)) }
