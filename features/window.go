package features

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"net/netip"
)

// Window parameters of NSL-KDD (see the package documentation and
// KDDSemantics).
const (
	// KDDTimeWindow is the length of the time window in nanoseconds: a
	// connection is in the window of a connection ending at t when its
	// own end lies in (t-2 s, t].
	KDDTimeWindow int64 = 2e9
	// KDDHostWindow is the number of connections in the host window, the
	// current one included.
	KDDHostWindow = 256
	// KDDCountCap caps count and srv_count, and is the number of most
	// recent connections per destination host and per service that the
	// time window keeps.
	KDDCountCap = 511
	// KDDHostCountCap caps dst_host_count and dst_host_srv_count.
	KDDHostCountCap = 255
	// DefaultMaxWindowEntries is the default bound on the time window's
	// stored entries (see KDDConfig.MaxWindowEntries).
	DefaultMaxWindowEntries = 1 << 18
)

// Entry flag bits.
const (
	flagSerror uint8 = 1 << iota
	flagRerror
)

const nilIdx int32 = -1

// windowFeatures holds the 19 traffic features (NSL-KDD columns 23-41) of
// one connection. Counts are capped, rates rounded to two decimals as the
// dataset has them.
type windowFeatures struct {
	Count, SrvCount                                      int
	SerrorRate, SrvSerrorRate, RerrorRate, SrvRerrorRate float64
	SameSrvRate, DiffSrvRate, SrvDiffHostRate            float64
	DstHostCount, DstHostSrvCount                        int
	DstHostSameSrvRate, DstHostDiffSrvRate               float64
	DstHostSameSrcPortRate, DstHostSrvDiffHostRate       float64
	DstHostSerrorRate, DstHostSrvSerrorRate              float64
	DstHostRerrorRate, DstHostSrvRerrorRate              float64
}

// kddRate returns num/den computed in single precision and rounded to two
// decimals exactly as C's printf("%.2f") rounds the single-precision
// value (KDDTrain+'s rates match this and no other common rounding: for
// example 3/40 is 0.08 but 7/40 is 0.17), as the nearest float64 to the
// two-decimal number; 0 when den is 0.
func kddRate(num, den int) float64 {
	if den <= 0 || num <= 0 {
		return 0
	}
	return round2(float32(num) / float32(den))
}

// round2 rounds a non-negative float32 to two decimals, ties to even on
// the exact binary value, and returns k/100 as float64. It works on the
// bits: r = m * 2^(e-150) with a 24-bit integer m.
func round2(r float32) float64 {
	bits := math.Float32bits(r)
	e := int(bits >> 23 & 0xff)
	m := uint64(bits & 0x7fffff)
	switch {
	case bits>>31 != 0 || bits == 0:
		return 0
	case e == 0xff:
		return float64(r) // Inf or NaN: not a rate
	case e == 0:
		e = 1 // subnormal
	default:
		m |= 1 << 23
	}
	v := 100 * m // r*100 = v * 2^(e-150)
	var k uint64
	switch s := 150 - e; {
	case s <= 0:
		if s < -30 {
			return float64(r)
		}
		k = v << uint(-s)
	case s >= 64:
		k = 0
	default:
		k = v >> uint(s)
		rem := v & (1<<uint(s) - 1)
		half := uint64(1) << uint(s-1)
		if rem > half || (rem == half && k&1 == 1) {
			k++
		}
	}
	return float64(k) / 100
}

// ---------------------------------------------------------------------
// Open-addressing hash table with linear probing and backward-shift
// deletion: no tombstones, so a table that has reached the window's peak
// size never allocates again however keys churn.

type oaTable[K comparable, V any] struct {
	keys []K
	vals []V
	used []bool
	n    int
	hash func(K) uint64
}

func newOATable[K comparable, V any](capacity int, hash func(K) uint64) oaTable[K, V] {
	c := 16
	for c < capacity {
		c <<= 1
	}
	return oaTable[K, V]{keys: make([]K, c), vals: make([]V, c), used: make([]bool, c), hash: hash}
}

func (t *oaTable[K, V]) mask() int { return len(t.keys) - 1 }

// find returns the slot of k, or -1.
func (t *oaTable[K, V]) find(k K) int {
	m := t.mask()
	for i := int(t.hash(k)) & m; t.used[i]; i = (i + 1) & m {
		if t.keys[i] == k {
			return i
		}
	}
	return -1
}

