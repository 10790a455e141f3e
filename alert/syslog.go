package alert

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// syslogTimeFormat is RFC 5424's TIMESTAMP: at most six fraction digits.
const syslogTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// SyslogOptions configures a SyslogSink. Zero fields take the defaults
// given.
type SyslogOptions struct {
	// Encoder configures the JSON carried in MSG.
	Encoder EncoderOptions
	// Facility is the syslog facility, 1-23; 0 means local0 (16).
	Facility int
	// Hostname is HOSTNAME; default os.Hostname(). Characters outside
	// printable US-ASCII are replaced by '_'.
	Hostname string
	// AppName is APP-NAME; default "cnids".
	AppName string
	// ProcID is PROCID; default the process ID.
	ProcID string

	// MaxBufferedEvents and MaxBufferedBytes bound the queue of a stream
	// sink (tcp, unix) while it is disconnected or slow; default 100,000
	// events and 64 MiB. Events beyond either bound are dropped, counted.
	MaxBufferedEvents int
	MaxBufferedBytes  int
	// DialTimeout bounds a connection attempt; default 5 s.
	DialTimeout time.Duration
	// WriteTimeout bounds one write; default 10 s for streams, 1 s for
	// datagrams.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed connection
	// attempts, which doubles from MinBackoff to MaxBackoff; default
	// 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// CloseTimeout bounds how long Close waits for a stream's queue to
	// drain; default 5 s. What is left is dropped, counted.
	CloseTimeout time.Duration
	// MaxMessageSize bounds a datagram (udp, unixgram); default 65,507
	// bytes (the largest UDP payload over IPv4). Larger messages fail,
	// counted: JSON cannot be cut.
	MaxMessageSize int
}

// SyslogStatus is a SyslogSink's transport state.
type SyslogStatus struct {
	// Connected is whether a stream sink has a connection now (datagram
	// sinks are always "connected").
	Connected bool
	// Buffered and BufferedBytes are the queued messages of a stream sink.
	Buffered, BufferedBytes int
	// Connects and DialFailures count connection attempts that succeeded
	// and failed.
	Connects, DialFailures uint64
	// LastError is the last transport error, if any.
	LastError string
}

// SyslogSink sends each event as one RFC 5424 syslog message whose MSG is
// the event's JSON line (without the newline):
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - JSON
//
// TIMESTAMP is the event's packet time, in UTC, with microseconds (RFC
// 5424 allows six fraction digits; the JSON keeps nanoseconds). MSGID is
// the event_type. PRI is facility*8 plus a severity from the event: alerts
// of severity 1 are critical (2), 2 error (3), 3 and other values warning
// (4); summaries are notice (5), flows informational (6).
//
// Over "udp" and "unixgram" each message is one datagram, sent
// synchronously; failures are counted. Over "tcp" and "unix" (stream)
// messages are framed by octet counting (RFC 6587: "LEN SP MSG") and sent
// by a background goroutine: Write only queues. The sender connects,
// reconnects with exponential backoff, and resends what a failed write did
// not complete. While disconnected the queue holds up to the buffer bounds;
// further events are dropped and counted, the oldest being kept. TCP
// syslog has no acknowledgements: a message written just before the peer
// closes can be lost unnoticed (a reader notices a closed peer before the
// next write, which narrows but cannot close that window).
type SyslogSink struct {
	network, address string
	name             string
	opts             SyslogOptions
	header           []byte // " HOSTNAME APP-NAME PROCID "

	mu     sync.Mutex // guards the encoding state and closed
	enc    *Encoder
	json   []byte
	msg    []byte
	closed bool
	c      counters

	dconn net.Conn // datagram transport
	st    *stream  // stream transport
}

