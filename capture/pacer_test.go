package capture

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// fakeClock records the sleeps asked of it and advances its time by them.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
	// onSleep, if set, runs before each sleep; a non-nil error is returned
	// instead of sleeping.
	onSleep func() error
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.onSleep != nil {
		if err := c.onSleep(); err != nil {
			return err
		}
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

var (
	wall0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	pkt0  = time.Date(2001, 9, 9, 1, 46, 40, 123456789, time.UTC)
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestPacerSleeps(t *testing.T) {
	// Packet offsets from the first packet.
	offsets := []time.Duration{0, time.Second, 1500 * time.Millisecond, 3 * time.Second, 3 * time.Second, 2 * time.Second}
	for _, tc := range []struct {
		speed float64
		want  []time.Duration
	}{
		// The fifth packet is due with the fourth, the sixth is late: no
		// sleep for either.
		{1, []time.Duration{time.Second, 500 * time.Millisecond, 1500 * time.Millisecond}},
		{10, []time.Duration{100 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond}},
		{0.5, []time.Duration{2 * time.Second, time.Second, 3 * time.Second}},
	} {
		clk := &fakeClock{now: wall0}
		p, err := NewPacer(tc.speed, clk)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range offsets {
			if err := p.Wait(context.Background(), pkt0.Add(off)); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(clk.sleeps, tc.want) {
			t.Errorf("speed %v: sleeps %v, want %v", tc.speed, clk.sleeps, tc.want)
		}
	}
}

// TestPacerNoDrift checks that the caller's own time between packets is
// taken off the next sleep, and that a late packet does not shift the
// schedule of the later ones.
func TestPacerNoDrift(t *testing.T) {
	clk := &fakeClock{now: wall0}
	p, _ := NewPacer(2, clk)
	offsets := []time.Duration{0, time.Second, 1500 * time.Millisecond, 2 * time.Second, 10 * time.Second, 11 * time.Second}
	work := []time.Duration{300 * time.Millisecond, 100 * time.Millisecond, 3 * time.Second, 0, 200 * time.Millisecond, 0}
	wantSleeps := []time.Duration{200 * time.Millisecond, 150 * time.Millisecond, 1250 * time.Millisecond, 300 * time.Millisecond}
	for i, off := range offsets {
		if err := p.Wait(context.Background(), pkt0.Add(off)); err != nil {
			t.Fatal(err)
		}
		due := wall0.Add(off / 2)
		if late := clk.now.Sub(due); late < 0 || (late > 0 && i != 3) {
			// Packet 4 (index 3) is due at wall0+1s but the caller took
			// 3s over packet 3: it is released late, at once.
			t.Errorf("packet %d released at %v, due %v", i, clk.now.Sub(wall0), due.Sub(wall0))
		}
		clk.now = clk.now.Add(work[i])
	}
	if !slices.Equal(clk.sleeps, wantSleeps) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, wantSleeps)
	}
}

// TestPacerShortGaps checks that waits under minSleep are skipped without
// drift: the packet after them waits for its own slot.
func TestPacerShortGaps(t *testing.T) {
	clk := &fakeClock{now: wall0}
	p, _ := NewPacer(1, clk)
	for _, off := range []time.Duration{0, 10 * time.Microsecond, 30 * time.Microsecond, 200 * time.Microsecond} {
		if err := p.Wait(context.Background(), pkt0.Add(off)); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{200 * time.Microsecond}; !slices.Equal(clk.sleeps, want) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, want)
	}
}

func TestPacerZeroTimestamp(t *testing.T) {
	clk := &fakeClock{now: wall0}
	p, _ := NewPacer(1, clk)
	// A packet without time neither waits nor starts the schedule.
	for _, ts := range []time.Time{{}, pkt0, {}, pkt0.Add(time.Second)} {
		if err := p.Wait(context.Background(), ts); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{time.Second}; !slices.Equal(clk.sleeps, want) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, want)
	}
}

