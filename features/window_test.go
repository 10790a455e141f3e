package features

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/cnids/cnids/flow"
)

// ---------------------------------------------------------------------
// Rounding.

func TestKDDRateMatchesPrintf(t *testing.T) {
	// Reference: the single-precision quotient printed with two decimals
	// (strconv rounds the exact binary value, ties to even, as glibc's
	// printf does), read back as float64.
	for den := 1; den <= 600; den++ {
		for num := 0; num <= den; num++ {
			s := strconv.FormatFloat(float64(float32(num)/float32(den)), 'f', 2, 32)
			want, _ := strconv.ParseFloat(s, 64)
			if got := kddRate(num, den); got != want {
				t.Fatalf("kddRate(%d, %d) = %v, want %v (%s)", num, den, got, want, s)
			}
		}
	}
	for _, c := range []struct {
		num, den int
		want     float64
	}{
		{3, 40, 0.08}, {7, 40, 0.17}, {1, 8, 0.12}, {3, 8, 0.38}, {5, 8, 0.62}, {7, 8, 0.88},
		{1, 200, 0}, {2, 3, 0.67}, {1, 3, 0.33}, {510, 511, 1}, {0, 5, 0}, {1, 0, 0},
	} {
		if got := kddRate(c.num, c.den); got != c.want {
			t.Errorf("kddRate(%d, %d) = %v, want %v", c.num, c.den, got, c.want)
		}
	}
}

// TestKDDRatesRoundingOnData checks every time-window and host-window
// rate of KDDTrain+ against the rounding: each value must be kddRate(k,
// N) for some k, with N the row's count. Double-precision rounding, the
// obvious alternative, misses values the data has.
func TestKDDRatesRoundingOnData(t *testing.T) {
	lines := kxTrainLines(t)
	image := func(n int, f func(k, n int) float64) map[string]bool {
		m := map[string]bool{}
		for k := 0; k <= n; k++ {
			m[strconv.FormatFloat(f(k, n), 'f', 2, 64)] = true
		}
		return m
	}
	double := func(k, n int) float64 {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(k)/float64(n), 'f', 2, 64), 64)
		return v
	}
	img32 := map[int]map[string]bool{}
	img64 := map[int]map[string]bool{}
	misses32, misses64 := 0, 0
	check := func(n int, v string) {
		if n == 0 {
			return
		}
		if img32[n] == nil {
			img32[n] = image(n, kddRate)
			img64[n] = image(n, double)
		}
		if !img32[n][v] {
			misses32++
		}
		if !img64[n][v] {
			misses64++
		}
	}
	for _, l := range lines {
		n, ns := l.int(kddCount), l.int(kddSrvCount)
		hn, hs := l.int(kddDstHostCount), l.int(kddDstHostSrvCount)
		for _, i := range []int{kddSerrorRate, kddRerrorRate, kddSameSrvRate, kddDiffSrvRate} {
			check(n, l.f[i])
		}
		for _, i := range []int{kddSrvSerrorRate, kddSrvRerrorRate, kddSrvDiffHostRate} {
			check(ns, l.f[i])
		}
		for _, i := range []int{kddDstHostSameSrvRate, kddDstHostDiffSrvRate, kddDstHostSameSrcPortRate, kddDstHostSerrorRate, kddDstHostRerrorRate} {
			check(hn, l.f[i])
		}
		for _, i := range []int{kddDstHostSrvDiffHostRate, kddDstHostSrvSerrorRate, kddDstHostSrvRerrorRate} {
			check(hs, l.f[i])
		}
	}
	if misses32 != 0 {
		t.Errorf("%d rates of KDDTrain+ are not single-precision roundings of k/count", misses32)
	}
	if misses64 == 0 {
		t.Error("double-precision rounding explains the data too: the single-precision choice is unfounded")
	}
}

// ---------------------------------------------------------------------
// Hash table.

func TestOATableAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seed := maphash.MakeSeed()
	k0 := maphash.Comparable(seed, uint64(1))
	// A weak hash on purpose: long probe chains exercise backward shifts.
	tb := newOATable[uint64, int](4, func(k uint64) uint64 { return (k ^ k0) % 7 })
	ref := map[uint64]int{}
	for i := 0; i < 20000; i++ {
		k := uint64(rng.IntN(300))
		switch rng.IntN(3) {
		case 0, 1:
			s, isNew := tb.slot(k)
			_, had := ref[k]
			if isNew == had {
				t.Fatalf("step %d: slot(%d) new=%v, map had=%v", i, k, isNew, had)
			}
			tb.vals[s]++
			ref[k]++
		case 2:
			s := tb.find(k)
			_, had := ref[k]
			if (s >= 0) != had {
				t.Fatalf("step %d: find(%d) = %d, map had=%v", i, k, s, had)
			}
			if s >= 0 {
				tb.remove(s)
				delete(ref, k)
			}
		}
		if tb.n != len(ref) {
			t.Fatalf("step %d: %d entries, map has %d", i, tb.n, len(ref))
		}
	}
	for k, v := range ref {
		s := tb.find(k)
		if s < 0 || tb.vals[s] != v {
			t.Fatalf("key %d: slot %d", k, s)
		}
	}
}

