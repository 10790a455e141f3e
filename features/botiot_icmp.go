package features

import (
	"github.com/cnids/cnids/flow"
)

// ICMP flows: the flow stage makes every ICMP packet its own connection
// (NSL-KDD's rule); the BoT-IoT extractor merges them into Argus' ICMP
// flows (see BotIoTExtractor).

// icmpKind classifies an ICMP message.
type icmpKind uint8

const (
	icmpOther icmpKind = iota
	icmpRequest
	icmpReply
	icmpError
)

// icmpClass returns the kind of an ICMP (v6 false) or ICMPv6 message and,
// for queries, the request type.
func icmpClass(typ uint8, v6 bool) (icmpKind, uint8) {
	if v6 {
		switch typ {
		case 128:
			return icmpRequest, 128
		case 129:
			return icmpReply, 128
		case 1, 2, 3, 4:
			return icmpError, typ
		}
		return icmpOther, typ
	}
	switch typ {
	case 8, 13, 15, 17:
		return icmpRequest, typ
	case 0:
		return icmpReply, 8
	case 14, 16, 18:
		return icmpReply, typ - 1
	case 3, 4, 5, 11, 12:
		return icmpError, typ
	}
	return icmpOther, typ
}

// icmpState returns Argus' state name of an ICMP message.
func icmpState(typ, code uint8, v6 bool) string {
	if v6 {
		switch typ {
		case 1:
			switch code {
			case 1:
				return "URHPRO"
			case 3:
				return "URH"
			case 4:
				return "URP"
			}
			return "URN"
		case 2:
			return "PTB"
		case 3:
			return "TXD"
		case 4:
			return "PAR"
		case 128:
			return "ECO"
		case 129:
			return "ECR"
		case 130:
			return "MRQ"
		case 131, 132, 143:
			return "MHR"
		case 133:
			return "NRS"
		case 134:
			return "NRA"
		case 135:
			return "NNS"
		case 136:
			return "NNA"
		}
		return "UNK"
	}
	switch typ {
	case 0:
		return "ECR"
	case 3:
		if int(code) < len(unreachStates) {
			return unreachStates[code]
		}
		return "URN"
	case 4:
		return "SRC"
	case 5:
		return "RED"
	case 8:
		return "ECO"
	case 9:
		return "RTA"
	case 10:
		return "RTS"
	case 11:
		return "TXD"
	case 12:
		return "PAR"
	case 13:
		return "TST"
	case 14:
		return "TSR"
	case 15:
		return "IRQ"
	case 16:
		return "IRR"
	case 17:
		return "MAS"
	case 18:
		return "MSR"
	}
	return "UNK"
}

// unreachStates are Argus' names of the destination unreachable codes
// (ra's manual omits URO, protocol unreachable, which ra prints).
var unreachStates = []string{"URN", "URH", "URO", "URP", "URF", "URS", "URNU", "URHU", "URISO",
	"URNPRO", "URHPRO", "URNTOS", "URHTOS", "URFIL", "URPRE", "URCUT"}

// swap16 swaps the bytes of a 16-bit value: Argus prints its ICMP "ports"
// in host (little-endian) order.
func swap16(v uint16) uint16 { return v<<8 | v>>8 }

