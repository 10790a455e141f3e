package alert

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Ring is an in-memory sink that keeps the last N events, for tests and the
// web console, and fans new events out to subscribers.
//
// Delivery to subscribers never blocks the writer: each subscription has a
// buffered channel, and an event that does not fit is dropped for that
// subscriber and counted (Subscription.Dropped, and Stats.Dropped in
// total). Events are deep-copied: the ring owns what it keeps, and each
// event sent to subscribers is one copy shared by all of them, to be read,
// not modified.
type Ring struct {
	mu     sync.Mutex
	slots  []Event // slot-owned copies; slices reused across wraps
	next   int     // slot for the next event
	full   bool
	subs   []*Subscription
	closed bool
	c      counters
}

// NewRing returns a ring of the last n events (n >= 1).
func NewRing(n int) (*Ring, error) {
	if n < 1 {
		return nil, fmt.Errorf("alert: ring: size %d, want at least 1", n)
	}
	return &Ring{slots: make([]Event, n)}, nil
}

// String names the sink.
func (r *Ring) String() string { return fmt.Sprintf("ring (%d events)", len(r.slots)) }

// Write stores events, overwriting the oldest, and offers each to every
// subscriber without blocking.
func (r *Ring) Write(_ context.Context, events []Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.c.dropped.Add(uint64(len(events)))
		return fmt.Errorf("alert: %s: %d events: %w: %w", r, len(events), ErrDropped, ErrClosed)
	}
	for i := range events {
		copyEventInto(&r.slots[r.next], &events[i])
		r.next++
		if r.next == len(r.slots) {
			r.next, r.full = 0, true
		}
		if len(r.subs) > 0 {
			ev := cloneEvent(&events[i])
			for _, s := range r.subs {
				select {
				case s.ch <- ev:
				default:
					s.dropped.Add(1)
					r.c.dropped.Add(1)
				}
			}
		}
	}
	r.c.written.Add(uint64(len(events)))
	return nil
}

// Snapshot returns copies of the stored events, oldest first.
func (r *Ring) Snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshotLocked()
}

func (r *Ring) snapshotLocked() []Event {
	var out []Event
	if r.full {
		out = make([]Event, 0, len(r.slots))
		for i := r.next; i < len(r.slots); i++ {
			out = append(out, cloneEvent(&r.slots[i]))
		}
	}
	for i := 0; i < r.next; i++ {
		out = append(out, cloneEvent(&r.slots[i]))
	}
	return out
}

// Subscription receives the events written after it was made, on C, until
// it is closed (C is then closed).
type Subscription struct {
	// C delivers events; it is closed by Close or when the ring closes.
	C       <-chan Event
	ch      chan Event
	r       *Ring
	dropped atomic.Uint64
	closed  bool // guarded by r.mu
}

// Subscribe returns a subscription with a buffer of n events (n >= 1), and,
// taken atomically with it, the stored events oldest first: a console can
// show the backlog and then live events with no gap and no repeat.
func (r *Ring) Subscribe(n int) (*Subscription, []Event, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("alert: %s: subscription buffer %d, want at least 1", r, n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, fmt.Errorf("alert: %s: subscribe: %w", r, ErrClosed)
	}
	ch := make(chan Event, n)
	s := &Subscription{C: ch, ch: ch, r: r}
	r.subs = append(r.subs, s)
	return s, r.snapshotLocked(), nil
}

// Dropped returns how many events this subscriber missed because its
// buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. It is safe to call more than
// once.
func (s *Subscription) Close() {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.r.subs = slices.DeleteFunc(s.r.subs, func(x *Subscription) bool { return x == s })
	close(s.ch)
}

// Close ends every subscription; later writes fail with ErrClosed. The
// stored events stay readable with Snapshot.
func (r *Ring) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	for _, s := range r.subs {
		s.closed = true
		close(s.ch)
	}
	r.subs = nil
	return nil
}

// Stats returns the ring's counters: Written counts stored events, Dropped
// the events subscribers missed (and batches refused after Close).
func (r *Ring) Stats() Stats { return r.c.stats() }

// cloneEvent returns a deep copy of ev (its slices copied; empty slices
// become nil).
func cloneEvent(ev *Event) Event {
	out := *ev
	out.Alert.Probabilities = cloneNonEmpty(ev.Alert.Probabilities)
	out.KDD.Features = cloneNonEmpty(ev.KDD.Features)
	out.Summary.Flags = cloneNonEmpty(ev.Summary.Flags)
	return out
}

func cloneNonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// copyEventInto deep-copies src into dst, reusing dst's slices' capacity,
// so that a warm ring does not allocate.
func copyEventInto(dst, src *Event) {
	probs, feats, flags := dst.Alert.Probabilities, dst.KDD.Features, dst.Summary.Flags
	*dst = *src
	dst.Alert.Probabilities = append(probs[:0], src.Alert.Probabilities...)
	dst.KDD.Features = append(feats[:0], src.KDD.Features...)
	dst.Summary.Flags = append(flags[:0], src.Summary.Flags...)
}
