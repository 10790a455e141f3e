package flow

import (
	"context"
	"math"
	"sync/atomic"
)

// Flow classes: each class is an LRU list ordered by last activity, and
// all flows of a class share one idle timeout, so that the list front is
// the next to expire.
const (
	classTCPUnanswered = iota // one side silent: TCPAttempt
	classTCPAnswered          // both sides spoke: TCPInactive
	classTCPClosed            // terminated, lingering: TCPLinger
	classUDPUnanswered        // UDPInactive
	classUDPAnswered          // UDPInactive
	classOther                // OtherInactive
	numClasses
)

const nilIdx = -1

// chunkSize is the number of flows per slab chunk.
const chunkSize = 1 << 10

// at returns flow idx of the slab.
func (s *shard) at(idx int32) *flow { return &s.chunks[idx/chunkSize][idx%chunkSize] }

// flow is one live connection. Flows live in a slab and link into their
// class list by index, so that the table holds no per-flow pointers
// besides the optional content.
type flow struct {
	key      Key
	facts    uint16
	prev     int32
	next     int32
	wrong    uint32
	urgent   uint32
	origIsLo bool
	class    uint8
	ftpData  bool
	land     bool
	ethernet bool
	// wantContent: the responder port is a content service
	wantContent bool
	histLen     uint8
	hist        [23]byte
	recN        uint32 // closed status records (in the padding after hist)
	start       int64
	last        int64
	firstSeq    uint64
	firstPkt    uint64
	lastPkt     uint64
	file        string
	lastFile    string
	ep          [2]endpoint // [0] originator, [1] responder
	content     *[2]stream
	rec         records // status records
}

// records accumulates a flow's closed status records (Conn.Records):
// their duration sum, sum of squares and extremes; the open record's
// first packet time, and its first packet time from the originator
// (noOrig until one came). The open record's last packet is the flow's
// last; the record count lives in flow.recN, where the struct has room.
type records struct {
	start     int64
	origStart int64
	sum       int64
	sumSq     float64
	min, max  int64
}

// noOrig marks an open record without a packet from the originator.
const noOrig = math.MinInt64

// recAdd enters a packet at time t (never before the flow's last packet,
// which f.last already holds) sent in direction dir (0 from the
// originator): it closes the open record and starts a new one when t is
// at least interval after the open record's first packet.
func (f *flow) recAdd(t, interval, prevLast int64, dir int) {
	if t-f.rec.start >= interval {
		f.recClose(prevLast)
		f.rec.start, f.rec.origStart = t, noOrig
	}
	if dir == 0 && f.rec.origStart == noOrig {
		f.rec.origStart = t
	}
}

// recClose closes the open record, whose last packet came at last. Its
// duration runs from its first packet from the originator (from its first
// packet when it has none) to its last packet: Argus starts a record at
// its source's first packet (a record opened by the responder's packet
// prints the originator's next packet as its StartTime; checked with
// Argus 3.0.8 on the lab's FTP and telnet captures).
func (f *flow) recClose(last int64) {
	r := &f.rec
	start := r.start
	if r.origStart != noOrig {
		start = r.origStart
	}
	d := last - start
	if f.recN == 0 || d < r.min {
		r.min = d
	}
	if f.recN == 0 || d > r.max {
		r.max = d
	}
	f.recN++
	r.sum += d
	sec := float64(d) / 1e9
	r.sumSq += sec * sec
}

// recFill closes the open record and copies the totals into c.
func (f *flow) recFill(c *Conn) {
	f.recClose(f.last)
	c.Records, c.RecordDurSum, c.RecordDurSumSq = f.recN, f.rec.sum, f.rec.sumSq
	c.RecordDurMin, c.RecordDurMax = f.rec.min, f.rec.max
}

// lruList is a doubly linked list of flows through the slab.
type lruList struct{ head, tail int32 }

// rec is an emitted connection with its ordering tie-break.
type rec struct {
	c   Conn
	seq uint64
}

// shardCounters are a shard's statistics, readable from any goroutine.
type shardCounters struct {
	created, closed, expired, evicted, shutdown atomic.Uint64
	active                                      atomic.Int64
	contentDropped, ftpData                     atomic.Uint64
	_                                           [64]byte // keep shards' counters apart
}