// argusICMPID returns the identifier Argus keys an ICMP error on, as it
// prints it in dport: the quoted destination port (port unreachable), the
// quoted protocol (protocol unreachable), the first two bytes of the
// quoted destination address (network and host unreachable, network and
// host redirects), else 0.
func argusICMPID(c *flow.Conn) uint16 {
	q := &c.Quote
	if c.Proto != flow.ProtoICMP || !q.Valid() {
		return 0
	}
	switch {
	case c.ICMPType == 3 && c.ICMPCode == 3:
		return swap16(q.DstPort)
	case c.ICMPType == 3 && c.ICMPCode == 2:
		return swap16(uint16(q.Proto))
	case (c.ICMPType == 3 || c.ICMPType == 5) && c.ICMPCode <= 1:
		b := q.Dst.As16()
		if q.Dst.Is4() {
			return uint16(b[12])<<8 | uint16(b[13])
		}
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return 0
}

// icmpKey identifies an ICMP flow.
type icmpKey struct {
	a, b [16]byte // requester and responder, or sender and receiver
	id   uint16   // identifier (queries), Argus' identifier (errors)
	typ  uint8    // request type (queries), type (others)
	code uint8    // code (errors and others)
	tp   uint8    // quoted protocol (errors)
	v6   bool
}

// icmpFlow is an ICMP flow being assembled.
type icmpFlow struct {
	f          botFlow
	key        icmpKey
	query      bool
	request    bool   // a request was seen
	firstState string // state of the first packet
	recStart   int64  // open record's first packet
	recLast    int64  // open record's last packet
	recSeq     uint16 // open record's sequence number (queries)
	prev, next int32
}

// icmpFlows holds the open ICMP flows in a slab, indexed by key, linked
// in an LRU list by last packet.
type icmpFlows struct {
	max   int
	index map[icmpKey]int32
	slab  []icmpFlow
	free  []int32
	lru   struct{ head, tail int32 }
}

func (s *icmpFlows) init(max int) {
	s.max = max
	s.index = make(map[icmpKey]int32)
	s.lru.head, s.lru.tail = nilIdx, nilIdx
}

func (s *icmpFlows) reset() {
	clear(s.index)
	clear(s.slab)
	s.slab, s.free = s.slab[:0], s.free[:0]
	s.lru.head, s.lru.tail = nilIdx, nilIdx
}

func (s *icmpFlows) unlink(i int32) {
	f := &s.slab[i]
	if f.prev != nilIdx {
		s.slab[f.prev].next = f.next
	} else {
		s.lru.head = f.next
	}
	if f.next != nilIdx {
		s.slab[f.next].prev = f.prev
	} else {
		s.lru.tail = f.prev
	}
	f.prev, f.next = nilIdx, nilIdx
}

func (s *icmpFlows) pushBack(i int32) {
	f := &s.slab[i]
	f.prev, f.next = s.lru.tail, nilIdx
	if s.lru.tail != nilIdx {
		s.slab[s.lru.tail].next = i
	} else {
		s.lru.head = i
	}
	s.lru.tail = i
}

// addICMP merges one ICMP packet (a connection of the flow stage) into
// its flow.
func (x *BotIoTExtractor) addICMP(c *flow.Conn) {
	v6 := c.Proto == flow.ProtoICMPv6
	kind, reqType := icmpClass(c.ICMPType, v6)
	var k icmpKey
	k.v6 = v6
	fromB := false // sent by the key's b side (a reply)
	switch kind {
	case icmpRequest, icmpReply:
		k.typ, k.id = reqType, c.ICMPID
		k.a, k.b = c.OrigAddr.As16(), c.RespAddr.As16()
		if kind == icmpReply {
			k.a, k.b, fromB = k.b, k.a, true
		}
	case icmpError:
		k.a, k.b = c.OrigAddr.As16(), c.RespAddr.As16()
		k.typ, k.code, k.tp, k.id = c.ICMPType, c.ICMPCode, c.Quote.Proto, argusICMPID(c)
		if !(c.ICMPType == 3 && c.ICMPCode == 3) {
			k.tp = 0
		}
	default:
		k.a, k.b = c.OrigAddr.As16(), c.RespAddr.As16()
		k.typ, k.code = c.ICMPType, c.ICMPCode
	}
	s := &x.icmp
	i, ok := s.index[k]
	if !ok {
		if len(s.index) >= s.max && s.lru.head != nilIdx {
			x.stats.ICMPEvicted++
			x.completeICMP(s.lru.head, flow.Evicted, x.now)
		}
		i = x.newICMP(c, k, kind, fromB)
	} else {
		s.unlink(i)
	}
	s.pushBack(i)
	f := &s.slab[i]
	t := c.End
	// Records: one per sequence number for queries, status intervals for
	// the others.
	switch {
	case f.query && c.ICMPSeq != f.recSeq:
		f.closeRecord()
		f.recStart, f.recSeq = t, c.ICMPSeq
	case !f.query && t-f.recStart >= x.status:
		f.closeRecord()
		f.recStart = t
	}
	if t > f.recLast {
		f.recLast = t
	}
	fc := &f.f.c
	if fromB {
		fc.RespPkts += c.OrigPkts
		fc.RespBytes += c.OrigBytes
		fc.RespIPBytes += c.OrigIPBytes
		fc.RespFrameBytes += c.OrigFrameBytes
	} else {
		fc.OrigPkts += c.OrigPkts
		fc.OrigBytes += c.OrigBytes
		fc.OrigIPBytes += c.OrigIPBytes
		fc.OrigFrameBytes += c.OrigFrameBytes
	}
	if kind == icmpRequest && !f.request {
		f.request = true
		fc.ICMPType, fc.ICMPCode = c.ICMPType, c.ICMPCode
	}
	if t > fc.End {
		fc.End = t
	}
	fc.WrongFragment += c.WrongFragment
	fc.LastFile, fc.LastPacket = c.LastFile, c.LastPacket
}

// newICMP starts an ICMP flow with packet c.
func (x *BotIoTExtractor) newICMP(c *flow.Conn, k icmpKey, kind icmpKind, fromB bool) int32 {
	s := &x.icmp
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.slab = append(s.slab, icmpFlow{})
		i = int32(len(s.slab) - 1)
	}
	s.index[k] = i
	f := &s.slab[i]
	*f = icmpFlow{key: k, query: kind == icmpRequest || kind == icmpReply, recStart: c.End, recLast: c.End,
		recSeq: c.ICMPSeq, prev: nilIdx, next: nilIdx}
	f.firstState = icmpState(c.ICMPType, c.ICMPCode, k.v6)
	fc := &f.f.c
	fc.OrigAddr, fc.RespAddr = c.OrigAddr, c.RespAddr
	if fromB {
		fc.OrigAddr, fc.RespAddr = c.RespAddr, c.OrigAddr
	}
	fc.Proto, fc.ICMPType, fc.ICMPCode, fc.VLAN = c.Proto, c.ICMPType, c.ICMPCode, c.VLAN
	fc.Start, fc.End, fc.State = c.Start, c.End, flow.SF
	fc.Ethernet, fc.ID, fc.Land = c.Ethernet, c.ID, c.Land
	fc.ICMPID, fc.Quote = c.ICMPID, c.Quote
	fc.File, fc.FirstPacket = c.File, c.FirstPacket
	f.f.ports, f.f.hexPorts = true, !k.v6
	// Argus prints the first packet's type with the key's code (0 for
	// queries: nmap's echo requests of code 9 print 0x0008), and the key's
	// identifier, each 16-bit value in host byte order.
	switch {
	case k.v6:
		// ICMPv6: the key's type and code, in decimal.
		f.f.sport, f.f.dport = uint16(k.typ), uint16(k.code)
	case kind == icmpRequest, kind == icmpReply:
		f.f.sport = uint16(c.ICMPType)
		f.f.dport = swap16(c.ICMPID)
	case kind == icmpError:
		f.f.sport = uint16(c.ICMPCode)<<8 | uint16(c.ICMPType)
		f.f.dport = k.id
	default:
		f.f.sport = uint16(c.ICMPCode)<<8 | uint16(c.ICMPType)
	}
	return i
}