// ---------------------------------------------------------------------
// Hand-computed windows.

// win returns the window features of a row.
func winOf(r Row) map[string]float64 {
	m := map[string]float64{}
	s := NSLKDD()
	for i := kddCount; i < KDDColumns; i++ {
		m[s.Columns[i].Name] = r.Values[i]
	}
	return m
}

func expect(t *testing.T, what string, r Row, want map[string]float64) {
	t.Helper()
	got := winOf(r)
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("%s: no feature %q", what, k)
		}
		if g != v {
			t.Errorf("%s: %s = %v, want %v", what, k, g, v)
		}
	}
}

func sec(s float64) int64 { return int64(math.Round(s * 1e9)) }

func TestWindowIsolated(t *testing.T) {
	x := newExtractor(t)
	r := extract(t, x, tcpConn(hostA, 80, 40000, sec(1), flow.S0))
	expect(t, "isolated S0", r, map[string]float64{
		"count": 1, "srv_count": 1, "serror_rate": 1, "srv_serror_rate": 1, "rerror_rate": 0,
		"same_srv_rate": 1, "diff_srv_rate": 0, "srv_diff_host_rate": 0, "dst_host_count": 1,
		"dst_host_srv_count": 1, "dst_host_same_srv_rate": 1, "dst_host_diff_srv_rate": 0,
		"dst_host_same_src_port_rate": 1, "dst_host_srv_diff_host_rate": 0, "dst_host_serror_rate": 1,
		"dst_host_srv_serror_rate": 1, "dst_host_rerror_rate": 0, "dst_host_srv_rerror_rate": 0,
	})
	r = extract(t, x, tcpConn(hostB, 25, 40001, sec(1.5), flow.RSTOS0))
	expect(t, "isolated RSTOS0 on another host and service", r, map[string]float64{
		"count": 1, "srv_count": 1, "serror_rate": 0, "rerror_rate": 1, "srv_rerror_rate": 1, "same_srv_rate": 1,
		"dst_host_count": 1, "dst_host_srv_count": 1, "dst_host_rerror_rate": 1,
	})
}

func TestWindowTwoSecondBoundary(t *testing.T) {
	x := newExtractor(t)
	extract(t, x, tcpConn(hostA, 80, 1, sec(10), flow.SF))
	r := extract(t, x, tcpConn(hostA, 80, 2, sec(12)-1, flow.SF))
	expect(t, "1.999999999 s later", r, map[string]float64{"count": 2, "srv_count": 2})
	r = extract(t, x, tcpConn(hostA, 80, 3, sec(12), flow.SF))
	// The first ended exactly 2 s earlier: out. The second is in.
	expect(t, "exactly 2 s later", r, map[string]float64{"count": 2, "srv_count": 2, "dst_host_count": 3})
	r = extract(t, x, tcpConn(hostA, 80, 4, sec(20), flow.SF))
	expect(t, "8 s later", r, map[string]float64{"count": 1, "srv_count": 1, "dst_host_count": 4})
}

func TestWindowHandComputed(t *testing.T) {
	x := newExtractor(t)
	extract(t, x, tcpConn(hostA, 80, 1000, sec(1.0), flow.SF))
	extract(t, x, tcpConn(hostA, 80, 1001, sec(1.1), flow.S0))
	extract(t, x, tcpConn(hostA, 25, 1000, sec(1.2), flow.REJ))
	extract(t, x, tcpConn(hostB, 80, 1002, sec(1.3), flow.SF))
	r := extract(t, x, tcpConn(hostA, 21, 1000, sec(1.4), flow.SF))
	expect(t, "A:21", r, map[string]float64{
		"count": 4, "srv_count": 1, "serror_rate": 0.25, "rerror_rate": 0.25, "srv_serror_rate": 0,
		"srv_rerror_rate": 0, "same_srv_rate": 0.25,
		"diff_srv_rate":      0.75, // 3 distinct services (http, smtp, ftp) over 4
		"srv_diff_host_rate": 0,
		"dst_host_count":     4, "dst_host_srv_count": 1, "dst_host_same_srv_rate": 0.25, "dst_host_diff_srv_rate": 0.75,
		"dst_host_same_src_port_rate": 0.75, "dst_host_srv_diff_host_rate": 0, "dst_host_serror_rate": 0.25,
		"dst_host_srv_serror_rate": 0, "dst_host_rerror_rate": 0.25, "dst_host_srv_rerror_rate": 0,
	})
	r = extract(t, x, tcpConn(hostB, 80, 1003, sec(1.5), flow.REJ))
	expect(t, "B:80", r, map[string]float64{
		"count": 2, "srv_count": 4, "serror_rate": 0, "rerror_rate": 0.5, "same_srv_rate": 1, "diff_srv_rate": 0,
		"srv_serror_rate": 0.25, "srv_rerror_rate": 0.25,
		"srv_diff_host_rate": 0.5, // hosts A and B among 4
		"dst_host_count":     2, "dst_host_srv_count": 4, "dst_host_same_srv_rate": 1, "dst_host_diff_srv_rate": 0,
		"dst_host_same_src_port_rate": 0.5, "dst_host_srv_diff_host_rate": 0.5, "dst_host_serror_rate": 0,
		"dst_host_srv_serror_rate": 0.25, "dst_host_rerror_rate": 0.5, "dst_host_srv_rerror_rate": 0.25,
	})
	// 3.45 s: the window (1.45, 3.45] holds B:80 REJ only, the host window
	// all seven connections.
	r = extract(t, x, tcpConn(hostA, 80, 1004, sec(3.45), flow.SF))
	expect(t, "A:80 later", r, map[string]float64{
		"count": 1, "srv_count": 2, "serror_rate": 0, "rerror_rate": 0, "same_srv_rate": 1, "diff_srv_rate": 0,
		"srv_serror_rate": 0, "srv_rerror_rate": 0.5, "srv_diff_host_rate": 1,
		"dst_host_count": 5, "dst_host_srv_count": 5, "dst_host_same_srv_rate": 0.6, "dst_host_diff_srv_rate": 0.6,
		"dst_host_same_src_port_rate": 0.2, "dst_host_srv_diff_host_rate": 0.4, "dst_host_serror_rate": 0.2,
		"dst_host_srv_serror_rate": 0.2, "dst_host_rerror_rate": 0.2, "dst_host_srv_rerror_rate": 0.2,
	})
}

