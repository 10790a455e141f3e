package flow

import (
	"context"
	"encoding/binary"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// synFlood feeds n SYNs from n distinct spoofed sources (1 µs apart) to a
// table with cfg, and returns the table (records drained and counted by a
// background reader) once every packet is in a flow.
type floodResult struct {
	st        Stats
	heapPer   float64 // heap bytes per live flow
	maxActive int64
	emitted   int
}

func synFlood(t testing.TB, cfg Config, n int) floodResult {
	t.Helper()
	tmpl := tcpFrame(t, cli, srv, tcpSeg{flags: syn, seq: 12345})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc

	tab, err := NewTable(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := make(chan int, 1)
	var received atomic.Int64
	go func() {
		k := 0
		for b := range tab.Out() {
			k += len(b)
			received.Add(int64(len(b)))
			tab.Recycle(b)
		}
		count <- k
	}()
	var res floodResult
	frame := append([]byte(nil), tmpl...)
	for i := range n {
		binary.BigEndian.PutUint32(frame[26:30], 0x0a000000+uint32(i)+1) // source 10.x.y.z
		binary.BigEndian.PutUint16(frame[34:36], uint16(1024+i%60000))   // and port
		if err := tab.Packet(frame, layers.LinkTypeEthernet, base0+int64(i)*1000, "flood", uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		if i%50000 == 0 {
			res.maxActive = max(res.maxActive, tab.Stats().FlowsActive)
		}
	}
	if err := tab.Advance(base0 + int64(n)*1000); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for tab.Stats().FlowsCreated < uint64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("table stuck: %+v", tab.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.st = tab.Stats()
	res.maxActive = max(res.maxActive, res.st.FlowsActive)
	// Wait for the evicted records to be consumed: the heap then holds
	// the live flows (and the pipeline's fixed buffers) only.
	for received.Load() < int64(res.st.FlowsEvicted) && time.Now().Before(deadline) {
		if err := tab.Advance(base0 + int64(n)*1000 + 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.heapPer = float64(int64(ms.HeapAlloc)-int64(before)) / float64(res.st.FlowsActive)
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	res.emitted = <-count
	return res
}

// TestSYNFloodBounded: a spoofed-source SYN flood of 1M distinct sources
// under a cap of 100k flows keeps the table at the cap, evicting the
// rest, and memory with it.
func TestSYNFloodBounded(t *testing.T) {
	n, limit := 1_000_000, 100_000
	if testing.Short() || raceEnabled {
		n, limit = 100_000, 10_000
	}
	res := synFlood(t, Config{Shards: 4, MaxFlows: limit}, n)
	st := res.st
	if st.FlowsActive != int64(limit) || res.maxActive > int64(limit) || st.FlowsEvicted != uint64(n-limit) ||
		st.FlowsCreated != uint64(n) || res.emitted != n {
		t.Errorf("active %d (max seen %d), evicted %d, created %d, emitted %d; want active %d, evicted %d",
			st.FlowsActive, res.maxActive, st.FlowsEvicted, st.FlowsCreated, res.emitted, limit, n-limit)
	}
	// The budget per flow: the slab entry, the map entry and the LRU
	// links, no content (a SYN to port 80 has no payload), and a share of
	// the pipeline's fixed buffers (about 6 MB, spread over 100k flows).
	if n == 1_000_000 && res.heapPer > 600 {
		t.Errorf("%.0f heap bytes per live flow, want at most 600", res.heapPer)
	}
	t.Logf("%d SYNs, cap %d: %d evicted, %.0f heap bytes per live flow", n, limit, st.FlowsEvicted, res.heapPer)
}

// TestEvictionPolicy: a terminated flow goes first, then the least
// recently active unanswered one; an answered flow survives a flood of
// unanswered ones.
func TestEvictionPolicy(t *testing.T) {
	sec := time.Second
	est := script(t, cli, srv, handshake()...) // answered, at base0+1..3 ms
	other := netip4(t, "10.0.0.3:40000")
	fr := append([]frame{}, est...)
	fr = append(fr, tcpPkt(t, other, srv, tcpSeg{flags: syn, seq: 1}, sec, 10))                     // unanswered
	fr = append(fr, tcpPkt(t, netip4(t, "10.0.0.4:1"), srv, tcpSeg{flags: syn, seq: 1}, 2*sec, 11)) // unanswered, newer
	fr = append(fr, tcpPkt(t, netip4(t, "10.0.0.5:1"), srv, tcpSeg{flags: syn, seq: 1}, 3*sec, 12)) // needs room
	conns, st := runFrames(t, Config{Shards: 1, MaxFlows: 3}, fr)
	if st.FlowsEvicted != 1 || len(conns) != 4 {
		t.Fatalf("stats %+v\n%s", st, dump(t, conns))
	}
	for _, c := range conns {
		if (c.Reason == Evicted) != (c.OrigAddr == other.Addr()) {
			t.Errorf("%s: only the older unanswered SYN from %v must be evicted", connLine(&c), other)
		}
		if c.Reason == Evicted && c.Finish != base0+int64(3*sec) {
			t.Errorf("evicted at %d, want at the packet that needed room", c.Finish-base0)
		}
	}
}

func netip4(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
