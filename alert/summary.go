package alert

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Emit says whether individual alerts are still written when summarising.
type Emit uint8

// Emit modes; the zero value writes every alert.
const (
	// EmitAllAlerts forwards every alert and adds the summaries: no detail
	// is lost, and the summaries give the overview.
	EmitAllAlerts Emit = iota
	// EmitSummaryOnly forwards summaries instead of alerts: a flood of
	// tens of thousands of alerts becomes a few lines; each summary's
	// first and last flow point at the packets.
	EmitSummaryOnly
)

// String returns the flag spelling ("all-alerts", "summary-only").
func (e Emit) String() string {
	switch e {
	case EmitAllAlerts:
		return "all-alerts"
	case EmitSummaryOnly:
		return "summary-only"
	}
	return fmt.Sprintf("Emit(%d)", uint8(e))
}

// ParseEmit parses the --emit flag: "all-alerts" or "summary-only".
func ParseEmit(s string) (Emit, error) {
	switch s {
	case "all-alerts":
		return EmitAllAlerts, nil
	case "summary-only":
		return EmitSummaryOnly, nil
	}
	return 0, fmt.Errorf("alert: --emit %q: want all-alerts or summary-only", s)
}

// maxSummaryFlags bounds the distinct flags a summary counts; the rest are
// counted under "other".
const maxSummaryFlags = 16

// SummarizerOptions configures a Summarizer.
type SummarizerOptions struct {
	// Interval is the roll-up interval (--alert-summary); it must be
	// positive.
	Interval time.Duration
	// Emit says whether individual alerts are forwarded too.
	Emit Emit
	// MaxGroups bounds the groups of one interval; default 10,000. Alerts
	// of new (source, destination) pairs beyond it are summed in one
	// overflow group per category, written without addresses.
	MaxGroups int
}

// SummaryStats counts a Summarizer's work.
type SummaryStats struct {
	// Alerts counts the alerts aggregated.
	Alerts uint64
	// Summaries counts the summary events emitted.
	Summaries uint64
	// Suppressed counts the alerts not forwarded (EmitSummaryOnly).
	Suppressed uint64
	// Late counts alerts older than the current interval, which are
	// counted in the current interval.
	Late uint64
	// Overflow counts the alerts summed in overflow groups.
	Overflow uint64
}

// Summarizer is a Sink that rolls alerts up: per interval of packet time and
// per (source address, destination address, family, category) it emits one
// alert_summary event, with the alert count, the flows by EVE state and by
// KDD flag, the maximum and mean score, and the first and last flow (by
// time). Within a family, categories are one per class (see
// LookupSignature), so a group holds one signature.
//
// Intervals are aligned multiples of Interval (time.Time.Truncate: to
// midnight UTC for intervals dividing a day). Time is packet time: an
// interval's groups are flushed when an event of a later interval arrives,
// when Advance moves time past the interval (the daemon calls it when an
// idle capture advances time), and by Flush and Close (end of input).
// Alerts that arrive after their interval was flushed are counted in the
// current one (SummaryStats.Late). Flow events pass through unchanged, as do
// summaries from elsewhere. Summaries go to the next sink in the same batch
// as the events around them, before the event that closed the interval.
type Summarizer struct {
	mu     sync.Mutex
	next   Sink
	opts   SummarizerOptions
	cur    time.Time // start of the current interval
	have   bool
	index  map[groupKey]int
	groups []group
	out    []Event
	closed bool

	alerts, summaries, suppressed, late, overflow atomic.Uint64
}

type groupKey struct {
	src, dst         netip.Addr
	family, category string
	overflow         bool
}

type group struct {
	ev       Event // the summary being built
	scoreSum float64
}

// NewSummarizer returns a Summarizer writing to next.
func NewSummarizer(next Sink, opts SummarizerOptions) (*Summarizer, error) {
	if next == nil {
		return nil, errors.New("alert: summarizer: nil next sink")
	}
	if opts.Interval <= 0 {
		return nil, fmt.Errorf("alert: summarizer: --alert-summary interval %v, want a positive duration", opts.Interval)
	}
	if opts.Emit > EmitSummaryOnly {
		return nil, fmt.Errorf("alert: summarizer: unknown emit mode %d", uint8(opts.Emit))
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = 10_000
	}
	return &Summarizer{next: next, opts: opts, index: make(map[groupKey]int)}, nil
}

// String names the sink.
func (s *Summarizer) String() string {
	return fmt.Sprintf("summarizer (%v, %v) -> %s", s.opts.Interval, s.opts.Emit, sinkName(s.next))
}

// Write aggregates the batch's alerts and forwards the rest, with any
// summaries of intervals the batch closed, to the next sink.
func (s *Summarizer) Write(ctx context.Context, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("alert: %s: %d events: %w: %w", s, len(events), ErrDropped, ErrClosed)
	}
	out := s.out[:0]
	for i := range events {
		ev := &events[i]
		if ev.Type == TypeSummary || ev.Time.IsZero() {
			// Not ours to aggregate; an invalid event is rejected, with
			// its reason, by the encoder downstream.
			out = append(out, *ev)
			continue
		}
		iv := ev.Time.Truncate(s.opts.Interval)
		switch {
		case !s.have:
			s.cur, s.have = iv, true
		case iv.After(s.cur):
			out = s.flushInto(out)
			s.cur = iv
		case iv.Before(s.cur) && ev.Type == TypeAlert:
			s.late.Add(1)
		}
		if ev.Type == TypeAlert {
			s.add(ev)
			if s.opts.Emit == EmitSummaryOnly {
				s.suppressed.Add(1)
				continue
			}
		}
		out = append(out, *ev)
	}
	return s.send(ctx, out)
}