// NewSyslog returns a syslog sink sending to address over network ("udp",
// "udp4", "udp6", "unixgram", "tcp", "tcp4", "tcp6" or "unix"). A datagram
// sink dials at once and fails if it cannot; a stream sink connects in the
// background once it has something to send, and keeps trying.
func NewSyslog(network, address string, opts SyslogOptions) (*SyslogSink, error) {
	name := "syslog " + network + " " + address
	if opts.Facility < 0 || opts.Facility > 23 {
		return nil, fmt.Errorf("alert: %s: facility %d outside 0-23", name, opts.Facility)
	}
	if opts.Facility == 0 {
		opts.Facility = 16
	}
	if opts.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "-"
		}
		opts.Hostname = h
	}
	if opts.AppName == "" {
		opts.AppName = "cnids"
	}
	if opts.ProcID == "" {
		opts.ProcID = strconv.Itoa(os.Getpid())
	}
	setDefault := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDefaultDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setDefault(&opts.MaxBufferedEvents, 100_000)
	setDefault(&opts.MaxBufferedBytes, 64<<20)
	setDefault(&opts.MaxMessageSize, 65507)
	setDefaultDur(&opts.DialTimeout, 5*time.Second)
	setDefaultDur(&opts.MinBackoff, 100*time.Millisecond)
	setDefaultDur(&opts.MaxBackoff, 30*time.Second)
	setDefaultDur(&opts.CloseTimeout, 5*time.Second)
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}

	enc, err := NewEncoder(opts.Encoder)
	if err != nil {
		return nil, fmt.Errorf("alert: %s: %w", name, err)
	}
	s := &SyslogSink{network: network, address: address, name: name, opts: opts, enc: enc}
	s.header = append(s.header, ' ')
	s.header = appendHeaderField(s.header, opts.Hostname, 255)
	s.header = append(s.header, ' ')
	s.header = appendHeaderField(s.header, opts.AppName, 48)
	s.header = append(s.header, ' ')
	s.header = appendHeaderField(s.header, opts.ProcID, 128)
	s.header = append(s.header, ' ')

	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		setDefaultDur(&s.opts.WriteTimeout, time.Second)
		c, err := net.DialTimeout(network, address, s.opts.DialTimeout)
		if err != nil {
			return nil, fmt.Errorf("alert: %s: %w", name, err)
		}
		s.dconn = c
	case "tcp", "tcp4", "tcp6", "unix":
		setDefaultDur(&s.opts.WriteTimeout, 10*time.Second)
		s.st = newStream(network, address, &s.opts, &s.c)
		go s.st.run()
	default:
		return nil, fmt.Errorf("alert: %s: unknown network %q (want udp, udp4, udp6, unixgram, tcp, tcp4, tcp6 or unix)", name, network)
	}
	return s, nil
}

// appendHeaderField appends an RFC 5424 header field: printable US-ASCII
// (33-126), at most max bytes, "-" when empty.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	if len(s) > max {
		s = s[:max]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// String names the sink.
func (s *SyslogSink) String() string { return s.name }

// syslogSeverity maps an event to a syslog severity.
func syslogSeverity(ev *Event) int {
	switch ev.Type {
	case TypeAlert:
		switch ev.Alert.Signature.Severity {
		case 1:
			return 2
		case 2:
			return 3
		}
		return 4
	case TypeSummary:
		return 5
	}
	return 6
}

// appendMessage appends the syslog message of ev, whose JSON line (with its
// newline) is line.
func (s *SyslogSink) appendMessage(dst []byte, ev *Event, line []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(s.opts.Facility*8+syslogSeverity(ev)), 10)
	dst = append(dst, '>', '1', ' ')
	dst = ev.Time.UTC().AppendFormat(dst, syslogTimeFormat)
	dst = append(dst, s.header...)
	dst = append(dst, ev.Type.String()...)
	dst = append(dst, ' ', '-', ' ')
	return append(dst, line[:len(line)-1]...)
}

// Write sends (datagram) or queues (stream) events.
func (s *SyslogSink) Write(ctx context.Context, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.c.dropped.Add(uint64(len(events)))
		return fmt.Errorf("alert: %s: %d events: %w: %w", s.name, len(events), ErrDropped, ErrClosed)
	}
	if s.dconn != nil {
		dl := time.Now().Add(s.opts.WriteTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(dl) {
			dl = d
		}
		_ = s.dconn.SetWriteDeadline(dl)
	}
	var firstEnc, firstSend error
	encFailed, sendFailed, dropped := 0, 0, 0
	for i := range events {
		ev := &events[i]
		var err error
		s.json, err = s.enc.AppendLine(s.json[:0], ev)
		if err != nil {
			encFailed++
			if firstEnc == nil {
				firstEnc = fmt.Errorf("event %d of the batch: %w", i, err)
			}
			continue
		}
		s.msg = s.appendMessage(s.msg[:0], ev, s.json)
		if s.st != nil {
			if !s.st.enqueue(s.msg) {
				dropped++
			}
			continue
		}
		if len(s.msg) > s.opts.MaxMessageSize {
			sendFailed++
			if firstSend == nil {
				firstSend = fmt.Errorf("event %d of the batch: message of %d bytes exceeds MaxMessageSize %d", i, len(s.msg), s.opts.MaxMessageSize)
			}
			continue
		}
		if _, err := s.dconn.Write(s.msg); err != nil {
			sendFailed++
			if firstSend == nil {
				firstSend = fmt.Errorf("event %d of the batch: %w", i, err)
			}
			continue
		}
		s.c.written.Add(1)
	}
	s.c.failed.Add(uint64(encFailed + sendFailed))
	s.c.dropped.Add(uint64(dropped))
	s.c.clamped.Store(s.enc.Clamped())
	var errs []error
	if firstEnc != nil {
		errs = append(errs, fmt.Errorf("alert: %s: %d of %d events not encoded; first: %w", s.name, encFailed, len(events), firstEnc))
	}
	if firstSend != nil {
		errs = append(errs, fmt.Errorf("alert: %s: %d of %d events not sent; first: %w", s.name, sendFailed, len(events), firstSend))
	}
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("alert: %s: %d of %d events: %w: queue full (%d events or %d bytes) while %s",
			s.name, dropped, len(events), ErrDropped, s.opts.MaxBufferedEvents, s.opts.MaxBufferedBytes, s.st.state()))
	}
	return errors.Join(errs...)
}

