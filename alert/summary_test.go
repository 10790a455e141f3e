package alert

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sumAlert is an alert for the summarizer tests.
func sumAlert(t testing.TB, src, class string, at time.Duration, id uint64, state FlowState, flag string, score float64) Event {
	return Event{
		Time:        t0.Add(at),
		Type:        TypeAlert,
		FlowID:      id,
		CommunityID: "1:c" + string(rune('0'+id)),
		SrcIP:       netip.MustParseAddr(src),
		DestIP:      netip.MustParseAddr("10.0.0.2"),
		SrcPort:     uint16(1000 + id),
		DestPort:    80,
		Proto:       6,
		Flow:        Flow{Start: t0.Add(at - time.Second), State: state},
		Alert:       Alert{Signature: mustSig(t, "nsl-kdd", class), Score: score, Family: "nsl-kdd", Model: "m1"},
		KDD:         KDD{Flag: flag},
		Source:      Source{File: "f.pcap", FirstPacket: 10 * id, LastPacket: 10*id + 1},
	}
}

func flowEvent(at time.Duration) Event {
	return Event{
		Time: t0.Add(at), Type: TypeFlow, FlowID: 99,
		SrcIP: netip.MustParseAddr("10.0.0.9"), DestIP: netip.MustParseAddr("10.0.0.2"), Proto: 17,
	}
}

func ref(ev Event) FlowRef {
	return FlowRef{FlowID: ev.FlowID, CommunityID: ev.CommunityID, Start: ev.Flow.Start, End: ev.Time,
		File: ev.Source.File, FirstPacket: ev.Source.FirstPacket, LastPacket: ev.Source.LastPacket}
}

// The fixture: interval 10 s from t0.
//
//	#1 A DoS  t0+1s closed S0  0.9
//	#2 A DoS  t0+3s new    S0  0.7
//	#3 flow   t0+4s
//	#4 B Probe t0+5s established REJ 0.6
//	#5 A DoS  t0+2s closed REJ 0.8  (out of order within the interval)
//	#6 A DoS  t0+12s closed SF 0.5  (second interval: flushes the first)
//	then, in a second batch,
//	#7 A DoS  t0+9s closed SF 0.95  (late: counted in the second interval)
//
// By hand, first interval: A has 3 alerts, flows new 1 / established 0 /
// closed 2, flags S0 2 then REJ 1, max 0.9, mean (0.9+0.7+0.8)/3 = 0.8,
// first #1 (t0+1s), last #2 (t0+3s); B has 1 alert, established 1, REJ 1,
// max = mean = 0.6, first = last = #4. Second interval: A has #6 and #7,
// closed 2, SF 2, max 0.95, mean 0.725, first #7 (t0+9s), last #6 (t0+12s).
func summaryFixture(t testing.TB) (batch1, batch2 []Event) {
	const a, b = "10.0.0.1", "10.0.0.3"
	batch1 = []Event{
		sumAlert(t, a, "DoS", 1*time.Second, 1, StateClosed, "S0", 0.9),
		sumAlert(t, a, "DoS", 3*time.Second, 2, StateNew, "S0", 0.7),
		flowEvent(4 * time.Second),
		sumAlert(t, b, "Probe", 5*time.Second, 4, StateEstablished, "REJ", 0.6),
		sumAlert(t, a, "DoS", 2*time.Second, 5, StateClosed, "REJ", 0.8),
		sumAlert(t, a, "DoS", 12*time.Second, 6, StateClosed, "SF", 0.5),
	}
	batch2 = []Event{sumAlert(t, a, "DoS", 9*time.Second, 7, StateClosed, "SF", 0.95)}
	return batch1, batch2
}

func expectedSummaries(t testing.TB, batch1, batch2 []Event) (a1, b1, a2 Event) {
	dos, probe := mustSig(t, "nsl-kdd", "DoS"), mustSig(t, "nsl-kdd", "Probe")
	a1 = Event{
		Time: t0.Add(3 * time.Second), Type: TypeSummary,
		SrcIP: batch1[0].SrcIP, DestIP: batch1[0].DestIP,
		Alert: Alert{Signature: dos, Model: "m1", Family: "nsl-kdd"},
		Summary: Summary{
			IntervalStart: t0, IntervalEnd: t0.Add(10 * time.Second),
			Alerts: 3, FlowsNew: 1, FlowsClosed: 2,
			Flags:    []FlagCount{{"S0", 2}, {"REJ", 1}},
			ScoreMax: 0.9, ScoreMean: 0.8,
			First: ref(batch1[0]), Last: ref(batch1[1]),
		},
	}
	b1 = Event{
		Time: t0.Add(5 * time.Second), Type: TypeSummary,
		SrcIP: batch1[3].SrcIP, DestIP: batch1[3].DestIP,
		Alert: Alert{Signature: probe, Model: "m1", Family: "nsl-kdd"},
		Summary: Summary{
			IntervalStart: t0, IntervalEnd: t0.Add(10 * time.Second),
			Alerts: 1, FlowsEstablished: 1,
			Flags:    []FlagCount{{"REJ", 1}},
			ScoreMax: 0.6, ScoreMean: 0.6,
			First: ref(batch1[3]), Last: ref(batch1[3]),
		},
	}
	a2 = Event{
		Time: t0.Add(12 * time.Second), Type: TypeSummary,
		SrcIP: batch1[0].SrcIP, DestIP: batch1[0].DestIP,
		Alert: Alert{Signature: dos, Model: "m1", Family: "nsl-kdd"},
		Summary: Summary{
			IntervalStart: t0.Add(10 * time.Second), IntervalEnd: t0.Add(20 * time.Second),
			Alerts: 2, FlowsClosed: 2,
			Flags:    []FlagCount{{"SF", 2}},
			ScoreMax: 0.95, ScoreMean: 0.725,
			First: ref(batch2[0]), Last: ref(batch1[5]),
		},
	}
	return a1, b1, a2
}