// send writes out to the next sink and keeps the slice for reuse.
func (s *Summarizer) send(ctx context.Context, out []Event) error {
	var err error
	if len(out) > 0 {
		err = s.next.Write(ctx, out)
	}
	clear(out) // drop references to the events' strings and slices
	s.out = out[:0]
	return err
}

// add aggregates one alert into its group.
func (s *Summarizer) add(ev *Event) {
	s.alerts.Add(1)
	key := groupKey{src: ev.SrcIP, dst: ev.DestIP, family: ev.Alert.Family, category: ev.Alert.Signature.Category}
	gi, ok := s.index[key]
	if !ok && len(s.groups) >= s.opts.MaxGroups {
		key = groupKey{family: key.family, category: key.category, overflow: true}
		gi, ok = s.index[key]
		s.overflow.Add(1)
	}
	if !ok {
		g := group{ev: Event{
			Type:    TypeSummary,
			SrcIP:   key.src,
			DestIP:  key.dst,
			InIface: ev.InIface,
			Alert: Alert{
				Signature: ev.Alert.Signature,
				Model:     ev.Alert.Model,
				Family:    ev.Alert.Family,
			},
			Summary: Summary{
				IntervalStart: s.cur,
				IntervalEnd:   s.cur.Add(s.opts.Interval),
				Overflow:      key.overflow,
			},
		}}
		gi = len(s.groups)
		s.groups = append(s.groups, g)
		s.index[key] = gi
	}
	g := &s.groups[gi]
	sm := &g.ev.Summary
	sm.Alerts++
	switch ev.Flow.State {
	case StateNew:
		sm.FlowsNew++
	case StateEstablished:
		sm.FlowsEstablished++
	case StateClosed:
		sm.FlowsClosed++
	}
	if f := ev.KDD.Flag; f != "" {
		sm.Flags = countFlag(sm.Flags, f)
	}
	score := ev.Alert.Score
	switch {
	case math.IsNaN(score) || score < 0:
		score = 0
	case score > 1:
		score = 1
	}
	g.scoreSum += score
	sm.ScoreMean = g.scoreSum / float64(sm.Alerts)
	if sm.Alerts == 1 || score > sm.ScoreMax {
		sm.ScoreMax = score
	}
	ref := FlowRef{
		FlowID:      ev.FlowID,
		CommunityID: ev.CommunityID,
		Start:       ev.Flow.Start,
		End:         ev.Time,
		File:        ev.Source.File,
		FirstPacket: ev.Source.FirstPacket,
		LastPacket:  ev.Source.LastPacket,
	}
	if sm.Alerts == 1 {
		sm.First, sm.Last = ref, ref
	} else {
		if ev.Time.Before(sm.First.End) {
			sm.First = ref
		}
		if !ev.Time.Before(sm.Last.End) {
			sm.Last = ref
		}
	}
	g.ev.Time = sm.Last.End
}

// countFlag adds one to flag's count, keeping at most maxSummaryFlags
// distinct flags (the rest count as "other").
func countFlag(flags []FlagCount, flag string) []FlagCount {
	for i := range flags {
		if flags[i].Flag == flag {
			flags[i].Count++
			return flags
		}
	}
	if len(flags) >= maxSummaryFlags-1 && flag != "other" {
		return countFlag(flags, "other")
	}
	return append(flags, FlagCount{Flag: flag, Count: 1})
}

// flushInto appends the current interval's summaries to out and resets the
// groups.
func (s *Summarizer) flushInto(out []Event) []Event {
	for i := range s.groups {
		out = append(out, s.groups[i].ev)
	}
	s.summaries.Add(uint64(len(s.groups)))
	clear(s.groups)
	s.groups = s.groups[:0]
	clear(s.index)
	return out
}

// Advance moves packet time to t: when t is past the current interval, its
// summaries are written to the next sink.
func (s *Summarizer) Advance(ctx context.Context, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.have {
		return nil
	}
	iv := t.Truncate(s.opts.Interval)
	if !iv.After(s.cur) {
		return nil
	}
	out := s.flushInto(s.out[:0])
	s.cur = iv
	return s.send(ctx, out)
}

// Flush writes the summaries of the current interval now (end of input).
func (s *Summarizer) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.send(ctx, s.flushInto(s.out[:0]))
}

// Close flushes the summaries, then closes the next sink.
func (s *Summarizer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	ferr := s.send(context.Background(), s.flushInto(s.out[:0]))
	s.closed = true
	s.mu.Unlock()
	return errors.Join(ferr, s.next.Close())
}

// Reopen reopens the next sink when it is a Reopener.
func (s *Summarizer) Reopen() error {
	if r, ok := s.next.(Reopener); ok {
		return r.Reopen()
	}
	return nil
}

// Stats returns the next sink's Stats (zero if it does not count).
func (s *Summarizer) Stats() Stats {
	if r, ok := s.next.(StatsReporter); ok {
		return r.Stats()
	}
	return Stats{}
}

// SummaryStats returns the summarizer's own counters.
func (s *Summarizer) SummaryStats() SummaryStats {
	return SummaryStats{
		Alerts:     s.alerts.Load(),
		Summaries:  s.summaries.Load(),
		Suppressed: s.suppressed.Load(),
		Late:       s.late.Load(),
		Overflow:   s.overflow.Load(),
	}
}