// closeRecord closes the open record of an ICMP flow.
func (f *icmpFlow) closeRecord() {
	c := &f.f.c
	d := f.recLast - f.recStart
	if c.Records == 0 || d < c.RecordDurMin {
		c.RecordDurMin = d
	}
	if c.Records == 0 || d > c.RecordDurMax {
		c.RecordDurMax = d
	}
	c.Records++
	c.RecordDurSum += d
	sec := float64(d) / 1e9
	c.RecordDurSumSq += sec * sec
}

// completeICMP completes ICMP flow i with the given reason at finish and
// queues it for its row.
func (x *BotIoTExtractor) completeICMP(i int32, reason flow.Reason, finish int64) {
	s := &x.icmp
	f := &s.slab[i]
	f.closeRecord()
	c := &f.f.c
	c.Reason = reason
	c.Finish = max(finish, c.End)
	f.f.ltime = c.End
	f.f.state = f.firstState
	if f.query && f.request {
		f.f.state = icmpState(c.ICMPType, c.ICMPCode, f.key.v6)
	}
	x.stats.ICMPFlows++
	q := x.push()
	*q = f.f
	s.unlink(i)
	delete(s.index, f.key)
	*f = icmpFlow{prev: nilIdx, next: nilIdx}
	s.free = append(s.free, i)
}

// expireICMP completes the ICMP flows idle for longer than the timeout at
// packet time now.
func (x *BotIoTExtractor) expireICMP(now int64) {
	s := &x.icmp
	for s.lru.head != nilIdx {
		f := &s.slab[s.lru.head]
		if f.f.c.End+x.icmpTo >= now {
			return
		}
		x.completeICMP(s.lru.head, flow.Timeout, f.f.c.End+x.icmpTo)
	}
}