// approxEqual compares events, the mean score to 1e-12.
func checkSummary(t *testing.T, got, want Event) {
	t.Helper()
	if d := got.Summary.ScoreMean - want.Summary.ScoreMean; d > 1e-12 || d < -1e-12 {
		t.Errorf("score mean %v, want %v", got.Summary.ScoreMean, want.Summary.ScoreMean)
	}
	got.Summary.ScoreMean = want.Summary.ScoreMean
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
}

func TestSummarizerAllAlerts(t *testing.T) {
	ring, _ := NewRing(100)
	s, err := NewSummarizer(ring, SummarizerOptions{Interval: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	batch1, batch2 := summaryFixture(t)
	ctx := context.Background()
	if err := s.Write(ctx, batch1); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, batch2); err != nil {
		t.Fatal(err)
	}
	got := ring.Snapshot()
	// Everything passed through; the first interval's summaries came
	// before the event that closed it.
	if len(got) != 9 {
		t.Fatalf("%d events before Close, want 9", len(got))
	}
	wantOrder := []EventType{TypeAlert, TypeAlert, TypeFlow, TypeAlert, TypeAlert, TypeSummary, TypeSummary, TypeAlert, TypeAlert}
	for i, ev := range got {
		if ev.Type != wantOrder[i] {
			t.Fatalf("event %d is %v, want %v", i, ev.Type, wantOrder[i])
		}
	}
	a1, b1, a2 := expectedSummaries(t, batch1, batch2)
	checkSummary(t, got[5], a1)
	checkSummary(t, got[6], b1)
	if got[7].FlowID != 6 || got[8].FlowID != 7 {
		t.Fatalf("alerts after the summaries: %d, %d", got[7].FlowID, got[8].FlowID)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got = ring.Snapshot()
	if len(got) != 10 {
		t.Fatalf("%d events after Close, want 10", len(got))
	}
	checkSummary(t, got[9], a2)
	want := SummaryStats{Alerts: 6, Summaries: 3, Late: 1}
	if st := s.SummaryStats(); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if err := s.Write(ctx, batch2); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestSummarizerSummaryOnly(t *testing.T) {
	ring, _ := NewRing(100)
	emit, err := ParseEmit("summary-only")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSummarizer(ring, SummarizerOptions{Interval: 10 * time.Second, Emit: emit})
	if err != nil {
		t.Fatal(err)
	}
	batch1, batch2 := summaryFixture(t)
	ctx := context.Background()
	if err := s.Write(ctx, batch1); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, batch2); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil { // end of input
		t.Fatal(err)
	}
	got := ring.Snapshot()
	if len(got) != 4 || got[0].Type != TypeFlow {
		t.Fatalf("got %d events %v", len(got), ringIDs(got))
	}
	a1, b1, a2 := expectedSummaries(t, batch1, batch2)
	checkSummary(t, got[1], a1)
	checkSummary(t, got[2], b1)
	checkSummary(t, got[3], a2)
	if st := s.SummaryStats(); st.Suppressed != 6 || st.Summaries != 3 {
		t.Fatalf("stats %+v", st)
	}
	// Close after Flush writes nothing more.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(ring.Snapshot()); n != 4 {
		t.Fatalf("%d events after Close", n)
	}
}

// The summary line, checked by hand.
func TestSummaryGoldenLine(t *testing.T) {
	batch1, batch2 := summaryFixture(t)
	a1, _, _ := expectedSummaries(t, batch1, batch2)
	line, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &a1)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp":"2026-11-23T03:00:03.000000000Z","event_type":"alert_summary","src_ip":"10.0.0.1","dest_ip":"10.0.0.2",` +
		`"alert":{"action":"allowed","gid":1,"signature_id":1700101,"rev":1,"signature":"cnids NSL-KDD DoS",` +
		`"category":"Attempted Denial of Service","severity":1,"class":"DoS","model":"m1","family":"nsl-kdd"},` +
		`"summary":{"interval_start":"2026-11-23T03:00:00.000000000Z","interval_end":"2026-11-23T03:00:10.000000000Z",` +
		`"alerts":3,"flows":{"new":1,"established":0,"closed":2},"flags":{"S0":2,"REJ":1},"score_max":0.9,"score_mean":0.8,` +
		`"first":{"flow_id":1,"community_id":"1:c1","start":"2026-11-23T03:00:00.000000000Z","end":"2026-11-23T03:00:01.000000000Z",` +
		`"file":"f.pcap","first_packet":10,"last_packet":11},` +
		`"last":{"flow_id":2,"community_id":"1:c2","start":"2026-11-23T03:00:02.000000000Z","end":"2026-11-23T03:00:03.000000000Z",` +
		`"file":"f.pcap","first_packet":20,"last_packet":21}}}` + "\n"
	if string(line) != want {
		t.Fatalf("line differs\n got: %s\nwant: %s", line, want)
	}
	decodeLine(t, line)
}