// TestWindowPrivatePorts: private and other connections are told apart by
// port; named services by name (ftp_data over varying ports is one).
func TestWindowPrivatePorts(t *testing.T) {
	x := newExtractor(t)
	extract(t, x, tcpConn(hostA, 600, 1, sec(1), flow.S0))
	r := extract(t, x, tcpConn(hostA, 601, 1, sec(1.1), flow.S0))
	expect(t, "private ports", r, map[string]float64{"count": 2, "srv_count": 1, "same_srv_rate": 0.5, "diff_srv_rate": 1})
	a := tcpConn(hostB, 50001, 20, sec(1.2), flow.SF)
	b := tcpConn(hostB, 50002, 20, sec(1.3), flow.SF)
	extract(t, x, a)
	r = extract(t, x, b)
	if r.Symbols[kddService] != "ftp_data" {
		t.Fatalf("service %q", r.Symbols[kddService])
	}
	expect(t, "ftp_data", r, map[string]float64{"count": 2, "srv_count": 2, "same_srv_rate": 1, "diff_srv_rate": 0})
	// The same port number over UDP is another service.
	u := flow.Conn{OrigAddr: src1, RespAddr: hostA, OrigPort: 1, RespPort: 601, Proto: flow.ProtoUDP, Start: sec(1.4), End: sec(1.4), State: flow.SF}
	r = extract(t, x, u)
	expect(t, "udp/601", r, map[string]float64{"count": 3, "srv_count": 1, "diff_srv_rate": 1})
}

func TestWindowCaps(t *testing.T) {
	x := newExtractor(t)
	var r Row
	for i := 0; i < 600; i++ {
		// One connection to host B every 100.
		if i%100 == 50 {
			r = extract(t, x, tcpConn(hostB, 25, 9, sec(1)+int64(i)*1e6, flow.SF))
			if r.Values[kddCount] != float64(i/100+1) {
				t.Fatalf("B at %d: count %v, want %d", i, r.Values[kddCount], i/100+1)
			}
			continue
		}
		r = extract(t, x, tcpConn(hostA, 80, uint16(1024+i), sec(1)+int64(i)*1e6, flow.S0))
		n := i - (i+50)/100 + 1 // connections to A so far
		want := math.Min(float64(n), KDDCountCap)
		if r.Values[kddCount] != want || r.Values[kddSrvCount] != want {
			t.Fatalf("conn %d: count %v srv_count %v, want %v", i, r.Values[kddCount], r.Values[kddSrvCount], want)
		}
	}
	// The host window (344..599) holds 253 A connections and 3 B ones.
	expect(t, "flood end", r, map[string]float64{
		"count": 511, "srv_count": 511, "serror_rate": 1, "srv_serror_rate": 1, "same_srv_rate": 1,
		"diff_srv_rate": 0, "srv_diff_host_rate": 0, "dst_host_count": 253, "dst_host_srv_count": 253,
		"dst_host_serror_rate": 1, "dst_host_same_srv_rate": 1, "dst_host_same_src_port_rate": kddRate(1, 253),
	})
	// The per-key cap keeps B exact although 594 newer A connections came.
	r = extract(t, x, tcpConn(hostB, 25, 9, sec(1.6), flow.SF))
	expect(t, "B after the flood", r, map[string]float64{"count": 7, "srv_count": 7, "same_srv_rate": 1,
		"dst_host_count": 4, "dst_host_same_src_port_rate": 1})
	// 256 more A connections fill the host window: its counts stop at 255,
	// the rates use all 256.
	for i := 0; i < 256; i++ {
		st := flow.S0
		if i%2 == 0 {
			st = flow.SF
		}
		r = extract(t, x, tcpConn(hostA, 80, 7, sec(1.7)+int64(i)*1e6, st))
	}
	expect(t, "full host window", r, map[string]float64{"count": 511, "dst_host_count": 255, "dst_host_srv_count": 255,
		"dst_host_serror_rate": 0.5, "dst_host_same_src_port_rate": 1, "dst_host_srv_diff_host_rate": 0,
		"serror_rate": kddRate(128+(511-256), 511)})
	if st := x.Stats(); st.WindowEvicted != 0 {
		t.Errorf("evicted %d entries under the default bound", st.WindowEvicted)
	}
	if x.win.entries != 2*KDDCountCap+2*7 {
		t.Errorf("time window holds %d entries, want %d", x.win.entries, 2*KDDCountCap+2*7)
	}
}

