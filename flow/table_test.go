package flow

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// timeline is several captures read as one, in the given order, like a
// rotated capture; the public ones have older timestamps than the lab
// ones, so the table's clock holds them at the same instant (many ties).
var timelineFiles = []string{
	"lab/normal.pcap", "public/http-get.pcap", "lab/probe-nmap-syn.pcap", "public/ftp-ipv4.pcap",
	"lab/probe-nmap-udp.pcap", "lab/probe-ping-sweep.pcap", "lab/r2l-ftp-bruteforce.pcap",
	"public/frag-ipv4-ppa.pcap", "lab/r2l-telnet-bruteforce.pcap", "public/tcp-missing-syn.pcap",
	"lab/r2l-http-bruteforce.pcap", "public/attack-dos-ppa.pcap",
}

func loadTimeline(t testing.TB) map[string][]frame {
	files := map[string][]frame{}
	for _, n := range timelineFiles {
		files[n] = mustFrames(t, n)
	}
	return files
}

// checkOrder verifies the output order: Finish never decreases, ties by
// End then Start.
func checkOrder(t testing.TB, conns []Conn) {
	t.Helper()
	for i := 1; i < len(conns); i++ {
		a, b := &conns[i-1], &conns[i]
		if a.Finish > b.Finish || a.Finish == b.Finish && (a.End > b.End || a.End == b.End && a.Start > b.Start) {
			t.Fatalf("records %d and %d out of order:\n%s\n%s", i-1, i, connLine(a), connLine(b))
		}
		if b.Finish < b.End {
			t.Fatalf("record %d finishes before its end: %s", i, connLine(b))
		}
	}
}

// TestDeterminismAcrossShards: the same input gives the same records in
// the same order whatever the shard count (no eviction).
func TestDeterminismAcrossShards(t *testing.T) {
	files := loadTimeline(t)
	want, st1 := feed(t, Config{Shards: 1}, files, timelineFiles...)
	checkOrder(t, want)
	if st1.FlowsEvicted != 0 || len(want) < 1000 {
		t.Fatalf("baseline: %d records, stats %+v", len(want), st1)
	}
	for _, n := range []int{2, 4, 7} {
		got, st := feed(t, Config{Shards: n, BatchSize: 16 * n}, files, timelineFiles...)
		if len(got) != len(want) {
			t.Fatalf("%d shards: %d records, want %d", n, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%d shards: record %d differs:\n got %s\nwant %s", n, i, connLine(&got[i]), connLine(&want[i]))
			}
		}
		if st.FlowsCreated != st1.FlowsCreated || st.Decoded != st1.Decoded {
			t.Errorf("%d shards: stats differ: %+v vs %+v", n, st, st1)
		}
	}
}