func TestSummarizerAdvance(t *testing.T) {
	ring, _ := NewRing(10)
	s, err := NewSummarizer(ring, SummarizerOptions{Interval: 10 * time.Second, Emit: EmitSummaryOnly})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Advance(ctx, t0.Add(time.Hour)); err != nil { // nothing yet
		t.Fatal(err)
	}
	if err := s.Write(ctx, []Event{sumAlert(t, "10.0.0.1", "DoS", time.Second, 1, StateClosed, "S0", 0.9)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(ctx, t0.Add(9999*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := len(ring.Snapshot()); n != 0 {
		t.Fatalf("flushed before the interval ended: %d events", n)
	}
	if err := s.Advance(ctx, t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	got := ring.Snapshot()
	if len(got) != 1 || got[0].Type != TypeSummary || got[0].Summary.Alerts != 1 {
		t.Fatalf("after Advance: %+v", got)
	}
	// An alert of the new interval is not late.
	if err := s.Write(ctx, []Event{sumAlert(t, "10.0.0.1", "DoS", 11*time.Second, 2, StateClosed, "S0", 0.9)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got = ring.Snapshot()
	if len(got) != 2 || !got[1].Summary.IntervalStart.Equal(t0.Add(10*time.Second)) || s.SummaryStats().Late != 0 {
		t.Fatalf("after Close: %d events, stats %+v", len(got), s.SummaryStats())
	}
}

func TestSummarizerOverflowAndFlags(t *testing.T) {
	ring, _ := NewRing(10)
	s, err := NewSummarizer(ring, SummarizerOptions{Interval: time.Minute, Emit: EmitSummaryOnly, MaxGroups: 1})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Event
	// 20 distinct flags from one pair: 15 kept, the other 5 under "other".
	for i := range 20 {
		batch = append(batch, sumAlert(t, "10.0.0.1", "DoS", time.Second, uint64(i), StateClosed, "F"+string(rune('a'+i)), 0.5))
	}
	// Two more pairs: past MaxGroups, into the overflow group.
	batch = append(batch,
		sumAlert(t, "10.0.0.5", "DoS", 2*time.Second, 30, StateClosed, "S0", 0.5),
		sumAlert(t, "10.0.0.6", "DoS", 3*time.Second, 31, StateClosed, "S0", 0.5))
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := ring.Snapshot()
	if len(got) != 2 {
		t.Fatalf("%d summaries, want 2", len(got))
	}
	fl := got[0].Summary.Flags
	if len(fl) != 16 || fl[15] != (FlagCount{"other", 5}) || fl[0] != (FlagCount{"Fa", 1}) {
		t.Fatalf("flags %+v", fl)
	}
	ov := got[1]
	if !ov.Summary.Overflow || ov.SrcIP.IsValid() || ov.DestIP.IsValid() || ov.Summary.Alerts != 2 {
		t.Fatalf("overflow group %+v", ov)
	}
	line, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &ov)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeLine(t, line)
	if _, ok := m["src_ip"]; ok || path(t, m, "summary", "overflow") != true {
		t.Fatalf("overflow line %s", line)
	}
	if st := s.SummaryStats(); st.Overflow != 2 || st.Alerts != 22 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSummarizerOptions(t *testing.T) {
	r, _ := NewRing(1)
	for _, o := range []SummarizerOptions{{}, {Interval: -time.Second}, {Interval: time.Second, Emit: 7}} {
		if _, err := NewSummarizer(r, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := NewSummarizer(nil, SummarizerOptions{Interval: time.Second}); err == nil {
		t.Error("nil next accepted")
	}
	if _, err := ParseEmit("some"); err == nil || !strings.Contains(err.Error(), "all-alerts or summary-only") {
		t.Errorf("ParseEmit: %v", err)
	}
	for _, e := range []Emit{EmitAllAlerts, EmitSummaryOnly} {
		if p, err := ParseEmit(e.String()); err != nil || p != e {
			t.Errorf("round trip %v: %v %v", e, p, err)
		}
	}
}

// Summaries of a failing next sink report its error; Reopen and Stats pass
// through.
func TestSummarizerPassThrough(t *testing.T) {
	bad := &failSink{}
	s, err := NewSummarizer(bad, SummarizerOptions{Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), []Event{flowEvent(0)}); err == nil {
		t.Fatal("next sink's error lost")
	}
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	if s.Stats() != (Stats{}) {
		t.Fatal("stats of a non-counting sink")
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "close failed") {
		t.Fatalf("close: %v", err)
	}
}