// Close stops the sink. A stream sink first waits up to CloseTimeout for
// its queue to drain; what is left is dropped, counted, and reported.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	if s.dconn != nil {
		if err := s.dconn.Close(); err != nil {
			return fmt.Errorf("alert: %s: close: %w", s.name, err)
		}
		return nil
	}
	if left := s.st.close(s.opts.CloseTimeout); left > 0 {
		return fmt.Errorf("alert: %s: %d queued events: %w: not sent within the close timeout %v (%s)",
			s.name, left, ErrDropped, s.opts.CloseTimeout, s.st.state())
	}
	return nil
}

// Stats returns the sink's counters.
func (s *SyslogSink) Stats() Stats { return s.c.stats() }

// Status returns the transport state.
func (s *SyslogSink) Status() SyslogStatus {
	if s.st == nil {
		return SyslogStatus{Connected: true}
	}
	return s.st.status()
}

// stream is the queue and sender goroutine of a stream syslog sink.
type stream struct {
	network, address string
	opts             *SyslogOptions
	c                *counters

	mu        sync.Mutex
	pending   []byte // framed messages, oldest first
	lens      []int  // their lengths
	spare     []byte
	spareLens []int
	closing   bool
	conn      net.Conn
	lastErr   string

	wake   chan struct{} // cap 1: the queue grew or closing began
	ctx    context.Context
	cancel context.CancelFunc // hard stop
	done   chan struct{}      // closed when run returns

	connected    atomic.Bool
	connects     atomic.Uint64
	dialFailures atomic.Uint64
}

func newStream(network, address string, opts *SyslogOptions, c *counters) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	return &stream{
		network: network, address: address, opts: opts, c: c,
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
}