func TestWindowRingWrap(t *testing.T) {
	x := newExtractor(t)
	hosts := []netip.Addr{hostA, hostB, hostC}
	var r Row
	for i := 0; i < 300; i++ {
		st := flow.SF
		if i%5 == 0 {
			st = flow.REJ
		}
		r = extract(t, x, tcpConn(hosts[i%3], 80, uint16(2000+i%7), int64(i)*10e9, st))
		if i < 255 {
			if want := float64(i/3 + 1); r.Values[kddDstHostCount] != want {
				t.Fatalf("conn %d: dst_host_count %v, want %v", i, r.Values[kddDstHostCount], want)
			}
		}
	}
	// Connection 299 (host C): the last 256 are 44..299; C's are 44, 47,
	// ..., 299: 86 of them. REJ on i%5 == 0: among C's, i = 45, 60, ...,
	// 285 (i%15 == 0): 17; among all 256: 44..299 multiples of 5: 51.
	expect(t, "conn 299", r, map[string]float64{
		"count": 1, "srv_count": 1, "dst_host_count": 86, "dst_host_srv_count": 255,
		"dst_host_same_srv_rate": 1, "dst_host_diff_srv_rate": 0,
		"dst_host_srv_diff_host_rate": kddRate(3, 256), "dst_host_rerror_rate": kddRate(17, 86),
		"dst_host_srv_rerror_rate": kddRate(51, 256),
		// Source port 2000 + 299%7 = 2005: C's with i%7 == 5 among 44..299
		// step 3: i%21 == 5 -> 47, 68, ..., 299: 13.
		"dst_host_same_src_port_rate": kddRate(13, 86),
	})
}

func TestWindowMaxEntries(t *testing.T) {
	x, err := NewKDDExtractor(KDDConfig{MaxWindowEntries: 4 * KDDCountCap})
	if err != nil {
		t.Fatal(err)
	}
	// 5000 hosts on distinct ports within one second: 10,000 entries.
	for i := 0; i < 5000; i++ {
		dst := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		r := extract(t, x, tcpConn(dst, uint16(1024+i), 5, sec(1)+int64(i)*1e5, flow.S0))
		if r.Values[kddCount] != 1 {
			t.Fatalf("conn %d: count %v", i, r.Values[kddCount])
		}
		if x.win.entries > 4*KDDCountCap {
			t.Fatalf("conn %d: %d entries stored over the bound", i, x.win.entries)
		}
	}
	if ev := x.Stats().WindowEvicted; ev < 10000-4*KDDCountCap-2 {
		t.Errorf("WindowEvicted = %d", ev)
	}
	// Everything ages out: the tables shrink back to the host window.
	r := extract(t, x, tcpConn(hostA, 80, 5, sec(100), flow.SF))
	expect(t, "after", r, map[string]float64{"count": 1, "srv_count": 1, "dst_host_count": 1})
	if n := x.win.hosts.ids.n; n > KDDHostWindow+1 {
		t.Errorf("%d host keys remain", n)
	}
	if x.win.entries != 2 {
		t.Errorf("%d entries remain", x.win.entries)
	}
	x.Reset()
	if x.win.entries != 0 || x.win.hosts.ids.n != 0 || x.win.srvs.ids.n != 0 || x.win.pairs.n != 0 || x.win.ports.n != 0 || x.win.ringN != 0 {
		t.Error("Reset left state behind")
	}
	if x.Stats().WindowEvicted == 0 || x.Stats().Conns != 5001 {
		t.Errorf("Reset dropped the counters: %+v", x.Stats())
	}
	r = extract(t, x, tcpConn(hostA, 80, 5, sec(100.5), flow.SF))
	expect(t, "after reset", r, map[string]float64{"count": 1, "dst_host_count": 1})
}

// ---------------------------------------------------------------------
// Equivalence with a naive reference of the documented semantics.

type refConn struct {
	t     int64
	host  netip.Addr
	srv   uint32
	sport uint16
	flags uint8
}

