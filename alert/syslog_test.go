package alert

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// syslogMsg is a parsed RFC 5424 message.
type syslogMsg struct {
	pri                          int
	ts, host, app, procid, msgid string
	sd                           string
	json                         string
}

func parseSyslog(t testing.TB, msg string) syslogMsg {
	t.Helper()
	if !strings.HasPrefix(msg, "<") {
		t.Fatalf("no PRI: %q", msg)
	}
	end := strings.IndexByte(msg, '>')
	pri, err := strconv.Atoi(msg[1:end])
	if err != nil {
		t.Fatalf("PRI of %q: %v", msg, err)
	}
	rest := msg[end+1:]
	parts := strings.SplitN(rest, " ", 8)
	if len(parts) != 8 || parts[0] != "1" {
		t.Fatalf("not an RFC 5424 message: %q", msg)
	}
	return syslogMsg{pri: pri, ts: parts[1], host: parts[2], app: parts[3], procid: parts[4], msgid: parts[5], sd: parts[6], json: parts[7]}
}

// readFrame reads one octet-counted frame (RFC 6587).
func readFrame(r *bufio.Reader) (string, error) {
	lenStr, err := r.ReadString(' ')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(lenStr, " "))
	if err != nil || n <= 0 {
		return "", fmt.Errorf("bad frame length %q", lenStr)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// checkMessage checks a message's header and that its JSON is the event's
// line.
func checkMessage(t testing.TB, raw string, ev Event, wantPri int) {
	t.Helper()
	m := parseSyslog(t, raw)
	if m.pri != wantPri {
		t.Errorf("PRI %d, want %d", m.pri, wantPri)
	}
	if want := ev.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00"); m.ts != want {
		t.Errorf("TIMESTAMP %s, want %s", m.ts, want)
	}
	if m.host != "sensor_1" || m.app != "cnids" || m.procid != "42" || m.msgid != ev.Type.String() || m.sd != "-" {
		t.Errorf("header %+v", m)
	}
	line, err := newEnc(t, EncoderOptions{}).AppendLine(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	if m.json+"\n" != string(line) {
		t.Errorf("MSG %s\nwant %s", m.json, line)
	}
}

func syslogOpts() SyslogOptions {
	return SyslogOptions{Hostname: "sensor 1", ProcID: "42", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := NewSyslog("udp", pc.LocalAddr().String(), syslogOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	alertEv := connAlert(t, 1) // R2L: severity 2 -> syslog error (3)
	flowEv := connAlert(t, 2)
	flowEv.Type = TypeFlow
	dos := connAlert(t, 3)
	dos.Alert.Signature = mustSig(t, "nsl-kdd", "DoS") // severity 1 -> critical (2)
	if err := s.Write(context.Background(), []Event{alertEv, flowEv, dos}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 70000)
	want := []struct {
		ev  Event
		pri int
	}{{alertEv, 16*8 + 3}, {flowEv, 16*8 + 6}, {dos, 16*8 + 2}}
	for _, w := range want {
		_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, string(buf[:n]), w.ev, w.pri)
	}
	if st := s.Stats(); st.Written != 3 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !s.Status().Connected {
		t.Fatal("datagram sink not reported connected")
	}
}

// A message over MaxMessageSize fails, counted; the rest of the batch goes.
func TestSyslogDatagramTooBig(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	o := syslogOpts()
	o.MaxMessageSize = 1200
	s, err := NewSyslog("udp", pc.LocalAddr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := connAlert(t, 0)
	big.AppProto = strings.Repeat("x", 600)
	err = s.Write(context.Background(), []Event{big, connAlert(t, 1)})
	if err == nil || !strings.Contains(err.Error(), "exceeds MaxMessageSize 1200") {
		t.Fatalf("err = %v", err)
	}
	if st := s.Stats(); st.Written != 1 || st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSyslogUnixgram(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", p)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := NewSyslog("unixgram", p, syslogOpts())
	if err != nil {
		t.Fatal(err)
	}
	ev := connAlert(t, 5)
	if err := s.Write(context.Background(), []Event{ev}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 70000)
	_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, string(buf[:n]), ev, 16*8+3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), []Event{ev}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	// A datagram sink with nothing listening fails at once, naming it.
	if _, err := NewSyslog("unixgram", p+".none", syslogOpts()); err == nil || !strings.Contains(err.Error(), p+".none") {
		t.Fatalf("dial of a missing socket: %v", err)
	}
}

func TestSyslogBadOptions(t *testing.T) {
	if _, err := NewSyslog("sctp", "x", syslogOpts()); err == nil || !strings.Contains(err.Error(), "unknown network") {
		t.Errorf("network: %v", err)
	}
	o := syslogOpts()
	o.Facility = 24
	if _, err := NewSyslog("udp", "127.0.0.1:514", o); err == nil || !strings.Contains(err.Error(), "facility 24") {
		t.Errorf("facility: %v", err)
	}
}

// frameServer accepts connections on ln and sends each frame it reads to
// frames; it stops when ln is closed.
func frameServer(t testing.TB, ln net.Listener, frames chan<- string, conns chan<- net.Conn) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if conns != nil {
				conns <- c
			}
			go func() {
				r := bufio.NewReader(c)
				for {
					f, err := readFrame(r)
					if err != nil {
						return
					}
					frames <- f
				}
			}()
		}
	}()
}