func (st *stream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// enqueue frames msg (octet counting) and queues it; it reports false when
// a bound would be passed.
func (st *stream) enqueue(msg []byte) bool {
	var prefix [24]byte
	p := append(strconv.AppendInt(prefix[:0], int64(len(msg)), 10), ' ')
	n := len(p) + len(msg)
	st.mu.Lock()
	if len(st.lens)+1 > st.opts.MaxBufferedEvents || len(st.pending)+n > st.opts.MaxBufferedBytes {
		st.mu.Unlock()
		return false
	}
	st.pending = append(append(st.pending, p...), msg...)
	st.lens = append(st.lens, n)
	st.mu.Unlock()
	st.signal()
	return true
}

func (st *stream) setErr(err error) {
	st.mu.Lock()
	st.lastErr = err.Error()
	st.mu.Unlock()
}

func (st *stream) state() string {
	if st == nil {
		return "sending"
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.connected.Load() {
		return "connected"
	}
	if st.lastErr != "" {
		return "disconnected: " + st.lastErr
	}
	return "disconnected"
}

func (st *stream) status() SyslogStatus {
	st.mu.Lock()
	defer st.mu.Unlock()
	return SyslogStatus{
		Connected:     st.connected.Load(),
		Buffered:      len(st.lens),
		BufferedBytes: len(st.pending),
		Connects:      st.connects.Load(),
		DialFailures:  st.dialFailures.Load(),
		LastError:     st.lastErr,
	}
}

// run is the sender goroutine.
func (st *stream) run() {
	defer close(st.done)
	var conn net.Conn
	var dead chan struct{}
	backoff := st.opts.MinBackoff
	var retryAt time.Time // no redial before this, after a lost connection
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-st.ctx.Done():
			return false
		}
	}
	disconnect := func(err error) {
		retryAt = time.Now().Add(st.opts.MinBackoff)
		st.setErr(err)
		_ = conn.Close()
		st.mu.Lock()
		st.conn = nil
		st.mu.Unlock()
		conn = nil
		st.connected.Store(false)
	}
	defer func() {
		if conn != nil {
			_ = conn.Close()
			st.connected.Store(false)
		}
	}()
	for {
		st.mu.Lock()
		queued, closing := len(st.lens), st.closing
		st.mu.Unlock()
		if queued == 0 {
			if closing {
				return
			}
			var deadCh chan struct{} // nil, never ready, when disconnected
			if conn != nil {
				deadCh = dead
			}
			select {
			case <-st.wake:
			case <-deadCh:
				disconnect(errors.New("peer closed the connection"))
			case <-st.ctx.Done():
				return
			}
			continue
		}
		if st.ctx.Err() != nil {
			return
		}
		if conn != nil {
			select {
			case <-dead:
				disconnect(errors.New("peer closed the connection"))
			default:
			}
		}
		if conn == nil {
			if d := time.Until(retryAt); d > 0 && !sleep(d) {
				return
			}
			ctx, cancel := context.WithTimeout(st.ctx, st.opts.DialTimeout)
			var d net.Dialer
			c, err := d.DialContext(ctx, st.network, st.address)
			cancel()
			if err != nil {
				st.dialFailures.Add(1)
				st.setErr(err)
				if !sleep(backoff) {
					return
				}
				backoff = min(2*backoff, st.opts.MaxBackoff)
				continue
			}
			conn = c
			st.mu.Lock()
			st.conn = c
			st.mu.Unlock()
			dead = make(chan struct{})
			go watchPeer(c, dead)
			backoff = st.opts.MinBackoff
			st.connects.Add(1)
			st.connected.Store(true)
		}

		st.mu.Lock()
		out, lens := st.pending, st.lens
		st.pending, st.lens = st.spare[:0], st.spareLens[:0]
		st.spare, st.spareLens = nil, nil
		st.mu.Unlock()

		_ = conn.SetWriteDeadline(time.Now().Add(st.opts.WriteTimeout))
		n, err := conn.Write(out)
		k, off := 0, 0
		for k < len(lens) && off+lens[k] <= n {
			off += lens[k]
			k++
		}
		st.c.written.Add(uint64(k))
		if err != nil {
			disconnect(err)
			st.requeue(out, lens, off, k)
			continue
		}
		st.mu.Lock()
		st.spare, st.spareLens = out[:0], lens[:0]
		st.mu.Unlock()
	}
}

// requeue puts the unsent messages out[off:] (lens[k:]) back at the front
// of the queue and enforces the bounds by dropping the newest.
func (st *stream) requeue(out []byte, lens []int, off, k int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	out = append(out[:copy(out, out[off:])], st.pending...)
	lens = append(lens[:copy(lens, lens[k:])], st.lens...)
	st.spare, st.spareLens = st.pending[:0], st.lens[:0]
	st.pending, st.lens = out, lens
	dropped := 0
	for len(st.lens) > st.opts.MaxBufferedEvents || len(st.pending) > st.opts.MaxBufferedBytes {
		last := st.lens[len(st.lens)-1]
		st.pending = st.pending[:len(st.pending)-last]
		st.lens = st.lens[:len(st.lens)-1]
		dropped++
	}
	st.c.dropped.Add(uint64(dropped))
}

// watchPeer reads (and discards) from a syslog connection until it fails:
// a receiver never sends, so a read that returns means the peer closed.
func watchPeer(c net.Conn, dead chan<- struct{}) {
	var b [256]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			close(dead)
			return
		}
	}
}

// close drains the queue for up to timeout, then stops the sender; it
// returns how many events were left (and counts them dropped).
func (st *stream) close(timeout time.Duration) int {
	st.mu.Lock()
	st.closing = true
	st.mu.Unlock()
	st.signal()
	t := time.NewTimer(timeout)
	select {
	case <-st.done:
		t.Stop()
	case <-t.C:
		st.cancel()
		// Interrupt a write in progress; repeat, as the sender may set a
		// new deadline just after.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for stopped := false; !stopped; {
			st.mu.Lock()
			if st.conn != nil {
				_ = st.conn.SetDeadline(time.Now())
			}
			st.mu.Unlock()
			select {
			case <-st.done:
				stopped = true
			case <-tick.C:
			}
		}
	}
	st.cancel()
	st.mu.Lock()
	left := len(st.lens)
	st.pending, st.lens = nil, nil
	st.mu.Unlock()
	st.c.dropped.Add(uint64(left))
	return left
}