// refWindows computes the window features of the last connection of cs
// by scanning: the time window holds the connections with t in (T-2 s,
// T], of which the last 511 to the host (service) are counted; the host
// window is the last 256.
func refWindows(cs []refConn) windowFeatures {
	cur := cs[len(cs)-1]
	var hostSet, srvSet []refConn
	for j := len(cs) - 1; j >= 0 && cs[j].t > cur.t-KDDTimeWindow; j-- {
		if cs[j].host == cur.host && len(hostSet) < KDDCountCap {
			hostSet = append(hostSet, cs[j])
		}
		if cs[j].srv == cur.srv && len(srvSet) < KDDCountCap {
			srvSet = append(srvSet, cs[j])
		}
	}
	var w windowFeatures
	count := func(set []refConn, pred func(refConn) bool) int {
		n := 0
		for _, c := range set {
			if pred(c) {
				n++
			}
		}
		return n
	}
	distinct := func(set []refConn, key func(refConn) string) int32 {
		m := map[string]bool{}
		for _, c := range set {
			m[key(c)] = true
		}
		return int32(len(m))
	}
	serr := func(c refConn) bool { return c.flags&flagSerror != 0 }
	rerr := func(c refConn) bool { return c.flags&flagRerror != 0 }
	srvKey := func(c refConn) string { return strconv.Itoa(int(c.srv)) }
	hostKey := func(c refConn) string { return c.host.String() }
	n, ns := len(hostSet), len(srvSet)
	w.Count, w.SrvCount = n, ns
	w.SerrorRate = kddRate(count(hostSet, serr), n)
	w.RerrorRate = kddRate(count(hostSet, rerr), n)
	w.SrvSerrorRate = kddRate(count(srvSet, serr), ns)
	w.SrvRerrorRate = kddRate(count(srvSet, rerr), ns)
	w.SameSrvRate = kddRate(count(hostSet, func(c refConn) bool { return c.srv == cur.srv }), n)
	w.DiffSrvRate = distinctRate(distinct(hostSet, srvKey), int32(n))
	w.SrvDiffHostRate = distinctRate(distinct(srvSet, hostKey), int32(ns))

	ring := cs
	if len(ring) > KDDHostWindow {
		ring = ring[len(ring)-KDDHostWindow:]
	}
	var hw, sw []refConn
	for _, c := range ring {
		if c.host == cur.host {
			hw = append(hw, c)
		}
		if c.srv == cur.srv {
			sw = append(sw, c)
		}
	}
	hn, sn := len(hw), len(sw)
	w.DstHostCount = min(hn, KDDHostCountCap)
	w.DstHostSrvCount = min(sn, KDDHostCountCap)
	w.DstHostSameSrvRate = kddRate(count(hw, func(c refConn) bool { return c.srv == cur.srv }), hn)
	w.DstHostDiffSrvRate = distinctRate(distinct(hw, srvKey), int32(hn))
	w.DstHostSameSrcPortRate = kddRate(count(hw, func(c refConn) bool { return c.sport == cur.sport }), hn)
	w.DstHostSrvDiffHostRate = distinctRate(distinct(sw, hostKey), int32(sn))
	w.DstHostSerrorRate = kddRate(count(hw, serr), hn)
	w.DstHostSrvSerrorRate = kddRate(count(sw, serr), sn)
	w.DstHostRerrorRate = kddRate(count(hw, rerr), hn)
	w.DstHostSrvRerrorRate = kddRate(count(sw, rerr), sn)
	return w
}

// randomConns generates a reproducible stream with bursts (to pass the
// caps), gaps (to empty the window), IPv6 hosts, every state, and a few
// late connections.
func randomConns(seed uint64, n int) []flow.Conn {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	hosts := []netip.Addr{hostA, hostB, hostC, netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("10.9.9.9")}
	ports := []uint16{21, 23, 25, 80, 80, 80, 443, 999, 998, 1234, 5000}
	out := make([]flow.Conn, 0, n)
	now := int64(1e9)
	for len(out) < n {
		switch k := rng.IntN(100); {
		case k < 3: // a burst to one host and port
			h, p := hosts[rng.IntN(len(hosts))], ports[rng.IntN(len(ports))]
			m := 100 + rng.IntN(600)
			for i := 0; i < m && len(out) < n; i++ {
				now += int64(rng.IntN(2e6))
				c := tcpConn(h, p, uint16(rng.IntN(4)), now, flow.State(rng.IntN(13)))
				out = append(out, c)
			}
			continue
		case k < 5:
			now += int64(1e9 + rng.IntN(3e9))
		default:
			now += int64(rng.IntN(3e8))
		}
		var c flow.Conn
		switch rng.IntN(10) {
		case 0:
			c = flow.Conn{OrigAddr: src1, RespAddr: hosts[rng.IntN(len(hosts))], Proto: flow.ProtoICMP,
				ICMPType: []uint8{8, 0, 3, 4}[rng.IntN(4)], ICMPCode: uint8(rng.IntN(4)), State: flow.SF}
		case 1:
			c = flow.Conn{OrigAddr: src1, RespAddr: hosts[rng.IntN(len(hosts))], Proto: flow.ProtoUDP,
				OrigPort: uint16(rng.IntN(3)), RespPort: []uint16{53, 123, 999, 5000}[rng.IntN(4)], State: flow.SF}
		default:
			c = tcpConn(hosts[rng.IntN(len(hosts))], ports[rng.IntN(len(ports))], uint16(rng.IntN(4)), 0, flow.State(rng.IntN(13)))
		}
		c.Start, c.End = now, now
		if rng.IntN(50) == 0 {
			c.End = now - int64(rng.IntN(5e9)) // late
			c.Start = c.End
		}
		out = append(out, c)
	}
	return out
}