// shardParams are the shard's read-only settings.
type shardParams struct {
	timeout    [numClasses]int64
	active     int64
	status     int64 // status record interval
	maxFlows   int
	contentCap int
	content    *portSet
	servers    *portSet
}

// shard owns a part of the flow table; one goroutine runs it.
type shard struct {
	id     int
	par    *shardParams
	chunks []*[chunkSize]flow // flow slab, grown by chunks (no copying)
	nflows int
	free   []int32
	index  map[Key]int32
	lists  [numClasses]lruList
	now    int64
	out    []rec
	cnt    *shardCounters
	hist   map[string]string // interned history strings
}

func newShard(id int, par *shardParams, cnt *shardCounters) *shard {
	s := &shard{id: id, par: par, cnt: cnt, index: make(map[Key]int32), hist: make(map[string]string)}
	for i := range s.lists {
		s.lists[i] = lruList{nilIdx, nilIdx}
	}
	return s
}

// run processes batches until in is closed or ctx is done.
func (s *shard) run(ctx context.Context, in <-chan *batch, out chan<- shardMsg, release func(*batch), outPool *recPool) {
	defer func() {
		if s.out != nil {
			outPool.put(s.out)
		}
	}()
	for {
		var b *batch
		select {
		case b = <-in:
		case <-ctx.Done():
			return
		}
		if b == nil {
			return
		}
		s.out = outPool.get()
		for i := range b.pkts {
			s.packet(&b.pkts[i])
		}
		s.advance(b.now)
		wm := b.now
		if b.flush {
			s.flushAll()
			wm = b.now + 1
		} else if h := s.lists[classTCPClosed].head; h != nilIdx && s.at(h).last < wm {
			wm = s.at(h).last
		}
		release(b)
		msg := shardMsg{shard: s.id, recs: s.out, wm: wm}
		s.out = nil
		select {
		case out <- msg:
		case <-ctx.Done():
			return
		}
	}
}

// advance fires the timers due before now.
func (s *shard) advance(now int64) {
	if now > s.now {
		s.now = now
	}
	for c := range s.lists {
		to := s.par.timeout[c]
		for h := s.lists[c].head; h != nilIdx; h = s.lists[c].head {
			f := s.at(h)
			if f.last+to >= s.now {
				break
			}
			if c == classTCPClosed {
				s.cnt.closed.Add(1)
				s.emit(h, Closed, f.last)
			} else {
				s.cnt.expired.Add(1)
				s.emit(h, Timeout, f.last+to)
			}
		}
	}
}

// packet processes one packet.
func (s *shard) packet(p *Packet) {
	s.advance(p.Time)
	if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 {
		s.icmp(p)
		return
	}
	idx, ok := s.index[p.key]
	if ok {
		f := s.at(idx)
		switch {
		case p.Proto == ProtoTCP && p.Flags&(FlagSYN|FlagACK) == FlagSYN && terminated(f.facts):
			// A new SYN on a finished connection starts a new one.
			s.cnt.closed.Add(1)
			s.emit(idx, Closed, f.last)
			ok = false
		case s.par.active > 0 && p.Time-f.start > s.par.active:
			s.cnt.expired.Add(1)
			s.emit(idx, Timeout, p.Time)
			ok = false
		}
	}
	if !ok {
		idx = s.create(p)
	}
	s.update(idx, p)
}

// icmp emits an ICMP packet as its own connection.
func (s *shard) icmp(p *Packet) {
	s.cnt.created.Add(1)
	s.cnt.closed.Add(1)
	c := Conn{
		OrigAddr: p.Src, RespAddr: p.Dst, Proto: p.Proto,
		ICMPType: p.ICMPType, ICMPCode: p.ICMPCode, VLAN: p.VLAN,
		Start: p.Time, End: p.Time, Finish: p.Time, State: SF, Reason: Closed,
		OrigPkts: uint64(max(1, p.Fragments)), OrigBytes: uint64(p.PayloadLen),
		OrigIPBytes:    uint64(p.IPLen),
		OrigFrameBytes: uint64(p.FrameLen), Ethernet: p.Ethernet, ID: p.seq + 1,
		Records: 1, ICMPID: p.ICMPID, ICMPSeq: p.ICMPSeq, Quote: p.Quote,
		WrongFragment: uint32(p.WrongFragments),
		Land:          p.Src == p.Dst,
		File:          p.File, LastFile: p.File, FirstPacket: p.Number, LastPacket: p.Number,
	}
	s.out = append(s.out, rec{c: c, seq: p.seq})
}

