package alert

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// ErrInvalidEvent is wrapped by the errors of events the encoder rejects;
// the message names the field.
var ErrInvalidEvent = errors.New("alert: invalid event")

// ErrLoggerDisabled is returned when zerolog refuses to log: something in
// the process called zerolog.SetGlobalLevel(zerolog.Disabled). Alerts are
// then not written, loudly, rather than silently.
var ErrLoggerDisabled = errors.New("alert: zerolog is globally disabled (zerolog.SetGlobalLevel(Disabled)); alerts cannot be written")

// EncoderOptions configures an Encoder.
type EncoderOptions struct {
	// Host is the sensor name, written as "host" (EVE's sensor-name);
	// omitted when empty.
	Host string
	// FeatureNames, when set, makes the encoder write kdd.features: an
	// object from these names to Event.KDD.Features, in this order. The
	// names must be distinct. When empty, features are not written.
	FeatureNames []string
}

// Encoder writes Events as JSON lines with zerolog. It is not safe for
// concurrent use (each sink owns one); after warm-up it does not allocate.
type Encoder struct {
	opts    EncoderOptions
	out     lineBuffer
	log     zerolog.Logger
	scratch []byte
	clamped uint64
}

// lineBuffer is the zerolog writer: it appends each line to the slice the
// current AppendLine call supplied, and never fails.
type lineBuffer struct{ b []byte }

// Write appends p.
func (l *lineBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	return len(p), nil
}

// NewEncoder returns an Encoder. It fails when FeatureNames repeats a name.
func NewEncoder(opts EncoderOptions) (*Encoder, error) {
	seen := make(map[string]int, len(opts.FeatureNames))
	for i, n := range opts.FeatureNames {
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("alert: encoder options: feature name %q appears at %d and %d", n, j, i)
		}
		seen[n] = i
	}
	opts.FeatureNames = append([]string(nil), opts.FeatureNames...)
	e := &Encoder{opts: opts, scratch: make([]byte, 0, 64)}
	e.log = zerolog.New(&e.out)
	return e, nil
}

// Clamped returns how many non-finite or out-of-range numbers the encoder
// replaced so far (NaN by 0, infinities and out-of-range probabilities by
// the nearest bound).
func (e *Encoder) Clamped() uint64 { return e.clamped }

// AppendLine appends ev to dst as one JSON object and a newline. On error
// (an invalid event) it returns dst unchanged and an error wrapping
// ErrInvalidEvent that names the field.
func (e *Encoder) AppendLine(dst []byte, ev *Event) ([]byte, error) {
	if err := e.validate(ev); err != nil {
		return dst, err
	}
	e.out.b = dst
	z := e.log.Log()
	if z == nil {
		e.out.b = nil
		return dst, ErrLoggerDisabled
	}
	e.timeField(z, "timestamp", ev.Time)
	if e.opts.Host != "" {
		z.Str("host", e.opts.Host)
	}
	switch ev.Type {
	case TypeAlert, TypeFlow:
		e.connection(z, ev)
	case TypeSummary:
		e.summary(z, ev)
	}
	z.Send()
	dst = e.out.b
	e.out.b = nil
	return dst, nil
}

// connection writes an alert or flow event.
func (e *Encoder) connection(z *zerolog.Event, ev *Event) {
	z.Uint64("flow_id", ev.FlowID)
	if ev.InIface != "" {
		z.Str("in_iface", ev.InIface)
	}
	z.Str("event_type", ev.Type.String())
	e.vlan(z, ev.VLAN)
	icmp, ports := isICMP(ev.Proto), hasPorts(ev.Proto)
	e.ip(z, "src_ip", ev.SrcIP)
	if icmp {
		z.Uint8("icmp_type", ev.ICMPType)
	} else if ports {
		z.Uint16("src_port", ev.SrcPort)
	}
	e.ip(z, "dest_ip", ev.DestIP)
	if icmp {
		z.Uint8("icmp_code", ev.ICMPCode)
	} else if ports {
		z.Uint16("dest_port", ev.DestPort)
	}
	if s := knownProto(ev.Proto); s != "" {
		z.Str("proto", s)
	} else {
		e.scratch = strconv.AppendUint(append(e.scratch[:0], '"'), uint64(ev.Proto), 10)
		z.RawJSON("proto", append(e.scratch, '"'))
	}
	if ev.CommunityID != "" {
		z.Str("community_id", ev.CommunityID)
	}
	if ev.Type == TypeAlert {
		e.alert(z, &ev.Alert, true)
	}
	if ev.AppProto != "" {
		z.Str("app_proto", ev.AppProto)
	}
	e.flow(z, ev)
	e.kdd(z, &ev.KDD)
	e.source(z, &ev.Source)
}

