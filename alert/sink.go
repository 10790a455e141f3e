package alert

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("alert: sink closed")

// ErrDropped is wrapped by Write errors that report events dropped by a
// bound (a full buffer while disconnected, a closed sink).
var ErrDropped = errors.New("alert: events dropped")

// Sink delivers batches of events.
//
// Write delivers (or queues) events and returns an error when some of
// them were not: the error says how many and why, and the sink's Stats
// count them. A Write error is not fatal: the sink keeps working and the
// daemon should log it and go on. Write does not give up a batch because
// ctx is done (the daemon drains in-flight events after cancelling); ctx
// only bounds waits. Write must not retain events or their slices after it
// returns. Close flushes what the sink holds and releases it; Write after
// Close returns ErrClosed.
type Sink interface {
	Write(ctx context.Context, events []Event) error
	Close() error
}

// Stats are a sink's counters since it was made.
type Stats struct {
	// Written counts events delivered (or, for the Ring, stored).
	Written uint64
	// Failed counts events that could not be encoded or delivered.
	Failed uint64
	// Dropped counts events discarded by a bound: a full buffer, a slow
	// subscriber, events left when a sink was closed.
	Dropped uint64
	// Clamped counts non-finite or out-of-range numbers the encoder
	// replaced (see Encoder.Clamped).
	Clamped uint64
}

// Add returns the field-wise sum of s and o.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Written: s.Written + o.Written,
		Failed:  s.Failed + o.Failed,
		Dropped: s.Dropped + o.Dropped,
		Clamped: s.Clamped + o.Clamped,
	}
}

// StatsReporter is implemented by sinks that count.
type StatsReporter interface {
	Stats() Stats
}

// Reopener is implemented by sinks that can reopen their output, as the
// daemon does on SIGHUP after logrotate renamed the file.
type Reopener interface {
	Reopen() error
}

// counters are a sink's Stats, safe for concurrent use.
type counters struct {
	written, failed, dropped, clamped atomic.Uint64
}

func (c *counters) stats() Stats {
	return Stats{
		Written: c.written.Load(),
		Failed:  c.failed.Load(),
		Dropped: c.dropped.Load(),
		Clamped: c.clamped.Load(),
	}
}

// sinkName names a sink in errors: its String method, or its type.
func sinkName(s Sink) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%T", s)
}

// Multi fans a batch out to several sinks. A failing sink does not stop
// the others: Write writes to every sink in order and joins their errors,
// each prefixed with the sink's position and name.
type Multi struct {
	sinks []Sink
}

// NewMulti returns a Multi over sinks (nil sinks are skipped).
func NewMulti(sinks ...Sink) *Multi {
	m := &Multi{}
	for _, s := range sinks {
		if s != nil {
			m.sinks = append(m.sinks, s)
		}
	}
	return m
}

// String names the sink.
func (m *Multi) String() string { return fmt.Sprintf("multi (%d sinks)", len(m.sinks)) }

// Write writes events to every sink.
func (m *Multi) Write(ctx context.Context, events []Event) error {
	var errs []error
	for i, s := range m.sinks {
		if err := s.Write(ctx, events); err != nil {
			errs = append(errs, fmt.Errorf("alert: sink %d (%s): %w", i, sinkName(s), err))
		}
	}
	return errors.Join(errs...)
}

// Close closes every sink and joins their errors.
func (m *Multi) Close() error {
	var errs []error
	for i, s := range m.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("alert: closing sink %d (%s): %w", i, sinkName(s), err))
		}
	}
	return errors.Join(errs...)
}

// Reopen reopens every sink that is a Reopener and joins their errors.
func (m *Multi) Reopen() error {
	var errs []error
	for i, s := range m.sinks {
		if r, ok := s.(Reopener); ok {
			if err := r.Reopen(); err != nil {
				errs = append(errs, fmt.Errorf("alert: reopening sink %d (%s): %w", i, sinkName(s), err))
			}
		}
	}
	return errors.Join(errs...)
}

// Stats returns the sum of the sinks' Stats (an event written to two sinks
// counts twice); SinkStats has them one by one.
func (m *Multi) Stats() Stats {
	var t Stats
	for _, s := range m.SinkStats() {
		t = t.Add(s)
	}
	return t
}

// SinkStats returns each sink's Stats, in order (zero for sinks that do not
// count).
func (m *Multi) SinkStats() []Stats {
	out := make([]Stats, len(m.sinks))
	for i, s := range m.sinks {
		if r, ok := s.(StatsReporter); ok {
			out[i] = r.Stats()
		}
	}
	return out
}