// TestOutputBeforeClose: with several shards, records are released while
// input continues (watermarks and heartbeats), not only at the end.
func TestOutputBeforeClose(t *testing.T) {
	tab, err := NewTable(context.Background(), Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		go func() {
			for range tab.Out() {
			}
		}()
		tab.Close()
	}()
	// One ICMP packet (one shard), then time moves on by Advance only.
	data := icmpFrame(t, cli.Addr(), srv.Addr(), 8, 0, "x")
	if err := tab.Packet(data, layers.LinkTypeEthernet, base0, "f", 1); err != nil {
		t.Fatal(err)
	}
	if err := tab.Advance(base0 + int64(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-tab.Out():
		if len(b) != 1 || b[0].Proto != ProtoICMP {
			t.Fatalf("got %v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the ICMP record was not released before Close (idle shards stall the merge?)")
	}
}

func udpPkt(t testing.TB, from, to netip.AddrPort, at time.Duration, num uint64) frame {
	return frame{data: udpFrame(t, from, to, "q"), ts: base0 + int64(at), lt: layers.LinkTypeEthernet, num: num}
}

func tcpPkt(t testing.TB, from, to netip.AddrPort, seg tcpSeg, at time.Duration, num uint64) frame {
	return frame{data: tcpFrame(t, from, to, seg), ts: base0 + int64(at), lt: layers.LinkTypeEthernet, num: num}
}

// TestTimeouts checks each timer on packet time.
func TestTimeouts(t *testing.T) {
	dns := netip.MustParseAddrPort("10.0.0.2:53")
	sec := time.Second
	t.Run("UDP idle", func(t *testing.T) {
		conns, st := runFrames(t, oneShard(), []frame{
			udpPkt(t, cli, dns, 0, 1), udpPkt(t, dns, cli, 30*sec, 2), // same flow
			udpPkt(t, cli, dns, 91*sec, 3), // 61 s idle: a new flow
		})
		if len(conns) != 2 || conns[0].Reason != Timeout || conns[0].End != base0+int64(30*sec) ||
			conns[0].Finish != base0+int64(90*sec) || conns[0].RespPkts != 1 || conns[1].Reason != Shutdown || st.FlowsExpired != 1 {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("UDP exactly at the timeout is the same flow", func(t *testing.T) {
		conns, _ := runFrames(t, oneShard(), []frame{udpPkt(t, cli, dns, 0, 1), udpPkt(t, cli, dns, 60*sec, 2)})
		if len(conns) != 1 || conns[0].OrigPkts != 2 {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("TCP attempt", func(t *testing.T) {
		conns, _ := runFrames(t, oneShard(), []frame{
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, 0, 1),
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, 20*sec, 2), // retransmission: same
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, 51*sec, 3), // 31 s later: a new attempt
		})
		if len(conns) != 2 || conns[0].State != S0 || conns[0].OrigPkts != 2 || conns[0].Reason != Timeout ||
			conns[0].Finish != base0+int64(50*sec) {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("TCP one-sided SYN-ACK", func(t *testing.T) {
		// Flipped: the server's SYN-ACK alone is a one-sided flow and
		// expires after the attempt timeout, not the inactivity one.
		conns, _ := runFrames(t, oneShard(), []frame{
			tcpPkt(t, srv, cli, tcpSeg{flags: synack, seq: 1, ack: 2}, 0, 1),
			tcpPkt(t, srv, cli, tcpSeg{flags: synack, seq: 1, ack: 2}, 40*sec, 2),
		})
		if len(conns) != 2 || conns[0].Reason != Timeout || conns[0].Finish != base0+int64(30*sec) || conns[0].History != "^h" {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("TCP established inactivity", func(t *testing.T) {
		fr := script(t, cli, srv, handshake()...)
		fr = append(fr, tcpPkt(t, cli, srv, tcpSeg{flags: pa, seq: 1001, ack: 5001, payload: "a"}, 4*time.Minute, 4))
		fr = append(fr, tcpPkt(t, cli, srv, tcpSeg{flags: pa, seq: 1002, ack: 5001, payload: "b"}, 10*time.Minute, 5))
		conns, _ := runFrames(t, oneShard(), fr)
		if len(conns) != 2 || conns[0].State != S1 || conns[0].OrigBytes != 1 || conns[0].Reason != Timeout ||
			conns[1].State != OTH || conns[1].History != "D" {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("linger after RST", func(t *testing.T) {
		fr := []frame{
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, 0, 1),
			tcpPkt(t, srv, cli, tcpSeg{flags: ra, ack: 2}, 10*time.Millisecond, 2),
			tcpPkt(t, cli, srv, tcpSeg{flags: ack, seq: 2, ack: 1}, sec, 3),                    // within the linger
			tcpPkt(t, cli, srv, tcpSeg{flags: ack, seq: 2, ack: 1}, 3*sec+time.Millisecond, 4), // after it
		}
		conns, _ := runFrames(t, oneShard(), fr)
		if len(conns) != 2 || conns[0].State != REJ || conns[0].OrigPkts != 2 || conns[0].Reason != Closed ||
			conns[0].Finish != base0+int64(sec) || conns[1].State != OTH {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("new SYN on a closed connection", func(t *testing.T) {
		fr := []frame{
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, 0, 1),
			tcpPkt(t, srv, cli, tcpSeg{flags: ra, ack: 2}, 10*time.Millisecond, 2),
			tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 100}, 20*time.Millisecond, 3),
		}
		conns, _ := runFrames(t, oneShard(), fr)
		if len(conns) != 2 || conns[0].State != REJ || conns[1].State != S0 || conns[0].Finish != base0+int64(10*time.Millisecond) {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("active timeout", func(t *testing.T) {
		cfg := oneShard()
		cfg.Timeouts.Active = 10 * sec
		var fr []frame
		for i := range 25 {
			fr = append(fr, udpPkt(t, cli, dns, time.Duration(i)*sec, uint64(i+1)))
		}
		conns, _ := runFrames(t, cfg, fr)
		if len(conns) != 3 || conns[0].OrigPkts != 11 || conns[1].OrigPkts != 11 || conns[2].OrigPkts != 3 ||
			conns[0].Reason != Timeout || conns[0].Finish != base0+int64(11*sec) {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
	t.Run("time going backwards is clamped", func(t *testing.T) {
		conns, _ := runFrames(t, oneShard(), []frame{udpPkt(t, cli, dns, 10*sec, 1), udpPkt(t, dns, cli, 0, 2)})
		if len(conns) != 1 || conns[0].Start != base0+int64(10*sec) || conns[0].End != conns[0].Start {
			t.Errorf("got\n%s", dump(t, conns))
		}
	})
}

// collect reads Out in the background.
func collect(tab *Table) <-chan []Conn {
	got := make(chan []Conn, 1)
	go func() {
		var all []Conn
		for b := range tab.Out() {
			all = append(all, b...)
		}
		got <- all
	}()
	return got
}

// TestAdvanceAndFlush: Advance fires timers without packets; Flush emits
// every live connection (Shutdown) and the table goes on.
func TestAdvanceAndFlush(t *testing.T) {
	tab, err := NewTable(context.Background(), Config{Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	dns := netip.MustParseAddrPort("10.0.0.2:53")
	for i, f := range []frame{udpPkt(t, cli, dns, 0, 1), tcpPkt(t, cli, srv, tcpSeg{flags: syn, seq: 1}, time.Second, 2)} {
		if err := tab.Packet(f.data, f.lt, f.ts, "a", uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tab.Advance(base0 + int64(45*time.Second)); err != nil { // TCP attempt expires (31 s)
		t.Fatal(err)
	}
	first := <-tab.Out()
	if len(first) != 1 || first[0].Proto != ProtoTCP || first[0].Reason != Timeout || first[0].Finish != base0+int64(31*time.Second) {
		t.Fatalf("after Advance: %s", dump(t, first))
	}
	if err := tab.Flush(); err != nil {
		t.Fatal(err)
	}
	second := <-tab.Out()
	if len(second) != 1 || second[0].Proto != ProtoUDP || second[0].Reason != Shutdown || second[0].Finish != base0+int64(45*time.Second) {
		t.Fatalf("after Flush: %s", dump(t, second))
	}
	if st := tab.Stats(); st.FlowsActive != 0 || st.FlowsShutdown != 1 || st.FlowsExpired != 1 {
		t.Errorf("stats %+v", st)
	}
	// The same 5-tuple after the flush is a new connection.
	f := udpPkt(t, cli, dns, 0, 1)
	if err := tab.Packet(f.data, f.lt, f.ts, "b", 1); err != nil {
		t.Fatal(err)
	}
	rest := collect(tab)
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	last := <-rest
	if len(last) != 1 || last[0].File != "b" || last[0].Start <= base0+int64(45*time.Second) {
		t.Errorf("after Close: %s", dump(t, last))
	}
	if err := tab.Packet(f.data, f.lt, f.ts, "b", 2); !errors.Is(err, ErrClosed) {
		t.Errorf("Packet after Close: %v", err)
	}
}

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoGoroutineLeak: after Close, or after cancelling the context with
// nobody reading Out, every goroutine of the table exits.
func TestNoGoroutineLeak(t *testing.T) {
	frames := mustFrames(t, "lab/probe-nmap-syn.pcap")
	base := runtime.NumGoroutine()
	for range 3 {
		conns, _ := feed(t, Config{Shards: 4}, map[string][]frame{"x": frames}, "x")
		if len(conns) != 1024 {
			t.Fatalf("%d records", len(conns))
		}
	}
	waitGoroutines(t, base)

	ctx, cancel := context.WithCancel(context.Background())
	tab, err := NewTable(ctx, Config{Shards: 4, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads Out: the pipeline fills up, then the context is cancelled.
	done := make(chan error, 1)
	go func() {
		var err error
		for _, f := range frames {
			if err = tab.Packet(f.data, f.lt, f.ts, "x", f.num); err != nil {
				break
			}
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Packet: %v", err)
	}
	if err := tab.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel: %v", err)
	}
	for range tab.Out() { // closed by the merger
	}
	waitGoroutines(t, base)
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Shards: -1}, "Config.Shards"},
		{Config{MaxFlows: -5}, "Config.MaxFlows"},
		{Config{Shards: 8, MaxFlows: 4}, "Config.MaxFlows"},
		{Config{ContentCap: -1}, "Config.ContentCap"},
		{Config{BatchSize: -1}, "Config.BatchSize"},
		{Config{Heartbeat: -time.Second}, "Config.Heartbeat"},
		{Config{ContentPorts: []uint16{80, 0}}, "Config.ContentPorts[1]"},
		{Config{Timeouts: Timeouts{UDPInactive: -time.Second}}, "Timeouts.UDPInactive"},
		{Config{Timeouts: Timeouts{TCPLinger: 10 * time.Minute}}, "Timeouts.TCPLinger"},
		{Config{Decoder: DecoderConfig{FragMemory: 1000}}, "DecoderConfig.FragMemory"},
		{Config{Decoder: DecoderConfig{FragTimeout: -1}}, "DecoderConfig.FragTimeout"},
	}
	for _, tc := range cases {
		_, err := NewTable(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := NewDecoder(DecoderConfig{FragMemory: -1}); err == nil {
		t.Error("NewDecoder accepted a negative memory cap")
	}
}