// summary writes an alert_summary event.
func (e *Encoder) summary(z *zerolog.Event, ev *Event) {
	if ev.InIface != "" {
		z.Str("in_iface", ev.InIface)
	}
	z.Str("event_type", ev.Type.String())
	if ev.SrcIP.IsValid() {
		e.ip(z, "src_ip", ev.SrcIP)
	}
	if ev.DestIP.IsValid() {
		e.ip(z, "dest_ip", ev.DestIP)
	}
	e.alert(z, &ev.Alert, false)
	s := &ev.Summary
	d := zerolog.Dict()
	e.timeField(d, "interval_start", s.IntervalStart)
	e.timeField(d, "interval_end", s.IntervalEnd)
	d.Uint64("alerts", s.Alerts)
	d.Dict("flows", zerolog.Dict().
		Uint64("new", s.FlowsNew).
		Uint64("established", s.FlowsEstablished).
		Uint64("closed", s.FlowsClosed))
	if len(s.Flags) > 0 {
		f := zerolog.Dict()
		for _, fc := range s.Flags {
			f.Uint64(fc.Flag, fc.Count)
		}
		d.Dict("flags", f)
	}
	e.prob(d, "score_max", s.ScoreMax)
	e.prob(d, "score_mean", s.ScoreMean)
	if s.Overflow {
		d.Bool("overflow", true)
	}
	d.Dict("first", e.flowRef(&s.First))
	d.Dict("last", e.flowRef(&s.Last))
	z.Dict("summary", d)
}

func (e *Encoder) flowRef(r *FlowRef) *zerolog.Event {
	d := zerolog.Dict()
	d.Uint64("flow_id", r.FlowID)
	if r.CommunityID != "" {
		d.Str("community_id", r.CommunityID)
	}
	if !r.Start.IsZero() {
		e.timeField(d, "start", r.Start)
	}
	if !r.End.IsZero() {
		e.timeField(d, "end", r.End)
	}
	if r.File != "" {
		d.Str("file", r.File)
	}
	d.Uint64("first_packet", r.FirstPacket)
	d.Uint64("last_packet", r.LastPacket)
	return d
}

func (e *Encoder) alert(z *zerolog.Event, a *Alert, verdict bool) {
	d := zerolog.Dict()
	d.Str("action", "allowed")
	d.Uint8("gid", 1)
	d.Uint32("signature_id", a.Signature.ID)
	d.Uint32("rev", a.Signature.Rev)
	d.Str("signature", a.Signature.Name)
	d.Str("category", a.Signature.Category)
	d.Uint8("severity", a.Signature.Severity)
	if a.Signature.Class != "" {
		d.Str("class", a.Signature.Class)
	}
	if verdict {
		e.prob(d, "score", a.Score)
		if len(a.Probabilities) > 0 {
			p := zerolog.Dict()
			for _, cp := range a.Probabilities {
				e.prob(p, cp.Class, cp.P)
			}
			d.Dict("probabilities", p)
		}
	}
	if a.Model != "" {
		d.Str("model", a.Model)
	}
	if a.Family != "" {
		d.Str("family", a.Family)
	}
	z.Dict("alert", d)
}