func recvFrames(t testing.TB, frames <-chan string, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		select {
		case f := <-frames:
			out = append(out, f)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d frames, want %d", len(out), n)
		}
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSyslogTCPFraming(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan string, 100)
	frameServer(t, ln, frames, nil)
	s, err := NewSyslog("tcp", ln.Addr().String(), syslogOpts())
	if err != nil {
		t.Fatal(err)
	}
	evs := connAlerts(t, 3)
	evs[2].AppProto = "multi\nline \"quoted\"" // framing must not depend on newlines
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	got := recvFrames(t, frames, 3)
	for i, f := range got {
		checkMessage(t, f, evs[i], 16*8+3)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Written != 3 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSyslogUnixStream(t *testing.T) {
	p := filepath.Join(t.TempDir(), "syslog.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan string, 10)
	frameServer(t, ln, frames, nil)
	s, err := NewSyslog("unix", p, syslogOpts())
	if err != nil {
		t.Fatal(err)
	}
	ev := connAlert(t, 0)
	if err := s.Write(context.Background(), []Event{ev}); err != nil {
		t.Fatal(err)
	}
	checkMessage(t, recvFrames(t, frames, 1)[0], ev, 16*8+3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// The collector restarts: the sink notices, queues, reconnects with backoff
// and delivers what was queued, in order.
func TestSyslogTCPReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	frames := make(chan string, 100)
	conns := make(chan net.Conn, 10)
	frameServer(t, ln, frames, conns)
	s, err := NewSyslog("tcp", addr, syslogOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	evs := connAlerts(t, 6)
	if err := s.Write(ctx, evs[:2]); err != nil {
		t.Fatal(err)
	}
	recvFrames(t, frames, 2)

	// The collector goes away.
	ln.Close()
	(<-conns).Close()
	waitFor(t, "the sink to notice the closed peer", func() bool { return !s.Status().Connected })

	if err := s.Write(ctx, evs[2:5]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed reconnection attempts", func() bool { return s.Status().DialFailures >= 2 })
	if st := s.Status(); st.Buffered != 3 || st.LastError == "" {
		t.Fatalf("while down: %+v", st)
	}

	// It comes back on the same address.
	var ln2 net.Listener
	waitFor(t, "the port to be free again", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	defer ln2.Close()
	frameServer(t, ln2, frames, nil)
	got := recvFrames(t, frames, 3)
	for i, f := range got {
		checkMessage(t, f, evs[2+i], 16*8+3)
	}
	if err := s.Write(ctx, evs[5:]); err != nil {
		t.Fatal(err)
	}
	checkMessage(t, recvFrames(t, frames, 1)[0], evs[5], 16*8+3)
	st := s.Status()
	if st.Connects != 2 || !st.Connected || st.Buffered != 0 {
		t.Fatalf("after reconnecting: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c := s.Stats(); c.Written != 6 || c.Dropped != 0 || c.Failed != 0 {
		t.Fatalf("stats %+v", c)
	}
}

// While no collector listens, the queue holds up to its bound; the rest is
// dropped and counted; the queued events arrive once one listens; Close
// with nothing listening counts what is left as dropped.
func TestSyslogTCPBoundedBuffer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	o := syslogOpts()
	o.MaxBufferedEvents = 3
	s, err := NewSyslog("tcp", addr, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	evs := connAlerts(t, 5)
	err = s.Write(ctx, evs)
	if !errors.Is(err, ErrDropped) || !strings.Contains(err.Error(), "2 of 5 events") {
		t.Fatalf("err = %v", err)
	}
	if st := s.Stats(); st.Dropped != 2 {
		t.Fatalf("stats %+v", st)
	}
	if st := s.Status(); st.Buffered != 3 || st.Connected {
		t.Fatalf("status %+v", st)
	}
	waitFor(t, "a failed dial", func() bool { return s.Status().DialFailures > 0 })

	var ln2 net.Listener
	waitFor(t, "the port", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	frames := make(chan string, 10)
	conns := make(chan net.Conn, 10)
	frameServer(t, ln2, frames, conns)
	got := recvFrames(t, frames, 3)
	for i, f := range got {
		checkMessage(t, f, evs[i], 16*8+3) // the oldest are kept
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Written != 3 || st.Dropped != 2 {
		t.Fatalf("stats %+v", st)
	}
	ln2.Close()

	// Nothing listening at Close: the queue is dropped after the timeout.
	ln3, _ := net.Listen("tcp", "127.0.0.1:0")
	addr3 := ln3.Addr().String()
	ln3.Close()
	o.CloseTimeout = 100 * time.Millisecond
	s2, err := NewSyslog("tcp", addr3, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Write(ctx, evs[:2]); err != nil {
		t.Fatal(err)
	}
	err = s2.Close()
	if !errors.Is(err, ErrDropped) || !strings.Contains(err.Error(), "2 queued events") {
		t.Fatalf("close: %v", err)
	}
	if st := s2.Stats(); st.Dropped != 2 || st.Written != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// The byte bound works like the event bound.
func TestSyslogTCPByteBound(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	o := syslogOpts()
	o.MaxBufferedBytes = 1700 // room for two messages of about 800 bytes
	o.CloseTimeout = 50 * time.Millisecond
	s, err := NewSyslog("tcp", addr, o)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(context.Background(), connAlerts(t, 4))
	if !errors.Is(err, ErrDropped) {
		t.Fatalf("err = %v", err)
	}
	st := s.Status()
	if st.Buffered != 2 || st.BufferedBytes > 1700 {
		t.Fatalf("status %+v", st)
	}
	_ = s.Close()
	if c := s.Stats(); c.Dropped != 4 {
		t.Fatalf("stats %+v (2 refused, 2 left at close)", c)
	}
}

// A collector that accepts but never reads: Close gives up after its
// timeout (not the 30 s write timeout), and every event is accounted for,
// written or dropped.
func TestSyslogTCPStalledPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			conns <- c // held open, never read
		}
	}()
	o := syslogOpts()
	o.WriteTimeout = 30 * time.Second
	o.CloseTimeout = 200 * time.Millisecond
	s, err := NewSyslog("tcp", ln.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000 // about 16 MB, more than the socket buffers hold
	evs := connAlerts(t, 100)
	for i := 0; i < n/len(evs); i++ {
		if err := s.Write(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the connection", func() bool { return s.Status().Connects == 1 })
	start := time.Now()
	err = s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if !errors.Is(err, ErrDropped) {
		t.Fatalf("close: %v", err)
	}
	st := s.Stats()
	if st.Written+st.Dropped != n || st.Dropped == 0 {
		t.Fatalf("stats %+v: written + dropped != %d", st, n)
	}
	(<-conns).Close()
}