// slot returns the slot of k, inserting k with a zero value if absent.
// Slots are invalidated by the next insertion or deletion.
func (t *oaTable[K, V]) slot(k K) (int, bool) {
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	m := t.mask()
	i := int(t.hash(k)) & m
	for ; t.used[i]; i = (i + 1) & m {
		if t.keys[i] == k {
			return i, false
		}
	}
	t.used[i] = true
	t.keys[i] = k
	var zero V
	t.vals[i] = zero
	t.n++
	return i, true
}

func (t *oaTable[K, V]) grow() {
	keys, vals, used := t.keys, t.vals, t.used
	c := 2 * len(keys)
	t.keys, t.vals, t.used, t.n = make([]K, c), make([]V, c), make([]bool, c), 0
	m := c - 1
	for j := range keys {
		if !used[j] {
			continue
		}
		i := int(t.hash(keys[j])) & m
		for t.used[i] {
			i = (i + 1) & m
		}
		t.used[i], t.keys[i], t.vals[i] = true, keys[j], vals[j]
		t.n++
	}
}

// remove deletes the entry in slot i.
func (t *oaTable[K, V]) remove(i int) {
	m := t.mask()
	var zeroK K
	var zeroV V
	j := i
	for {
		j = (j + 1) & m
		if !t.used[j] {
			break
		}
		home := int(t.hash(t.keys[j])) & m
		// Leave keys[j] where it is when its home lies cyclically in (i, j].
		if i <= j {
			if i < home && home <= j {
				continue
			}
		} else if i < home || home <= j {
			continue
		}
		t.keys[i], t.vals[i] = t.keys[j], t.vals[j]
		i = j
	}
	t.used[i], t.keys[i], t.vals[i] = false, zeroK, zeroV
	t.n--
}

func (t *oaTable[K, V]) reset() {
	clear(t.used)
	clear(t.keys)
	clear(t.vals)
	t.n = 0
}

// fmix64 is MurmurHash3's 64-bit finalizer.
func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// ---------------------------------------------------------------------
// Time-window queues: one ring of entries per destination host and per
// service, each holding at most KDDCountCap entries in End order.

type tEntry struct {
	end   int64
	other int32 // service id in a host queue, host id in a service queue
	flags uint8
}

type tQueue struct {
	buf     []tEntry
	head, n int
}

func (q *tQueue) front() *tEntry { return &q.buf[q.head] }