func (e *Encoder) flow(z *zerolog.Event, ev *Event) {
	f := &ev.Flow
	d := zerolog.Dict()
	d.Uint64("pkts_toserver", f.PktsToServer)
	d.Uint64("pkts_toclient", f.PktsToClient)
	d.Uint64("bytes_toserver", f.BytesToServer)
	d.Uint64("bytes_toclient", f.BytesToClient)
	end := f.End
	if end.IsZero() {
		end = ev.Time
	}
	if !f.Start.IsZero() {
		e.timeField(d, "start", f.Start)
	}
	e.timeField(d, "end", end)
	if !f.Start.IsZero() {
		// EVE's age: the difference of the whole-second parts.
		d.Int64("age", end.Unix()-f.Start.Unix())
	}
	if f.State != 0 {
		d.Str("state", f.State.String())
	}
	if f.Reason != 0 {
		d.Str("reason", f.Reason.String())
	}
	z.Dict("flow", d)
}

func (e *Encoder) kdd(z *zerolog.Event, k *KDD) {
	writeFeatures := len(e.opts.FeatureNames) > 0 && len(k.Features) > 0
	if k.Flag == "" && !writeFeatures {
		return
	}
	d := zerolog.Dict()
	if k.Flag != "" {
		d.Str("flag", k.Flag)
	}
	if writeFeatures {
		f := zerolog.Dict()
		for i, v := range k.Features {
			name := e.opts.FeatureNames[i]
			if v.IsText {
				f.Str(name, v.Text)
				continue
			}
			x := v.Num
			switch {
			case math.IsNaN(x):
				x = 0
				e.clamped++
			case math.IsInf(x, 1):
				x = math.MaxFloat64
				e.clamped++
			case math.IsInf(x, -1):
				x = -math.MaxFloat64
				e.clamped++
			}
			e.scratch = strconv.AppendFloat(e.scratch[:0], x, 'g', -1, 64)
			f.RawJSON(name, e.scratch)
		}
		d.Dict("features", f)
	}
	z.Dict("kdd", d)
}

func (e *Encoder) source(z *zerolog.Event, s *Source) {
	if s.File == "" && s.FirstPacket == 0 && s.LastPacket == 0 && s.LastFile == "" {
		return
	}
	d := zerolog.Dict()
	if s.File != "" {
		d.Str("file", s.File)
	}
	d.Uint64("first_packet", s.FirstPacket)
	d.Uint64("last_packet", s.LastPacket)
	if s.LastFile != "" && s.LastFile != s.File {
		d.Str("last_file", s.LastFile)
	}
	z.Dict("source", d)
}

func (e *Encoder) vlan(z *zerolog.Event, v VLAN) {
	if v.N == 0 {
		return
	}
	e.scratch = append(e.scratch[:0], '[')
	for i := 0; i < int(v.N); i++ {
		if i > 0 {
			e.scratch = append(e.scratch, ',')
		}
		e.scratch = strconv.AppendUint(e.scratch, uint64(v.IDs[i]), 10)
	}
	z.RawJSON("vlan", append(e.scratch, ']'))
}

func (e *Encoder) ip(z *zerolog.Event, key string, a netip.Addr) {
	e.scratch = a.AppendTo(e.scratch[:0])
	z.Bytes(key, e.scratch)
}

// timeField writes t in TimeFormat (UTC, nanoseconds).
func (e *Encoder) timeField(z *zerolog.Event, key string, t time.Time) {
	e.scratch = append(t.UTC().AppendFormat(append(e.scratch[:0], '"'), TimeFormat), '"')
	z.RawJSON(key, e.scratch)
}

// prob writes a probability with 6 significant digits, clamped to [0, 1]
// (NaN to 0), counting every replacement.
func (e *Encoder) prob(z *zerolog.Event, key string, p float64) {
	switch {
	case math.IsNaN(p):
		p = 0
		e.clamped++
	case p < 0:
		p = 0
		e.clamped++
	case p > 1:
		p = 1
		e.clamped++
	case p == 0:
		p = 0 // no "-0"
	}
	e.scratch = strconv.AppendFloat(e.scratch[:0], p, 'g', 6, 64)
	z.RawJSON(key, e.scratch)
}