// create makes a flow for p's key, evicting one at the cap.
func (s *shard) create(p *Packet) int32 {
	if len(s.index) >= s.par.maxFlows {
		s.evict()
	}
	var idx int32
	if n := len(s.free); n > 0 {
		idx = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if s.nflows%chunkSize == 0 {
			s.chunks = append(s.chunks, new([chunkSize]flow))
		}
		idx = int32(s.nflows)
		s.nflows++
	}
	f := s.at(idx)
	*f = flow{key: p.key, origIsLo: p.fromLo, start: p.Time, last: p.Time, firstSeq: p.seq,
		firstPkt: p.Number, file: p.File, prev: nilIdx, next: nilIdx, ethernet: p.Ethernet,
		rec: records{start: p.Time, origStart: noOrig}}
	f.land = p.Src == p.Dst && p.SrcPort == p.DstPort
	if p.Proto == ProtoTCP && p.Flags&(FlagSYN|FlagACK) != FlagSYN {
		// Zeek's rule for a connection whose first packet is not a bare
		// SYN: the sender is the originator unless its port is a likely
		// server port; when both are, flip only for a non-SYN packet
		// from the lower port.
		sp, dp := p.SrcPort, p.DstPort
		flip := false
		if s.par.servers.has(sp) {
			if s.par.servers.has(dp) {
				flip = p.Flags&FlagSYN == 0 && sp < dp
			} else {
				flip = true
			}
		}
		if flip {
			f.origIsLo = !p.fromLo
			f.addHist(1, '^')
		}
	}
	respPort := p.key.port(0)
	if f.origIsLo {
		respPort = p.key.port(1)
	}
	// Content streams are allocated at the first payload byte: a flood of
	// SYNs to a content port costs no stream memory.
	f.wantContent = p.Proto == ProtoTCP && s.par.contentCap > 0 && s.par.content.has(respPort)
	switch p.Proto {
	case ProtoTCP:
		f.class = classTCPUnanswered
	case ProtoUDP:
		f.class = classUDPUnanswered
	default:
		f.class = classOther
	}
	s.pushBack(f.class, idx)
	s.index[p.key] = idx
	s.cnt.created.Add(1)
	s.cnt.active.Add(1)
	return idx
}

// evict pushes out one flow: the least recently active terminated flow,
// else the least recently active one-sided flow (one side never sent a
// packet), else the least recently active flow of all.
func (s *shard) evict() {
	pick := func(classes ...int) int32 {
		best := int32(nilIdx)
		for _, c := range classes {
			if h := s.lists[c].head; h != nilIdx && (best == nilIdx || s.at(h).last < s.at(best).last) {
				best = h
			}
		}
		return best
	}
	idx := pick(classTCPClosed)
	if idx == nilIdx {
		idx = pick(classTCPUnanswered, classUDPUnanswered)
	}
	if idx == nilIdx {
		idx = pick(classTCPAnswered, classUDPAnswered, classOther)
	}
	if idx == nilIdx {
		return
	}
	s.cnt.evicted.Add(1)
	s.emit(idx, Evicted, s.now)
}

// update applies p to flow idx.
func (s *shard) update(idx int32, p *Packet) {
	f := s.at(idx)
	dir := 0
	if p.fromLo != f.origIsLo {
		dir = 1
	}
	e := &f.ep[dir]
	e.pkts += uint64(max(1, p.Fragments))
	e.ipBytes += uint64(p.IPLen)
	e.addFrame(p.FrameLen, p.IPLen)
	prevLast := f.last
	if p.Time > f.last {
		f.last = p.Time
	}
	f.recAdd(p.Time, s.par.status, prevLast, dir)
	f.lastPkt = p.Number
	f.lastFile = p.File
	f.wrong += uint32(p.WrongFragments)
	if p.ftpData {
		f.ftpData = true
	}
	switch p.Proto {
	case ProtoTCP:
		s.tcp(f, dir, p)
	default:
		e.hi += uint64(p.PayloadLen) // payload bytes, for protocols without sequence numbers
	}
	class := f.class
	both := f.ep[0].pkts > 0 && f.ep[1].pkts > 0
	switch {
	case p.Proto == ProtoTCP && terminated(f.facts):
		class = classTCPClosed
	case p.Proto == ProtoTCP && both:
		class = classTCPAnswered
	case p.Proto == ProtoUDP && both:
		class = classUDPAnswered
	}
	s.unlink(f.class, idx)
	f.class = uint8(class)
	s.pushBack(f.class, idx)
}