func TestWindowsMatchReference(t *testing.T) {
	n := 6000
	if testing.Short() {
		n = 2000
	}
	for _, seed := range []uint64{1, 2, 3} {
		x := newExtractor(t)
		conns := randomConns(seed, n)
		var hist []refConn
		clock := int64(math.MinInt64)
		for i := range conns {
			c := &conns[i]
			var got windowFeatures
			r := extract(t, x, *c)
			got = x.wf
			tm := max(clock, c.End)
			clock = tm
			svc := ServiceIDOf(c)
			st := c.State
			if KDDFlag(st) == "OTH" {
				st = flow.OTH
			}
			hist = append(hist, refConn{t: tm, host: c.RespAddr, srv: serviceKey(c, svc), sport: c.OrigPort, flags: errorFlags(st)})
			want := refWindows(hist)
			if got != want {
				t.Fatalf("seed %d conn %d (%v:%d %v at %d):\n got %+v\nwant %+v", seed, i, c.RespAddr, c.RespPort, c.State, c.End, got, want)
			}
			if r.Values[kddCount] != float64(want.Count) || r.Values[kddDstHostSrvRerrorRate] != want.DstHostSrvRerrorRate {
				t.Fatalf("seed %d conn %d: row disagrees with the window features", seed, i)
			}
		}
		if x.Stats().OutOfOrder == 0 {
			t.Errorf("seed %d: no late connection exercised", seed)
		}
	}
}

// ---------------------------------------------------------------------
// Semantics checked on KDDTrain+.

func TestWindowSemanticsOnData(t *testing.T) {
	lines := kxTrainLines(t)
	var count1, count0, hostCount0, dh1srv255 int
	var maxCount, maxSrv, maxHost, maxHostSrv int
	srv2 := map[string]int{}
	dhs2 := map[string]int{}
	count2same50 := map[string]int{}
	complementFails := 0
	for n, l := range lines {
		st, ok := flow.ParseState(l.f[kddFlag])
		if !ok {
			t.Fatalf("line %d: flag %q", n+1, l.f[kddFlag])
		}
		fl := errorFlags(st)
		c, s := l.int(kddCount), l.int(kddSrvCount)
		maxCount, maxSrv = max(maxCount, c), max(maxSrv, s)
		maxHost, maxHostSrv = max(maxHost, l.int(kddDstHostCount)), max(maxHostSrv, l.int(kddDstHostSrvCount))
		if c == 0 {
			count0++
		}
		if l.int(kddDstHostCount) == 0 {
			hostCount0++
		}
		if c == 1 {
			count1++
			// Windows include the current connection.
			if l.f[kddSameSrvRate] != "1.00" || l.f[kddDiffSrvRate] != "0.00" {
				t.Errorf("line %d: count 1 with same_srv_rate %s diff_srv_rate %s", n+1, l.f[kddSameSrvRate], l.f[kddDiffSrvRate])
			}
			// The error sets: each rate is the row's own flag.
			if (l.f[kddSerrorRate] == "1.00") != (fl&flagSerror != 0) || (l.f[kddRerrorRate] == "1.00") != (fl&flagRerror != 0) {
				t.Errorf("line %d: flag %s with serror_rate %s rerror_rate %s", n+1, l.f[kddFlag], l.f[kddSerrorRate], l.f[kddRerrorRate])
			}
		}
		if s == 1 && ((l.f[kddSrvSerrorRate] == "1.00") != (fl&flagSerror != 0) || (l.f[kddSrvRerrorRate] == "1.00") != (fl&flagRerror != 0)) {
			t.Errorf("line %d: srv_count 1, flag %s, srv_serror_rate %s srv_rerror_rate %s", n+1, l.f[kddFlag], l.f[kddSrvSerrorRate], l.f[kddSrvRerrorRate])
		}
		if s == 2 {
			srv2[l.f[kddSrvDiffHostRate]]++
		}
		if l.int(kddDstHostSrvCount) == 2 {
			dhs2[l.f[kddDstHostSrvDiffHostRate]]++
		}
		if l.int(kddDstHostCount) == 1 && l.int(kddDstHostSrvCount) == 255 {
			dh1srv255++
		}
		if c == 2 && l.f[kddSameSrvRate] == "0.50" {
			count2same50[l.f[kddDiffSrvRate]]++
		}
		if c > 0 {
			// diff_srv_rate = 1 - same_srv_rate? Count where it is not.
			k := int(math.Round(l.num(kddSameSrvRate) * float64(c)))
			ok := false
			for kk := max(1, k-3); kk <= min(c, k+3); kk++ {
				if kddRate(kk, c) == l.num(kddSameSrvRate) && kddRate(c-kk, c) == l.num(kddDiffSrvRate) {
					ok = true
				}
			}
			if !ok {
				complementFails++
			}
			if !distinctRuleHolds(c, l.num(kddSameSrvRate), l.num(kddDiffSrvRate)) {
				t.Errorf("line %d: count %d same_srv_rate %s diff_srv_rate %s break the distinct-service rule", n+1, c, l.f[kddSameSrvRate], l.f[kddDiffSrvRate])
			}
		}
		if hn := l.int(kddDstHostCount); hn > 0 && !distinctRuleHolds(hn, l.num(kddDstHostSameSrvRate), l.num(kddDstHostDiffSrvRate)) {
			t.Errorf("line %d: dst_host_count %d rates %s %s break the distinct-service rule", n+1, hn, l.f[kddDstHostSameSrvRate], l.f[kddDstHostDiffSrvRate])
		}
	}
	if count1 != 27763 {
		t.Errorf("%d rows with count 1, want 27763", count1)
	}
	if maxCount != KDDCountCap || maxSrv != KDDCountCap || maxHost != KDDHostCountCap || maxHostSrv != KDDHostCountCap {
		t.Errorf("maxima: count %d srv_count %d dst_host_count %d dst_host_srv_count %d", maxCount, maxSrv, maxHost, maxHostSrv)
	}
	if dh1srv255 != 682 {
		t.Errorf("%d rows with dst_host_count 1 and dst_host_srv_count 255, want 682", dh1srv255)
	}
	// Distinct counts: two connections of which one differs give 1.00.
	if len(count2same50) != 1 || count2same50["1.00"] != 1319 {
		t.Errorf("count 2, same_srv_rate 0.50: diff_srv_rate %v", count2same50)
	}
	if len(srv2) != 2 || srv2["0.00"] == 0 || srv2["1.00"] == 0 || len(dhs2) != 2 || dhs2["1.00"] == 0 {
		t.Errorf("srv_count 2: srv_diff_host_rate %v; dst_host_srv_count 2: %v (want only 0.00 and 1.00)", srv2, dhs2)
	}
	if complementFails < 40000 {
		t.Errorf("diff_srv_rate = 1 - same_srv_rate fails on only %d rows", complementFails)
	}
	// Artefacts of the dataset (documented).
	if count0 != 13 || hostCount0 != 3 {
		t.Errorf("%d rows with count 0 and %d with dst_host_count 0, want 13 and 3", count0, hostCount0)
	}
}

