package capture

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Clock is the time source of a Pacer. The zero configuration uses the wall
// clock; tests inject a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns
	// ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// minSleep is the shortest wait a Pacer performs. Shorter waits are skipped:
// the schedule is absolute, so the packets that follow still wait for their
// own slots and nothing drifts, while a flood replayed in real time does not
// cost one timer per packet.
const minSleep = 50 * time.Microsecond

// Pacer releases packets in packet time, scaled by a speed factor. Packet
// time t is released at wall time start + (t - t0)/speed, where t0 is the
// timestamp of the first packet and start the wall time at which it was
// released. A Pacer is used by one goroutine.
type Pacer struct {
	speed   float64
	clock   Clock
	started bool
	t0      time.Time // packet time of the first packet
	start   time.Time // wall time at which the first packet was released
}

// NewPacer returns a Pacer for the given speed (1 = real time, 10 = ten times
// faster). clock nil means the wall clock.
func NewPacer(speed float64, clock Clock) (*Pacer, error) {
	if !(speed > 0) || math.IsInf(speed, 0) {
		return nil, fmt.Errorf("capture: pacing speed %v: must be a finite number > 0", speed)
	}
	if clock == nil {
		clock = newWallClock()
	}
	return &Pacer{speed: speed, clock: clock}, nil
}

// Wait blocks until the packet with timestamp ts is due. The first call
// fixes the schedule and returns at once. A zero ts (a pcapng simple packet
// block has no timestamp) or a ts before the first packet's is due at once.
// If ctx is done first, Wait returns ctx.Err(); calling Wait again with the
// same ts waits for the same slot.
func (p *Pacer) Wait(ctx context.Context, ts time.Time) error {
	if ts.IsZero() {
		return ctxDone(ctx)
	}
	if !p.started {
		p.started = true
		p.t0 = ts
		p.start = p.clock.Now()
		return ctxDone(ctx)
	}
	d := p.Due(ts).Sub(p.clock.Now())
	if d < minSleep {
		return ctxDone(ctx)
	}
	return p.clock.Sleep(ctx, d)
}

// Due returns the wall time at which the packet with timestamp ts is due. It
// is only meaningful after the first Wait.
func (p *Pacer) Due(ts time.Time) time.Time {
	off := ts.Sub(p.t0)
	if off <= 0 {
		return p.start
	}
	return p.start.Add(time.Duration(float64(off) / p.speed))
}

// ParseSpeed parses a replay speed as given on a command line: "", "0" or
// "max" (as fast as possible: 0), "realtime" (1), or a factor such as "10x",
// "0.5x" or "10".
func ParseSpeed(s string) (float64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "0", "max", "fast":
		return 0, nil
	case "realtime", "real-time", "1x":
		return 1, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "x"), 64)
	if err != nil {
		return 0, fmt.Errorf("capture: speed %q: want realtime, max, or a factor like 10x: %w", s, err)
	}
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("capture: speed %q: must be a finite factor >= 0", s)
	}
	return v, nil
}

// wallClock is the real Clock. It reuses one timer, so that pacing does not
// allocate per packet.
type wallClock struct {
	timer *time.Timer
}

func newWallClock() *wallClock {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &wallClock{timer: t}
}

func (c *wallClock) Now() time.Time { return time.Now() }

func (c *wallClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctxDone(ctx)
	}
	// Since Go 1.23 Reset on a stopped or fired timer leaves no stale value
	// in the channel.
	c.timer.Reset(d)
	select {
	case <-c.timer.C:
		return nil
	case <-ctx.Done():
		c.timer.Stop()
		return ctx.Err()
	}
}
