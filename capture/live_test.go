//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// skipIfNoPermission skips a live test that cannot open a capture for lack
// of privileges, and fails it for any other reason.
func skipIfNoPermission(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, fs.ErrPermission) {
		t.Skipf("live capture needs CAP_NET_RAW (run as root): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// udpSink listens on a free loopback UDP port, so that the datagrams sent to
// it are received (no ICMP port unreachable).
func udpSink(t *testing.T) (*net.UDPConn, int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

// sendUDP sends one datagram per payload to 127.0.0.1:port, each from a
// socket of its own (a distinct source port, so a distinct flow).
func sendUDP(t *testing.T, port int, payloads [][]byte) {
	t.Helper()
	for _, p := range payloads {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

func payloads(tag string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "cnids-capture-test %s %d", tag, i)
	}
	return out
}

// pollStats calls src.Stats from another goroutine until the returned stop
// function is called, for the race detector.
func pollStats(src Source) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				_ = src.Stats()
				time.Sleep(time.Millisecond)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// collect reads src until every payload was seen (in a packet's bytes) or
// the deadline; it returns how often each was seen and the packets' infos.
func collect(t *testing.T, src Source, want [][]byte, deadline time.Duration) (map[string]int, []Info) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	seen := map[string]int{}
	var infos []Info
	for len(seen) < len(want) {
		data, info, err := src.ReadPacket(ctx)
		if errors.Is(err, ErrIdle) {
			if d := time.Since(info.Timestamp); d < -time.Second || d > time.Second {
				t.Errorf("idle tick at %v, now %v", info.Timestamp, time.Now())
			}
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if src.LinkType() != layers.LinkTypeEthernet {
			t.Fatalf("link type %v on lo", src.LinkType())
		}
		for _, p := range want {
			if bytes.HasSuffix(data, p) {
				seen[string(p)]++
				infos = append(infos, info)
			}
		}
	}
	return seen, infos
}

func TestLiveLoopback(t *testing.T) {
	_, port := udpSink(t)
	src, err := OpenLive(LiveOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d", port), Timeout: 50 * time.Millisecond, Immediate: true})
	skipIfNoPermission(t, err)
	defer src.Close()
	start := time.Now()
	want := payloads("live", 5)
	stop := pollStats(src)
	sendUDP(t, port, want)
	seen, infos := collect(t, src, want, 5*time.Second)
	stop()
	for _, p := range want {
		if seen[string(p)] != 1 {
			t.Errorf("payload %q seen %d times, want once", p, seen[string(p)])
		}
	}
	for i, info := range infos {
		if info.File != "" || info.Packet == 0 || info.Timestamp.Before(start.Add(-time.Second)) || info.Timestamp.After(time.Now()) {
			t.Errorf("packet %d: info %+v", i, info)
		}
		if i > 0 && info.Packet <= infos[i-1].Packet {
			t.Errorf("packet numbers %d then %d", infos[i-1].Packet, info.Packet)
		}
	}
	if st := src.Stats(); st.Received < 5 || st.Malformed != 0 || st.FilesOpened != 0 {
		t.Errorf("stats %+v", st)
	}
	src.AddDropped(3)
	if st := src.Stats(); st.Dropped != 3 {
		t.Errorf("stats %+v after AddDropped(3)", st)
	}
}

// testIdleAndClose checks idle ticks, context cancellation, and Close while
// another goroutine is blocked reading.
func testIdleAndClose(t *testing.T, src Source, timeout time.Duration) {
	t.Helper()
	start := time.Now()
	_, info, err := src.ReadPacket(context.Background())
	if !errors.Is(err, ErrIdle) {
		t.Fatalf("ReadPacket on a silent filter: %v, want ErrIdle", err)
	}
	if d := time.Since(start); d > timeout+2*time.Second {
		t.Errorf("idle tick after %v, timeout %v", d, timeout)
	}
	if info.Timestamp.Before(start.Add(-time.Second)) || info.Timestamp.After(time.Now()) || info.Timestamp.Location() != time.UTC {
		t.Errorf("idle tick time %v", info.Timestamp)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := src.ReadPacket(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadPacket on a cancelled context: %v", err)
	}
	// Cancelled while blocked: the read returns the context's error, not
	// an idle tick, within one timeout.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(timeout/4, cancel)
	start = time.Now()
	if _, _, err := src.ReadPacket(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadPacket cancelled while blocked: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("ReadPacket returned %v after its context was cancelled", d)
	}

	var wg sync.WaitGroup
	returned := make(chan time.Time, 1)
	wg.Go(func() {
		for {
			_, _, err := src.ReadPacket(context.Background())
			if errors.Is(err, ErrIdle) {
				continue
			}
			if err != io.EOF {
				t.Errorf("ReadPacket after Close: %v, want io.EOF", err)
			}
			returned <- time.Now()
			return
		}
	})
	time.Sleep(timeout / 3) // let the reader block
	closeStart := time.Now()
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	closeTook := time.Since(closeStart)
	select {
	case at := <-returned:
		if d := at.Sub(closeStart); d > time.Second {
			t.Errorf("blocked ReadPacket returned %v after Close", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("ReadPacket still blocked 3s after Close")
	}
	wg.Wait()
	if closeTook > time.Second {
		t.Errorf("Close took %v", closeTook)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := src.ReadPacket(context.Background()); err != io.EOF {
		t.Errorf("ReadPacket after Close: %v", err)
	}
	_ = src.Stats() // still readable
}

func TestLiveIdleAndClose(t *testing.T) {
	_, port := udpSink(t)
	const timeout = 200 * time.Millisecond
	src, err := OpenLive(LiveOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d and src port 1", port), Timeout: timeout})
	skipIfNoPermission(t, err)
	testIdleAndClose(t, src, timeout)
}

func TestLiveOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		opt  LiveOptions
		want string
	}{
		{LiveOptions{}, "no interface given"},
		{LiveOptions{Interface: "no-such-if0"}, `interface "no-such-if0"`},
		{LiveOptions{Interface: "lo", SnapLen: -1}, "snapshot length -1"},
		{LiveOptions{Interface: "lo", SnapLen: 262145}, "snapshot length 262145"},
		{LiveOptions{Interface: "lo", BufferSize: -1}, "buffer size -1"},
		{LiveOptions{Interface: "lo", Timeout: time.Microsecond}, "read timeout 1µs"},
		{LiveOptions{Interface: "lo", Timeout: 2 * time.Second}, "read timeout 2s"},
		{LiveOptions{Interface: "lo", Filter: "tcp port"}, `filter "tcp port"`},
	} {
		src, err := OpenLive(tc.opt)
		if errors.Is(err, fs.ErrPermission) {
			continue // the filter case needs to open lo
		}
		if err == nil || src != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenLive(%+v): %v, want an error with %q", tc.opt, err, tc.want)
			if src != nil {
				src.Close()
			}
		}
	}
}

func TestAFPacketLoopback(t *testing.T) {
	_, port := udpSink(t)
	src, err := OpenAFPacket(AFPacketOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d", port), BlockTimeout: 5 * time.Millisecond, Timeout: 50 * time.Millisecond})
	skipIfNoPermission(t, err)
	defer src.Close()
	want := payloads("afpacket", 5)
	stop := pollStats(src)
	sendUDP(t, port, want)
	seen, _ := collect(t, src, want, 5*time.Second)
	stop()
	// Give a duplicate (the outgoing copy) time to show up.
	more, _ := collect(t, src, want, 300*time.Millisecond)
	for _, p := range want {
		if seen[string(p)]+more[string(p)] != 1 {
			t.Errorf("payload %q seen %d times, want once (the outgoing copy must be dropped)", p, seen[string(p)]+more[string(p)])
		}
	}
	if st := src.Stats(); st.Received < 5 || st.KernelDropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestAFPacketSnapLen(t *testing.T) {
	_, port := udpSink(t)
	src, err := OpenAFPacket(AFPacketOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d", port), SnapLen: 50, BlockTimeout: 5 * time.Millisecond})
	skipIfNoPermission(t, err)
	defer src.Close()
	sendUDP(t, port, [][]byte{bytes.Repeat([]byte("x"), 200)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		data, info, err := src.ReadPacket(ctx)
		if errors.Is(err, ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != 50 || info.CaptureLength != 50 || info.Length != 14+20+8+200 {
			t.Fatalf("captured %d bytes (CaptureLength %d) of %d", len(data), info.CaptureLength, info.Length)
		}
		return
	}
}

// TestAFPacketFanout opens two sockets in one fanout group: every packet
// reaches exactly one of them.
func TestAFPacketFanout(t *testing.T) {
	_, port := udpSink(t)
	group := 1000 + port%60000
	var srcs []*AFPacket
	for range 2 {
		src, err := OpenAFPacket(AFPacketOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d", port), FanoutGroup: group, BlockTimeout: 5 * time.Millisecond, Timeout: 50 * time.Millisecond})
		skipIfNoPermission(t, err)
		defer src.Close()
		srcs = append(srcs, src)
	}
	want := payloads("fanout", 40)
	var mu sync.Mutex
	total := map[string]int{}
	per := make([]int, len(srcs))
	var wg sync.WaitGroup
	sendUDP(t, port, want)
	for i, src := range srcs {
		wg.Go(func() {
			seen, _ := collect(t, src, want, 1500*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for k, n := range seen {
				total[k] += n
				per[i] += n
			}
		})
	}
	wg.Wait()
	for _, p := range want {
		if total[string(p)] != 1 {
			t.Errorf("payload %q seen %d times over the group, want once", p, total[string(p)])
		}
	}
	// 40 flows hashed over 2 sockets: both get some (all on one has
	// probability 2^-39).
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("packets per socket %v", per)
	}
}

func TestAFPacketIdleAndClose(t *testing.T) {
	_, port := udpSink(t)
	const timeout = 200 * time.Millisecond
	src, err := OpenAFPacket(AFPacketOptions{Interface: "lo", Filter: fmt.Sprintf("udp and dst port %d and src port 1", port), Timeout: timeout})
	skipIfNoPermission(t, err)
	testIdleAndClose(t, src, timeout)
}

func TestAFPacketOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		opt  AFPacketOptions
		want string
	}{
		{AFPacketOptions{}, "no interface given"},
		{AFPacketOptions{Interface: "no-such-if0"}, `interface "no-such-if0"`},
		{AFPacketOptions{Interface: "lo", SnapLen: 300000}, "snapshot length 300000"},
		{AFPacketOptions{Interface: "lo", BlockSize: 1000}, "block size 1000"},
		{AFPacketOptions{Interface: "lo", NumBlocks: -2}, "number of blocks -2"},
		{AFPacketOptions{Interface: "lo", BlockSize: 1 << 30, NumBlocks: 1 << 15}, "larger than 16 GiB"},
		{AFPacketOptions{Interface: "lo", BlockTimeout: time.Microsecond}, "block timeout 1µs"},
		{AFPacketOptions{Interface: "lo", Timeout: -time.Second}, "read timeout -1s"},
		{AFPacketOptions{Interface: "lo", FanoutGroup: 70000}, "fanout group 70000"},
		{AFPacketOptions{Interface: "lo", Filter: "udp port"}, `filter "udp port"`},
	} {
		src, err := OpenAFPacket(tc.opt)
		if err == nil || src != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenAFPacket(%+v): %v, want an error with %q", tc.opt, err, tc.want)
			if src != nil {
				src.Close()
			}
		}
	}
}