func TestNewPacerRejects(t *testing.T) {
	for _, s := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewPacer(s, nil); err == nil {
			t.Errorf("NewPacer(%v) accepted", s)
		}
	}
}

// TestPacerCancel checks that a real wait ends promptly on cancellation.
func TestPacerCancel(t *testing.T) {
	p, err := NewPacer(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background(), pkt0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	err = p.Wait(ctx, pkt0.Add(time.Hour))
	if d := time.Since(start); !errors.Is(err, context.Canceled) || d > 500*time.Millisecond {
		t.Fatalf("Wait: %v after %v, want context.Canceled within 500ms", err, d)
	}
	// A short real wait completes, and is not shorter than asked.
	p2, _ := NewPacer(1, nil)
	_ = p2.Wait(context.Background(), pkt0)
	start = time.Now()
	if err := p2.Wait(context.Background(), pkt0.Add(30*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Errorf("a 30ms slot was released after %v", d)
	}
}

// TestFilesPacing replays a real file at 10x with a fake clock: every packet
// is released at its slot.
func TestFilesPacing(t *testing.T) {
	clk := &fakeClock{now: wall0}
	path := publicPcap(t, "http-wikipedia.pcap")
	src, err := OpenFiles([]string{path}, FileOptions{Speed: 10, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	// The fake clock only moves by sleeps, so each packet is released at
	// its slot, or at once if the slot has passed or is under minSleep
	// away.
	var first time.Time
	prev := wall0
	n := 0
	for {
		_, info, err := src.ReadPacket(context.Background())
		if err != nil {
			break
		}
		if n == 0 {
			first = info.Timestamp
		}
		n++
		due := wall0
		if off := info.Timestamp.Sub(first); off > 0 {
			due = wall0.Add(off / 10)
		}
		latest := due
		if prev.After(latest) {
			latest = prev
		}
		if clk.now.Before(due.Add(-minSleep)) || clk.now.After(latest) {
			t.Fatalf("packet %d released at %v, due at %v", info.Packet, clk.now.Sub(wall0), due.Sub(wall0))
		}
		prev = clk.now
	}
	if n != 136 {
		t.Fatalf("%d packets", n)
	}
	if len(clk.sleeps) == 0 {
		t.Error("no sleep")
	}
}

// TestFilesPacingCancel cancels the context during a pacing wait: the
// packet is not lost but returned by the next call.
func TestFilesPacingCancel(t *testing.T) {
	clk := &fakeClock{now: wall0}
	src, err := OpenFiles([]string{publicPcap(t, "icmp-5-pings.pcap")}, FileOptions{Speed: 1, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, info, err := src.ReadPacket(ctx); err != nil || info.Packet != 1 {
		t.Fatalf("%v %+v", err, info)
	}
	clk.onSleep = func() error { cancel(); return ctx.Err() }
	for {
		_, _, err := src.ReadPacket(ctx)
		if errors.Is(err, context.Canceled) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.onSleep = nil
	got := []uint64{}
	for {
		_, info, err := src.ReadPacket(context.Background())
		if err != nil {
			break
		}
		got = append(got, info.Packet)
	}
	if len(got) == 0 || got[0] < 2 {
		t.Fatalf("after the cancel: %v", got)
	}
	if want := seq(got[0], 10); !slices.Equal(got, want) {
		t.Errorf("packets %v, want %v", got, want)
	}
	if st := src.Stats(); st.Received != 10 {
		t.Errorf("stats %+v", st)
	}
}

func TestParseSpeed(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		bad  bool
	}{
		{"", 0, false}, {"max", 0, false}, {"0", 0, false}, {"realtime", 1, false}, {"RealTime", 1, false},
		{"1x", 1, false}, {"10x", 10, false}, {"2.5", 2.5, false}, {"0.5x", 0.5, false},
		{"-2x", 0, true}, {"fastest", 0, true}, {"x", 0, true}, {"NaN", 0, true}, {"inf", 0, true},
	} {
		got, err := ParseSpeed(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseSpeed(%q) = %v, %v", tc.in, got, err)
		}
	}
}