// distinctRuleHolds reports whether a row's same and diff rates over n
// connections can come from the distinct-service rule: some k >= 1
// connections share the service, and diff is 0 when k == n, else D/n for
// some D in [2, n-k+1].
func distinctRuleHolds(n int, same, diff float64) bool {
	for k := 1; k <= n; k++ {
		if kddRate(k, n) != same {
			continue
		}
		if k == n && diff == 0 {
			return true
		}
		for d := 2; d <= n-k+1; d++ {
			if kddRate(d, n) == diff {
				return true
			}
		}
	}
	return false
}

// TestServiceKeyEvidenceOnData: the windows tell private (and other)
// ports apart. Were private one service, neptune's flood rows would share
// it, and satan's rows could not reach count 511 with srv_count 1 and
// diff_srv_rate 1.00 (at most 70 distinct names).
func TestServiceKeyEvidenceOnData(t *testing.T) {
	lines := kxTrainLines(t)
	nepLow, nep, satan := 0, 0, 0
	for _, l := range lines {
		if l.f[41] == "neptune" && l.f[2] == "private" && l.int(kddCount) >= 100 {
			nep++
			if l.num(kddSameSrvRate) <= 0.12 {
				nepLow++
			}
		}
		if l.f[41] == "satan" && l.f[2] == "other" && l.int(kddCount) == 511 && l.int(kddSrvCount) == 1 && l.f[kddDiffSrvRate] == "1.00" {
			satan++
		}
	}
	if nep == 0 || float64(nepLow) < 0.8*float64(nep) {
		t.Errorf("neptune private flood rows: %d of %d with same_srv_rate <= 0.12", nepLow, nep)
	}
	if satan < 100 {
		t.Errorf("%d satan other rows with count 511, srv_count 1, diff_srv_rate 1.00", satan)
	}
}

// ---------------------------------------------------------------------
// Allocation and speed.