func (q *tQueue) push(e tEntry) {
	if q.n == len(q.buf) {
		c := 2 * len(q.buf)
		if c == 0 {
			c = 4
		}
		if c > KDDCountCap+1 {
			c = KDDCountCap + 1
		}
		nb := make([]tEntry, c)
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = e
	q.n++
}

// pop removes the oldest entry. Capacities are powers of two.
func (q *tQueue) pop() tEntry {
	e := q.buf[q.head]
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	if q.n == 0 {
		q.head = 0
	}
	return e
}

// keyRec is the state of one destination host or one service key.
type keyRec struct {
	refs int32
	// Time window.
	tq               tQueue
	tSerr, tRerr     int32
	tDistinct        int32 // distinct partners (services of a host, hosts of a service)
	tLast            int64 // End of the newest entry
	lruPrev, lruNext int32
	inLRU            bool
	// Host window.
	wCount, wSerr, wRerr, wDistinct int32
}

// keySet interns keys (host addresses or service keys) to small ids with
// per-key records, freed when no window refers to them any more.
type keySet[K comparable] struct {
	ids        oaTable[K, int32]
	recs       []keyRec
	keyOf      []K
	free       []int32
	head, tail int32 // time-window LRU, oldest first
}

func newKeySet[K comparable](hash func(K) uint64) keySet[K] {
	return keySet[K]{ids: newOATable[K, int32](64, hash), head: nilIdx, tail: nilIdx}
}

// acquire returns the id of k, creating its record if needed, and takes
// a reference.
func (s *keySet[K]) acquire(k K) int32 {
	i, isNew := s.ids.slot(k)
	if !isNew {
		id := s.ids.vals[i]
		s.recs[id].refs++
		return id
	}
	var id int32
	if n := len(s.free); n > 0 {
		id = s.free[n-1]
		s.free = s.free[:n-1]
		s.keyOf[id] = k
	} else {
		id = int32(len(s.recs))
		s.recs = append(s.recs, keyRec{})
		s.keyOf = append(s.keyOf, k)
	}
	s.ids.vals[i] = id
	r := &s.recs[id]
	buf := r.tq.buf // keep the queue's storage for reuse
	*r = keyRec{refs: 1, lruPrev: nilIdx, lruNext: nilIdx}
	r.tq.buf = buf
	return id
}

// ref takes one more reference to an existing id.
func (s *keySet[K]) ref(id int32) { s.recs[id].refs++ }

// release drops a reference, freeing the key when none is left.
func (s *keySet[K]) release(id int32) {
	r := &s.recs[id]
	r.refs--
	if r.refs > 0 {
		return
	}
	if i := s.ids.find(s.keyOf[id]); i >= 0 {
		s.ids.remove(i)
	}
	var zero K
	s.keyOf[id] = zero
	s.free = append(s.free, id)
}

func (s *keySet[K]) lruRemove(id int32) {
	r := &s.recs[id]
	if !r.inLRU {
		return
	}
	if r.lruPrev != nilIdx {
		s.recs[r.lruPrev].lruNext = r.lruNext
	} else {
		s.head = r.lruNext
	}
	if r.lruNext != nilIdx {
		s.recs[r.lruNext].lruPrev = r.lruPrev
	} else {
		s.tail = r.lruPrev
	}
	r.lruPrev, r.lruNext, r.inLRU = nilIdx, nilIdx, false
}

func (s *keySet[K]) lruPushBack(id int32) {
	s.lruRemove(id)
	r := &s.recs[id]
	r.lruPrev, r.lruNext, r.inLRU = s.tail, nilIdx, true
	if s.tail != nilIdx {
		s.recs[s.tail].lruNext = id
	} else {
		s.head = id
	}
	s.tail = id
}

func (s *keySet[K]) reset() {
	s.ids.reset()
	for i := range s.recs {
		buf := s.recs[i].tq.buf
		s.recs[i] = keyRec{lruPrev: nilIdx, lruNext: nilIdx}
		s.recs[i].tq.buf = buf
	}
	s.free = s.free[:0]
	for i := len(s.recs) - 1; i >= 0; i-- {
		s.free = append(s.free, int32(i))
	}
	clear(s.keyOf)
	s.head, s.tail = nilIdx, nilIdx
}

// pairRec counts the entries of one (host, service) pair: tHost in the
// host's time queue, tSrv in the service's time queue, w in the host
// window.
type pairRec struct{ tHost, tSrv, w int32 }

// wEntry is one connection of the host window.
type wEntry struct {
	host, srv int32
	sport     uint16
	flags     uint8
}

// windows holds the state of both windows.
type windows struct {
	hosts      keySet[[16]byte]
	srvs       keySet[uint32]
	pairs      oaTable[uint64, pairRec]
	ports      oaTable[uint64, int32] // (host, source port) -> count in the host window
	ring       [KDDHostWindow]wEntry
	ringHead   int
	ringN      int
	entries    int // entries in all time queues
	maxEntries int
	evicted    uint64
}

func newWindows(maxEntries int, seed maphash.Seed) *windows {
	k0 := maphash.Comparable(seed, uint64(0x9e3779b97f4a7c15))
	k1 := maphash.Comparable(seed, uint64(0x6a09e667f3bcc909))
	w := &windows{maxEntries: maxEntries}
	w.hosts = newKeySet(func(a [16]byte) uint64 {
		lo := binary.LittleEndian.Uint64(a[:8])
		hi := binary.LittleEndian.Uint64(a[8:])
		return fmix64(fmix64(lo^k0) ^ hi ^ k1)
	})
	w.srvs = newKeySet(func(k uint32) uint64 { return fmix64(uint64(k) ^ k0) })
	pairHash := func(k uint64) uint64 { return fmix64(k ^ k1) }
	w.pairs = newOATable[uint64, pairRec](256, pairHash)
	w.ports = newOATable[uint64, int32](256, pairHash)
	return w
}

func pairKey(h, s int32) uint64 { return uint64(uint32(h))<<32 | uint64(uint32(s)) }

func (w *windows) pair(h, s int32) *pairRec {
	i, _ := w.pairs.slot(pairKey(h, s))
	return &w.pairs.vals[i]
}

func (w *windows) dropPairIfEmpty(h, s int32) {
	i := w.pairs.find(pairKey(h, s))
	if i >= 0 {
		p := w.pairs.vals[i]
		if p.tHost == 0 && p.tSrv == 0 && p.w == 0 {
			w.pairs.remove(i)
		}
	}
}

func addFlags(serr, rerr *int32, f uint8, d int32) {
	if f&flagSerror != 0 {
		*serr += d
	}
	if f&flagRerror != 0 {
		*rerr += d
	}
}

// popHost removes the oldest entry of host h's time queue.
func (w *windows) popHost(h int32) {
	r := &w.hosts.recs[h]
	e := r.tq.pop()
	w.entries--
	addFlags(&r.tSerr, &r.tRerr, e.flags, -1)
	p := w.pair(h, e.other)
	p.tHost--
	if p.tHost == 0 {
		r.tDistinct--
		w.dropPairIfEmpty(h, e.other)
	}
	if r.tq.n == 0 {
		w.hosts.lruRemove(h)
		w.hosts.release(h)
	}
	w.srvs.release(e.other)
}

// popSrv removes the oldest entry of service s's time queue.
func (w *windows) popSrv(s int32) {
	r := &w.srvs.recs[s]
	e := r.tq.pop()
	w.entries--
	addFlags(&r.tSerr, &r.tRerr, e.flags, -1)
	p := w.pair(e.other, s)
	p.tSrv--
	if p.tSrv == 0 {
		r.tDistinct--
		w.dropPairIfEmpty(e.other, s)
	}
	if r.tq.n == 0 {
		w.srvs.lruRemove(s)
		w.srvs.release(s)
	}
	w.hosts.release(e.other)
}

// expire removes the time-window entries that ended at or before cutoff:
// every key whose newest entry is that old, and the old front entries of
// the keys h and s about to be queried.
func (w *windows) expire(cutoff int64, h, s int32) {
	for w.hosts.head != nilIdx && w.hosts.recs[w.hosts.head].tLast <= cutoff {
		id := w.hosts.head
		for w.hosts.recs[id].tq.n > 0 {
			w.popHost(id) // the last pop unlinks id
		}
	}
	for w.srvs.head != nilIdx && w.srvs.recs[w.srvs.head].tLast <= cutoff {
		id := w.srvs.head
		for w.srvs.recs[id].tq.n > 0 {
			w.popSrv(id)
		}
	}
	for w.hosts.recs[h].tq.n > 0 && w.hosts.recs[h].tq.front().end <= cutoff {
		w.popHost(h)
	}
	for w.srvs.recs[s].tq.n > 0 && w.srvs.recs[s].tq.front().end <= cutoff {
		w.popSrv(s)
	}
}

// bound evicts whole keys, oldest first, while the time queues hold more
// than maxEntries entries, never touching h or s.
func (w *windows) bound(h, s int32) {
	for w.entries > w.maxEntries {
		hid, sid := w.hosts.head, w.srvs.head
		if hid == h && hid != nilIdx {
			hid = w.hosts.recs[hid].lruNext
		}
		if sid == s && sid != nilIdx {
			sid = w.srvs.recs[sid].lruNext
		}
		switch {
		case hid != nilIdx && (sid == nilIdx || w.hosts.recs[hid].tLast <= w.srvs.recs[sid].tLast):
			n := w.hosts.recs[hid].tq.n
			for w.hosts.recs[hid].tq.n > 0 {
				w.popHost(hid)
			}
			w.evicted += uint64(n)
		case sid != nilIdx:
			n := w.srvs.recs[sid].tq.n
			for w.srvs.recs[sid].tq.n > 0 {
				w.popSrv(sid)
			}
			w.evicted += uint64(n)
		default:
			return
		}
	}
}

// pushTime adds the current connection to the time queues of h and s.
func (w *windows) pushTime(h, s int32, end int64, flags uint8) {
	hr := &w.hosts.recs[h]
	if hr.tq.n >= KDDCountCap {
		w.popHost(h)
		hr = &w.hosts.recs[h]
	}
	if hr.tq.n == 0 {
		w.hosts.ref(h) // a nonempty queue holds its key
	}
	hr.tq.push(tEntry{end: end, other: s, flags: flags})
	w.entries++
	hr.tLast = end
	addFlags(&hr.tSerr, &hr.tRerr, flags, 1)
	w.hosts.lruPushBack(h)
	w.srvs.ref(s) // the host entry refers to s
	p := w.pair(h, s)
	p.tHost++
	if p.tHost == 1 {
		hr.tDistinct++
	}

	sr := &w.srvs.recs[s]
	if sr.tq.n >= KDDCountCap {
		w.popSrv(s)
		sr = &w.srvs.recs[s]
	}
	if sr.tq.n == 0 {
		w.srvs.ref(s)
	}
	sr.tq.push(tEntry{end: end, other: h, flags: flags})
	w.entries++
	sr.tLast = end
	addFlags(&sr.tSerr, &sr.tRerr, flags, 1)
	w.srvs.lruPushBack(s)
	w.hosts.ref(h)
	p = w.pair(h, s)
	p.tSrv++
	if p.tSrv == 1 {
		sr.tDistinct++
	}
}

// ringAdd adds (d=1) or removes (d=-1) a host-window entry's counts.
func (w *windows) ringAdd(e wEntry, d int32) {
	hr, sr := &w.hosts.recs[e.host], &w.srvs.recs[e.srv]
	hr.wCount += d
	sr.wCount += d
	addFlags(&hr.wSerr, &hr.wRerr, e.flags, d)
	addFlags(&sr.wSerr, &sr.wRerr, e.flags, d)
	p := w.pair(e.host, e.srv)
	p.w += d
	if (d > 0 && p.w == 1) || (d < 0 && p.w == 0) {
		hr.wDistinct += d
		sr.wDistinct += d
	}
	if d < 0 {
		w.dropPairIfEmpty(e.host, e.srv)
	}
	pk := uint64(uint32(e.host))<<32 | uint64(e.sport)
	i, _ := w.ports.slot(pk)
	w.ports.vals[i] += d
	if w.ports.vals[i] == 0 {
		w.ports.remove(i)
	}
}

// pushRing adds the current connection to the host window, dropping the
// oldest when it holds KDDHostWindow connections.
func (w *windows) pushRing(e wEntry) {
	if w.ringN == KDDHostWindow {
		old := w.ring[w.ringHead]
		w.ringAdd(old, -1)
		w.hosts.release(old.host)
		w.srvs.release(old.srv)
		w.ringHead = (w.ringHead + 1) % KDDHostWindow
		w.ringN--
	}
	w.ring[(w.ringHead+w.ringN)%KDDHostWindow] = e
	w.ringN++
	w.hosts.ref(e.host)
	w.srvs.ref(e.srv)
	w.ringAdd(e, 1)
}

// distinctRate is KDD's rate of different services (or hosts): the
// number of distinct services among n connections over n, or 0 when they
// all share one service (see the package documentation).
func distinctRate(distinct, n int32) float64 {
	if distinct < 2 {
		return 0
	}
	return kddRate(int(distinct), int(n))
}

func capInt(n int32, c int) int {
	if int(n) > c {
		return c
	}
	return int(n)
}

// add enters one connection (ended at end, already clamped to be
// monotonic) into both windows and returns its window features.
func (w *windows) add(dst netip.Addr, srvKey uint32, sport uint16, end int64, flags uint8, out *windowFeatures) {
	h := w.hosts.acquire(dst.As16())
	s := w.srvs.acquire(srvKey)

	w.expire(end-KDDTimeWindow, h, s)
	w.pushTime(h, s, end, flags)
	w.pushRing(wEntry{host: h, srv: s, sport: sport, flags: flags})
	w.bound(h, s)

	hr, sr := &w.hosts.recs[h], &w.srvs.recs[s]
	p := w.pair(h, s)
	n, ns := hr.tq.n, sr.tq.n
	out.Count = n
	out.SrvCount = ns
	out.SerrorRate = kddRate(int(hr.tSerr), n)
	out.RerrorRate = kddRate(int(hr.tRerr), n)
	out.SrvSerrorRate = kddRate(int(sr.tSerr), ns)
	out.SrvRerrorRate = kddRate(int(sr.tRerr), ns)
	out.SameSrvRate = kddRate(int(p.tHost), n)
	out.DiffSrvRate = distinctRate(hr.tDistinct, int32(n))
	out.SrvDiffHostRate = distinctRate(sr.tDistinct, int32(ns))

	hn, sn := hr.wCount, sr.wCount
	out.DstHostCount = capInt(hn, KDDHostCountCap)
	out.DstHostSrvCount = capInt(sn, KDDHostCountCap)
	out.DstHostSameSrvRate = kddRate(int(p.w), int(hn))
	out.DstHostDiffSrvRate = distinctRate(hr.wDistinct, hn)
	var same int32
	if i := w.ports.find(uint64(uint32(h))<<32 | uint64(sport)); i >= 0 {
		same = w.ports.vals[i]
	}
	out.DstHostSameSrcPortRate = kddRate(int(same), int(hn))
	out.DstHostSrvDiffHostRate = distinctRate(sr.wDistinct, sn)
	out.DstHostSerrorRate = kddRate(int(hr.wSerr), int(hn))
	out.DstHostSrvSerrorRate = kddRate(int(sr.wSerr), int(sn))
	out.DstHostRerrorRate = kddRate(int(hr.wRerr), int(hn))
	out.DstHostSrvRerrorRate = kddRate(int(sr.wRerr), int(sn))

	w.hosts.release(h)
	w.srvs.release(s)
}

func (w *windows) reset() {
	w.hosts.reset()
	w.srvs.reset()
	w.pairs.reset()
	w.ports.reset()
	w.ringHead, w.ringN, w.entries = 0, 0, 0
}
