package alert

import (
	"context"
	"errors"
	"testing"
	"time"
)

func ringIDs(evs []Event) []int {
	var ids []int
	for _, e := range evs {
		ids = append(ids, int(e.FlowID))
	}
	return ids
}

func TestRingKeepsLastN(t *testing.T) {
	r, err := NewRing(3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := r.Snapshot(); len(got) != 0 {
		t.Fatalf("empty ring snapshot %v", ringIDs(got))
	}
	evs := connAlerts(t, 5)
	if err := r.Write(ctx, evs[:2]); err != nil {
		t.Fatal(err)
	}
	if got := ringIDs(r.Snapshot()); !equalInts(got, []int{1000, 1001}) {
		t.Fatalf("partly filled: %v", got)
	}
	if err := r.Write(ctx, evs[2:]); err != nil {
		t.Fatal(err)
	}
	snap := r.Snapshot()
	if got := ringIDs(snap); !equalInts(got, []int{1002, 1003, 1004}) {
		t.Fatalf("wrapped: %v", got)
	}
	// The ring owns deep copies: the caller reusing its batch changes
	// nothing stored, nor what a snapshot returned.
	evs[4].Alert.Probabilities[1].P = 0.01
	evs[4].AppProto = "changed"
	again := r.Snapshot()
	if again[2].Alert.Probabilities[1].P != 0.75 || again[2].AppProto != "telnet" {
		t.Fatalf("stored event aliases the caller's batch: %+v", again[2].Alert.Probabilities)
	}
	snap[2].Alert.Probabilities[0].P = 0.5
	if r.Snapshot()[2].Alert.Probabilities[0].P != 0.25 {
		t.Fatal("snapshot aliases the ring")
	}
	if st := r.Stats(); st != (Stats{Written: 5}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestRingSubscribers(t *testing.T) {
	r, err := NewRing(4)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Write(ctx, connAlerts(t, 2)); err != nil {
		t.Fatal(err)
	}
	fast, backlog, err := r.Subscribe(100)
	if err != nil {
		t.Fatal(err)
	}
	if got := ringIDs(backlog); !equalInts(got, []int{1000, 1001}) {
		t.Fatalf("backlog %v", got)
	}
	slow, _, err := r.Subscribe(2)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]Event, 5)
	for i := range evs {
		evs[i] = connAlert(t, 10+i)
	}
	// The slow subscriber never reads: the writer must not block.
	done := make(chan error, 1)
	go func() { done <- r.Write(ctx, evs) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked on a slow subscriber")
	}
	var got []int
	for range 5 {
		got = append(got, int((<-fast.C).FlowID))
	}
	if !equalInts(got, []int{1010, 1011, 1012, 1013, 1014}) || fast.Dropped() != 0 {
		t.Fatalf("fast subscriber got %v, dropped %d", got, fast.Dropped())
	}
	// The slow one holds the first two and lost three.
	got = nil
	for range 2 {
		got = append(got, int((<-slow.C).FlowID))
	}
	if !equalInts(got, []int{1010, 1011}) || slow.Dropped() != 3 {
		t.Fatalf("slow subscriber got %v, dropped %d", got, slow.Dropped())
	}
	if st := r.Stats(); st != (Stats{Written: 7, Dropped: 3}) {
		t.Fatalf("stats %+v", st)
	}
	// A subscriber owns what it receives, apart from the writer's batch.
	if err := r.Write(ctx, evs[:1]); err != nil {
		t.Fatal(err)
	}
	ev := <-fast.C
	evs[0].Alert.Probabilities[0].P = 0.99
	if ev.Alert.Probabilities[0].P != 0.25 {
		t.Fatal("subscriber's event aliases the writer's batch")
	}

	slow.Close()
	slow.Close() // idempotent
	left := 0
	for range slow.C { // C is closed: the loop ends after the buffered event
		left++
	}
	if left != 1 {
		t.Fatalf("%d events buffered in the closed subscription, want 1", left)
	}
	if err := r.Write(ctx, evs[:1]); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Dropped != 3 {
		t.Fatalf("closed subscriber still counted: %+v", st)
	}
	<-fast.C
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-fast.C; ok {
		t.Fatal("ring Close left a subscription open")
	}
	fast.Close() // after the ring closed it: no panic
	if err := r.Write(ctx, evs[:2]); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if _, _, err := r.Subscribe(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	if len(r.Snapshot()) != 4 {
		t.Fatal("snapshot unreadable after close")
	}
}

// A flood with a stalled subscriber finishes promptly, every event counted
// either delivered or dropped.
func TestRingFloodNeverBlocks(t *testing.T) {
	r, err := NewRing(16)
	if err != nil {
		t.Fatal(err)
	}
	sub, _, err := r.Subscribe(8)
	if err != nil {
		t.Fatal(err)
	}
	evs := connAlerts(t, 100)
	start := time.Now()
	for range 100 {
		if err := r.Write(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("10,000 events took %v", d)
	}
	if sub.Dropped() != 10000-8 || len(sub.C) != 8 {
		t.Fatalf("dropped %d, buffered %d", sub.Dropped(), len(sub.C))
	}
}

func TestRingArgs(t *testing.T) {
	if _, err := NewRing(0); err == nil {
		t.Error("NewRing(0) accepted")
	}
	r, _ := NewRing(1)
	if _, _, err := r.Subscribe(0); err == nil {
		t.Error("Subscribe(0) accepted")
	}
}

func TestRingWriteAllocs(t *testing.T) {
	r, err := NewRing(8)
	if err != nil {
		t.Fatal(err)
	}
	evs := connAlerts(t, 16)
	ctx := context.Background()
	_ = r.Write(ctx, evs) // warm the slots' slices
	allocs := testing.AllocsPerRun(50, func() {
		if err := r.Write(ctx, evs); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch without subscribers, want 0", allocs)
	}
}