func TestWindowAllocs(t *testing.T) {
	x := newExtractor(t)
	conns := randomConns(7, 4096)
	// Content for the content services, as the flow stage keeps it.
	for i := range conns {
		switch conns[i].RespPort {
		case 23:
			conns[i].Content[1] = []byte(iac + "login: root\r\nPassword:\r\nroot@h:~# cat /etc/passwd\r\nroot:x:0:0\r\nroot@h:~# ")
		case 21:
			conns[i].Content = [2][]byte{[]byte("USER anonymous\r\nPASS a@b\r\nRETR x\r\n"), []byte("220 x\r\n331 p\r\n230 ok\r\n150 x\r\n226 ok\r\n")}
		case 80:
			conns[i].Content = [2][]byte{[]byte("GET /cgi-bin/x HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")}
		}
	}
	// Make the stream cyclic in time: shift each lap by the span.
	span := conns[len(conns)-1].End - conns[0].End + 10e9
	r := NewRow(NSLKDD())
	i, lap := 0, int64(0)
	step := func() {
		c := conns[i]
		c.Start += lap
		c.End += lap
		if err := x.Extract(&c, &r); err != nil {
			t.Fatal(err)
		}
		i++
		if i == len(conns) {
			i, lap = 0, lap+span
		}
	}
	for k := 0; k < 3*len(conns); k++ { // warm up: tables reach their peak
		step()
	}
	if a := testing.AllocsPerRun(4*len(conns), step); a != 0 {
		t.Errorf("%v allocations per connection in steady state", a)
	}
}

func BenchmarkExtractSYNFlood(b *testing.B) {
	x, err := NewKDDExtractor(KDDConfig{})
	if err != nil {
		b.Fatal(err)
	}
	r := NewRow(NSLKDD())
	c := tcpConn(hostA, 80, 0, 0, flow.S0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.OrigPort = uint16(1024 + i%60000)
		c.OrigAddr = netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)})
		c.End = int64(i) * 1000 // 1 Mpps
		c.Start = c.End
		if err := x.Extract(&c, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractMixed(b *testing.B) {
	x, err := NewKDDExtractor(KDDConfig{})
	if err != nil {
		b.Fatal(err)
	}
	conns := randomConns(11, 8192)
	telnet := []byte("\xff\xfb\x01login: root\r\nPassword: \r\nLast login: Mon\r\n[root@victim ~]# cat /etc/passwd\r\nroot:x:0:0\r\n[root@victim ~]# exit\r\n")
	httpReq := []byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
	httpResp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	for i := range conns {
		switch conns[i].RespPort {
		case 23:
			conns[i].Content[1] = telnet
		case 80:
			conns[i].Content = [2][]byte{httpReq, httpResp}
		}
	}
	span := conns[len(conns)-1].End - conns[0].End + 10e9
	r := NewRow(NSLKDD())
	b.ReportAllocs()
	lap := int64(0)
	for i := 0; b.Loop(); i++ {
		k := i % len(conns)
		if k == 0 && i > 0 {
			lap += span
		}
		c := conns[k]
		c.Start += lap
		c.End += lap
		if err := x.Extract(&c, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSemanticsAgree ties the implementation to KDDSemantics, which a
// model file records.
func TestSemanticsAgree(t *testing.T) {
	s := KDDSemantics()
	if s.TimeWindowSeconds*1e9 != float64(KDDTimeWindow) || s.HostWindow != KDDHostWindow ||
		s.CountCap != KDDCountCap || s.HostCountCap != KDDHostCountCap {
		t.Errorf("KDDSemantics %+v disagrees with the window constants", s)
	}
	var serr, rerr []string
	for st := flow.OTH; st <= flow.SHR; st++ {
		f := errorFlags(st)
		if f&flagSerror != 0 {
			serr = append(serr, st.String())
		}
		if f&flagRerror != 0 {
			rerr = append(rerr, st.String())
		}
	}
	slices.Sort(serr)
	slices.Sort(rerr)
	ws, wr := slices.Sorted(slices.Values(s.SError)), slices.Sorted(slices.Values(s.RError))
	if !slices.Equal(serr, ws) || !slices.Equal(rerr, wr) {
		t.Errorf("error sets %v %v, KDDSemantics %v %v", serr, rerr, ws, wr)
	}
}

// TestWindowFloodMemory: a 1 Mpps SYN flood from spoofed sources and
// ports holds 2x511 time-window entries and at most 256 source ports,
// however long it lasts.
func TestWindowFloodMemory(t *testing.T) {
	x := newExtractor(t)
	r := NewRow(NSLKDD())
	for i := 0; i < 100000; i++ {
		c := tcpConn(hostA, 80, uint16(1024+i%60000), int64(i)*1000, flow.S0)
		c.OrigAddr = netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)})
		if err := x.Extract(&c, &r); err != nil {
			t.Fatal(err)
		}
	}
	w := x.win
	if w.entries != 2*KDDCountCap || w.ports.n > KDDHostWindow || w.hosts.ids.n != 1 || w.srvs.ids.n != 1 || w.pairs.n != 1 {
		t.Errorf("entries %d, ports %d, hosts %d, services %d, pairs %d", w.entries, w.ports.n, w.hosts.ids.n, w.srvs.ids.n, w.pairs.n)
	}
	if len(w.ports.keys) > 4*KDDHostWindow || len(w.hosts.recs) > 2 {
		t.Errorf("tables grew: %d port slots, %d host records", len(w.ports.keys), len(w.hosts.recs))
	}
	expect(t, "flood", r, map[string]float64{"count": 511, "srv_count": 511, "serror_rate": 1, "dst_host_count": 255})
}