// tcp applies a TCP segment: facts, history, sequence space, content.
func (s *shard) tcp(f *flow, dir int, p *Packet) {
	e, peer := &f.ep[dir], &f.ep[1-dir]
	fl := p.Flags
	orig := dir == 0
	if fl&FlagURG != 0 {
		f.urgent++
	}
	syn, ack, fin, rst := fl&FlagSYN != 0, fl&FlagACK != 0, fl&FlagFIN != 0, fl&FlagRST != 0
	if syn {
		switch {
		case !ack && orig:
			f.facts |= factOrigSyn
		case !ack:
			f.facts |= factRespSyn
		case orig:
			f.facts |= factOrigSynAck
		default:
			f.facts |= factRespSynAck
		}
	}
	if fin {
		if orig {
			f.facts |= factOrigFin
		} else {
			f.facts |= factRespFin
		}
	}
	if rst {
		if orig {
			f.facts |= factOrigRst
		} else {
			f.facts |= factRespRst
		}
	}
	// History letters as Zeek records them: a packet with more than one
	// of SYN, FIN and RST is I (FIN+RST) or Q; one of them gives S or H,
	// F, R; none gives D for payload, else A for an ACK.
	switch bits := b2i(syn) + b2i(fin) + b2i(rst); {
	case bits > 1 && fin && rst:
		f.addHist(dir, histInconsistent)
	case bits > 1:
		f.addHist(dir, histMulti)
	case bits == 1:
		switch {
		case syn && ack:
			f.addHist(dir, histSynAck)
		case syn:
			f.addHist(dir, histSyn)
		case fin:
			f.addHist(dir, histFin)
		default:
			f.addHist(dir, histRst)
		}
	case p.PayloadLen > 0:
		f.addHist(dir, histData)
	case ack:
		f.addHist(dir, histAck)
	}
	if p.Window == 0 && !rst && !syn {
		f.addHist(dir, histZeroWin)
	}

	// Sequence space.
	seq := p.Seq
	if !e.seqInit || (syn && !e.synSeen && e.hi == 0) || (syn && e.synSeen && e.hi == 0 && seq+1 != e.base) {
		// First segment, or the first SYN after mid-stream ACKs, or a
		// SYN with a new ISN before any data: set the base.
		e.seqInit = true
		e.hi, e.ackEnd, e.finOff, e.finSeen = 0, 0, 0, false
		if syn {
			e.synSeen = true
			e.base = seq + 1
		} else {
			e.base = seq
		}
	}
	if syn {
		seq++ // the SYN octet precedes the data
	}
	if off, ok := e.offset(seq); ok {
		n := uint64(p.PayloadLen)
		if n > 0 && !rst {
			if off < e.hi {
				f.addHist(dir, histRetx)
			}
			if end := off + n; end > e.hi {
				e.hi = end
			}
			if f.wantContent {
				if f.content == nil {
					f.content = new([2]stream)
				}
				st := &f.content[dir]
				before := st.dropped
				st.add(off, p.Payload, n, s.par.contentCap)
				if d := st.dropped - before; d > 0 {
					s.cnt.contentDropped.Add(d)
				}
			}
		}
		if fin && !e.finSeen {
			e.finSeen = true
			e.finOff = off + n
		}
	}
	if ack && peer.seqInit {
		if off, ok := peer.offset(p.Ack); ok && off > peer.ackEnd {
			peer.ackEnd = off
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addHist records history letter h (an index into histLetters, or a raw
// byte such as '^') for direction dir at its first occurrence.
func (f *flow) addHist(dir int, h int) {
	var c byte
	if h < numHist {
		bit := uint16(1) << h
		if f.ep[dir].hist&bit != 0 {
			return
		}
		f.ep[dir].hist |= bit
		c = histLetters[h]
		if dir == 1 {
			c += 'a' - 'A'
		}
	} else {
		c = byte(h)
	}
	if int(f.histLen) < len(f.hist) {
		f.hist[f.histLen] = c
		f.histLen++
	}
}

// emit finishes flow idx with the given reason and finish time and frees it.
func (s *shard) emit(idx int32, reason Reason, finish int64) {
	f := s.at(idx)
	o, r := 0, 1
	if !f.origIsLo {
		o, r = 1, 0
	}
	proto := f.key.proto
	c := Conn{
		OrigAddr: f.key.addr(o), RespAddr: f.key.addr(r),
		OrigPort: f.key.port(o), RespPort: f.key.port(r),
		Proto: proto, VLAN: f.key.vlan,
		Start: f.start, End: f.last, Finish: finish, Reason: reason,
		History:  s.history(f.hist[:f.histLen]),
		OrigPkts: f.ep[0].pkts, RespPkts: f.ep[1].pkts,
		OrigIPBytes: f.ep[0].ipBytes, RespIPBytes: f.ep[1].ipBytes,
		OrigFrameBytes: f.ep[0].frameBytes(), RespFrameBytes: f.ep[1].frameBytes(),
		Ethernet: f.ethernet, ID: f.firstSeq + 1,
		WrongFragment: f.wrong, Urgent: f.urgent, Land: f.land, FTPData: f.ftpData,
		File: f.file, LastFile: f.lastFile, FirstPacket: f.firstPkt, LastPacket: f.lastPkt,
	}
	f.recFill(&c)
	switch proto {
	case ProtoTCP:
		c.State = tcpState(f.facts, f.ep[1].pkts > 0)
		c.OrigBytes, c.RespBytes = f.ep[0].size(), f.ep[1].size()
		if f.content != nil {
			for d := range 2 {
				st := &f.content[d]
				before := st.dropped
				st.finish(f.ep[d].acked(), s.par.contentCap)
				if n := st.dropped - before; n > 0 {
					s.cnt.contentDropped.Add(n)
				}
				c.Content[d] = st.buf
				c.ContentGaps[d] = st.gap
				c.ContentTruncated[d] = st.trunc
			}
		}
	case ProtoUDP:
		c.State = SF
		c.OrigBytes, c.RespBytes = f.ep[0].hi, f.ep[1].hi
	default:
		c.State = OTH
		c.OrigBytes, c.RespBytes = f.ep[0].hi, f.ep[1].hi
	}
	if f.ftpData {
		s.cnt.ftpData.Add(1)
	}
	s.out = append(s.out, rec{c: c, seq: f.firstSeq})
	s.unlink(f.class, idx)
	delete(s.index, f.key)
	*f = flow{}
	s.free = append(s.free, idx)
	s.cnt.active.Add(-1)
}

// history returns h as a string, interned: connections share a few dozen
// histories, so most records cost no allocation for it.
func (s *shard) history(h []byte) string {
	if str, ok := s.hist[string(h)]; ok {
		return str
	}
	str := string(h)
	if len(s.hist) < maxInterned {
		s.hist[str] = str
	}
	return str
}

// maxInterned bounds the interned histories per shard.
const maxInterned = 4096

// flushAll emits every live flow: terminated ones as Closed, the others
// with Reason Shutdown at the current time.
func (s *shard) flushAll() {
	for c := range s.lists {
		for h := s.lists[c].head; h != nilIdx; h = s.lists[c].head {
			if c == classTCPClosed {
				s.cnt.closed.Add(1)
				s.emit(h, Closed, s.at(h).last)
			} else {
				s.cnt.shutdown.Add(1)
				s.emit(h, Shutdown, s.now)
			}
		}
	}
}

func (s *shard) pushBack(c uint8, idx int32) {
	l := &s.lists[c]
	f := s.at(idx)
	f.prev, f.next = l.tail, nilIdx
	if l.tail != nilIdx {
		s.at(l.tail).next = idx
	} else {
		l.head = idx
	}
	l.tail = idx
}

func (s *shard) unlink(c uint8, idx int32) {
	l := &s.lists[c]
	f := s.at(idx)
	if f.prev != nilIdx {
		s.at(f.prev).next = f.next
	} else {
		l.head = f.next
	}
	if f.next != nilIdx {
		s.at(f.next).prev = f.prev
	} else {
		l.tail = f.prev
	}
	f.prev, f.next = nilIdx, nilIdx
}