// ---------------------------------------------------------------------
// ICMP error events: an error quoting a TCP or UDP datagram marks the
// flow of that datagram when its record arrives (it arrives later: the
// flow stage emits an ICMP packet at once and a TCP or UDP connection
// when it ends).

// evKey is a canonical (direction-free) 5-tuple.
type evKey struct {
	lo, hi [16]byte
	lp, hp uint16
	proto  uint8
}

func makeEvKey(a netip16, ap uint16, b netip16, bp uint16, proto uint8) evKey {
	if lessEnd(a, ap, b, bp) {
		return evKey{lo: a, hi: b, lp: ap, hp: bp, proto: proto}
	}
	return evKey{lo: b, hi: a, lp: bp, hp: ap, proto: proto}
}

type netip16 = [16]byte

func lessEnd(a netip16, ap uint16, b netip16, bp uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return ap <= bp
}

// icmpEvent is the latest error quoting one 5-tuple.
type icmpEvent struct {
	t    int64
	kind byte
}

type evRef struct {
	k evKey
	t int64
}

// icmpEvents holds the events waiting for their flow, with a FIFO of
// references for expiry (stale references are skipped).
type icmpEvents struct {
	m     map[evKey]icmpEvent
	q     []evRef
	qhead int
}

func (e *icmpEvents) init() { e.m = make(map[evKey]icmpEvent) }

func (e *icmpEvents) reset() {
	clear(e.m)
	e.q, e.qhead = e.q[:0], 0
}

// add records the error c (an ICMP connection quoting TCP or UDP).
func (e *icmpEvents) add(c *flow.Conn, now int64, st *BotIoTStats) {
	q := &c.Quote
	k := makeEvKey(q.Src.As16(), q.SrcPort, q.Dst.As16(), q.DstPort, q.Proto)
	kind := byte('I')
	switch {
	case c.Proto == flow.ProtoICMP && c.ICMPType == 3, c.Proto == flow.ProtoICMPv6 && c.ICMPType == 1:
		kind = 'U'
	case c.Proto == flow.ProtoICMP && c.ICMPType == 5:
		kind = 'R'
	case c.Proto == flow.ProtoICMP && c.ICMPType == 11, c.Proto == flow.ProtoICMPv6 && c.ICMPType == 3:
		kind = 'T'
	}
	e.m[k] = icmpEvent{t: c.End, kind: kind}
	e.q = append(e.q, evRef{k: k, t: c.End})
	for len(e.m) > botMaxEvents || len(e.q)-e.qhead > 2*botMaxEvents {
		e.pop(st)
	}
	e.compact()
}

// pop drops the oldest reference, and its event if still current.
func (e *icmpEvents) pop(st *BotIoTStats) {
	r := e.q[e.qhead]
	e.q[e.qhead] = evRef{}
	e.qhead++
	if ev, ok := e.m[r.k]; ok && ev.t == r.t {
		delete(e.m, r.k)
		st.EventsDropped++
	}
}

func (e *icmpEvents) compact() {
	if e.qhead > 1024 && e.qhead*2 > len(e.q) {
		n := copy(e.q, e.q[e.qhead:])
		clear(e.q[n:])
		e.q, e.qhead = e.q[:n], 0
	}
}

// expire forgets the events older than the TTL at packet time now.
func (e *icmpEvents) expire(now int64, st *BotIoTStats) {
	for e.qhead < len(e.q) && e.q[e.qhead].t+botEventTTL < now {
		e.pop(st)
	}
	if e.qhead == len(e.q) {
		e.q, e.qhead = e.q[:0], 0
	}
	e.compact()
}

// take returns and forgets the event of c's 5-tuple when it fell within
// c's lifetime (an earlier event is stale and forgotten; a later one
// waits for a later connection).
func (e *icmpEvents) take(c *flow.Conn, st *BotIoTStats) (icmpEvent, bool) {
	if len(e.m) == 0 {
		return icmpEvent{}, false
	}
	k := makeEvKey(c.OrigAddr.As16(), c.OrigPort, c.RespAddr.As16(), c.RespPort, c.Proto)
	ev, ok := e.m[k]
	if !ok || ev.t > c.Finish {
		return icmpEvent{}, false
	}
	delete(e.m, k)
	if ev.t < c.Start {
		st.EventsDropped++
		return icmpEvent{}, false
	}
	return ev, true
}