// validate checks what the encoder cannot write sensibly.
func (e *Encoder) validate(ev *Event) error {
	switch ev.Type {
	case TypeAlert, TypeFlow, TypeSummary:
	default:
		return fmt.Errorf("%w: field event_type: unknown type %d", ErrInvalidEvent, uint8(ev.Type))
	}
	if err := checkTime("timestamp", ev.Time, true); err != nil {
		return err
	}
	if ev.Type == TypeSummary {
		s := &ev.Summary
		for _, c := range []struct {
			name string
			t    time.Time
			req  bool
		}{
			{"summary.interval_start", s.IntervalStart, true},
			{"summary.interval_end", s.IntervalEnd, true},
			{"summary.first.start", s.First.Start, false},
			{"summary.first.end", s.First.End, false},
			{"summary.last.start", s.Last.Start, false},
			{"summary.last.end", s.Last.End, false},
		} {
			if err := checkTime(c.name, c.t, c.req); err != nil {
				return err
			}
		}
		for i := range s.Flags {
			for j := range i {
				if s.Flags[i].Flag == s.Flags[j].Flag {
					return fmt.Errorf("%w: field summary.flags: flag %q repeated", ErrInvalidEvent, s.Flags[i].Flag)
				}
			}
		}
		return checkSignature(&ev.Alert)
	}
	if !ev.SrcIP.IsValid() {
		return fmt.Errorf("%w: field src_ip: no address", ErrInvalidEvent)
	}
	if !ev.DestIP.IsValid() {
		return fmt.Errorf("%w: field dest_ip: no address", ErrInvalidEvent)
	}
	if ev.VLAN.N > uint8(len(ev.VLAN.IDs)) {
		return fmt.Errorf("%w: field vlan: %d tags (at most %d)", ErrInvalidEvent, ev.VLAN.N, len(ev.VLAN.IDs))
	}
	if err := checkTime("flow.start", ev.Flow.Start, false); err != nil {
		return err
	}
	if err := checkTime("flow.end", ev.Flow.End, false); err != nil {
		return err
	}
	if end := ev.Flow.End; !ev.Flow.Start.IsZero() {
		if end.IsZero() {
			end = ev.Time
		}
		if end.Before(ev.Flow.Start) {
			return fmt.Errorf("%w: field flow.start: %s is after the end %s", ErrInvalidEvent,
				ev.Flow.Start.UTC().Format(TimeFormat), end.UTC().Format(TimeFormat))
		}
	}
	if ev.Flow.State > StateClosed {
		return fmt.Errorf("%w: field flow.state: unknown state %d", ErrInvalidEvent, uint8(ev.Flow.State))
	}
	if ev.Flow.Reason > ReasonClosed {
		return fmt.Errorf("%w: field flow.reason: unknown reason %d", ErrInvalidEvent, uint8(ev.Flow.Reason))
	}
	if n := len(e.opts.FeatureNames); n > 0 && len(ev.KDD.Features) > 0 && len(ev.KDD.Features) != n {
		return fmt.Errorf("%w: field kdd.features: %d values for %d feature names", ErrInvalidEvent, len(ev.KDD.Features), n)
	}
	if ev.Type == TypeAlert {
		if err := checkSignature(&ev.Alert); err != nil {
			return err
		}
		ps := ev.Alert.Probabilities
		for i := range ps {
			for j := range i {
				if ps[i].Class == ps[j].Class {
					return fmt.Errorf("%w: field alert.probabilities: class %q repeated", ErrInvalidEvent, ps[i].Class)
				}
			}
		}
	}
	return nil
}

func checkSignature(a *Alert) error {
	if a.Signature.ID == 0 || a.Signature.Name == "" {
		return fmt.Errorf("%w: field alert.signature: no signature (ID %d, name %q)", ErrInvalidEvent, a.Signature.ID, a.Signature.Name)
	}
	return nil
}

// checkTime rejects times RFC 3339 cannot write (years outside 1-9999) and,
// when required, the zero time.
func checkTime(field string, t time.Time, required bool) error {
	if t.IsZero() {
		if required {
			return fmt.Errorf("%w: field %s: zero time", ErrInvalidEvent, field)
		}
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%w: field %s: year %d outside 1-9999", ErrInvalidEvent, field, y)
	}
	return nil
}
