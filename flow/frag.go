package flow

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// maxDatagram is the largest IP datagram (IPv4 total length, IPv6 payload
// length without a jumbo option).
const maxDatagram = 65535

// fragKey identifies a fragment train: (src, dst, id, protocol) for IPv4,
// (src, dst, id) for IPv6.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

// span is a half-open interval of payload offsets.
type span struct{ lo, hi int }

// fragTrain is one datagram being reassembled.
type fragTrain struct {
	key        fragKey
	created    int64  // packet time of its first-arriving fragment
	data       []byte // payload bytes by offset (up to maxDatagram)
	have       []span // received intervals, sorted and merged
	nfrags     int    // fragments received
	wrong      int    // bad fragments seen
	ipBytes    int    // sum of the fragments' IP lengths
	frameBytes int    // sum of the fragments' frame lengths
	total      int    // payload length, known from the last fragment; -1 before
	oversize   bool   // a fragment ended past the maximal datagram
	trunc      bool   // a fragment was captured short
	mem        int    // bytes accounted against the memory cap

	// From the fragment at offset 0.
	haveFirst bool
	firstN    int      // payload bytes of the first fragment
	hdr       [60]byte // IPv4 header of the first fragment
	hdrLen    int
	next6     uint8 // IPv6: the fragment header's next header
	ttl       uint8
	file      string
	num       uint64
	firstTime int64
	vlan      [2]uint16
	src, dst  netip.Addr

	prev, next *fragTrain // creation order, oldest first
}

// reassembler holds the incomplete trains, oldest first.
type reassembler struct {
	timeout  int64
	memCap   int
	mem      int
	trains   map[fragKey]*fragTrain
	head     *fragTrain
	tail     *fragTrain
	freeBufs [][]byte
}

func newReassembler(cfg DecoderConfig) *reassembler {
	return &reassembler{
		timeout: int64(cfg.FragTimeout / time.Nanosecond),
		memCap:  cfg.FragMemory,
		trains:  make(map[fragKey]*fragTrain),
	}
}

// trainOverhead approximates a train's fixed memory.
const trainOverhead = 256

// fragment describes one arriving fragment.
type fragment struct {
	off, n   int    // payload offset and announced length
	payload  []byte // captured payload bytes (may be shorter than n)
	more     bool   // more fragments follow
	ipLen    int    // IP length of the fragment
	frameLen int    // wire length of the fragment's frame
	hdrLen   int    // IPv4: header length (the datagram limit counts it)
	hdr      []byte // IPv4 header bytes (first fragment only)
	next6    uint8
	ttl      uint8
	ts       int64
	file     string
	num      uint64
	vlan     [2]uint16
	src, dst netip.Addr
}

// add files a fragment into its train and returns the train, or nil when
// the fragment was dropped (memory cap).
func (r *reassembler) add(k fragKey, f *fragment, cnt *decoderCounters) *fragTrain {
	t := r.trains[k]
	if t == nil {
		need := trainOverhead + f.n
		r.makeRoom(need, nil, cnt)
		t = &fragTrain{key: k, created: f.ts, total: -1}
		if n := len(r.freeBufs); n > 0 {
			t.data = r.freeBufs[n-1][:0]
			r.freeBufs = r.freeBufs[:n-1]
		}
		t.mem = trainOverhead + cap(t.data)
		r.mem += t.mem
		r.trains[k] = t
		r.push(t)
		cnt.fragTrains.Add(1)
	}
	t.nfrags++
	t.ipBytes += f.ipLen
	t.frameBytes += f.frameLen
	end := f.off + f.n
	limit := maxDatagram - f.hdrLen
	bad := false // a fragment counts as wrong once, whatever its faults
	switch {
	case f.more && (f.n == 0 || f.n%8 != 0):
		// A non-last fragment must carry a multiple of 8 bytes.
		bad = true
	case end > limit:
		bad = true
		t.oversize = true
	case !f.more && t.total >= 0 && end != t.total:
		bad = true // two different ends
	case t.total >= 0 && end > t.total:
		bad = true // past the known end
	}
	if !f.more && (t.total < 0 || end > t.total) {
		t.total = end
	}
	if f.off == 0 && !t.haveFirst {
		t.haveFirst = true
		t.firstN = min(f.n, limit)
		t.hdrLen = copy(t.hdr[:], f.hdr)
		t.next6 = f.next6
		t.ttl = f.ttl
		t.file, t.num, t.firstTime = f.file, f.num, f.ts
		t.vlan, t.src, t.dst = f.vlan, f.src, f.dst
	}
	if len(f.payload) < f.n {
		t.trunc = true
	}
	// Store the bytes inside the datagram limit; the first copy of a byte
	// wins. Overlaps with different bytes count as wrong; an exact
	// duplicate (same span, same bytes) does not.
	lo, hi := f.off, min(end, limit)
	if hi > lo {
		before := cap(t.data)
		if len(t.data) < hi {
			if cap(t.data) < hi {
				nb := make([]byte, hi, max(hi, 2*cap(t.data)))
				copy(nb, t.data)
				t.data = nb
			} else {
				t.data = t.data[:hi]
			}
		}
		if d := cap(t.data) - before; d > 0 {
			r.makeRoom(d, t, cnt)
			t.mem += d
			r.mem += d
		}
		got := f.payload
		if len(got) > hi-lo {
			got = got[:hi-lo]
		}
		dup := true
		overlap := false
		pos := lo
		for _, s := range t.have {
			if s.hi <= pos || s.lo >= hi {
				continue
			}
			overlap = true
			if s.lo > pos {
				dup = false
				copyCaptured(t.data, got, lo, pos, s.lo)
			}
			a, b := max(s.lo, lo), min(s.hi, hi)
			if s.lo != lo || s.hi != hi || !sameCaptured(t.data, got, lo, a, b) {
				dup = false
			}
			pos = max(pos, b)
		}
		if pos < hi {
			copyCaptured(t.data, got, lo, pos, hi)
		}
		if overlap && !dup {
			bad = true
		}
	}
	if bad {
		t.wrong++
	}
	if end > lo {
		t.have = mergeSpan(t.have, span{lo, end})
	}
	return t
}

// copyCaptured copies the captured bytes of [a, b) (offsets of the
// datagram; got starts at offset lo) into data, zero-filling bytes that
// were not captured.
func copyCaptured(data, got []byte, lo, a, b int) {
	for i := a; i < b; i++ {
		if j := i - lo; j < len(got) {
			data[i] = got[j]
		} else {
			data[i] = 0
		}
	}
}

func sameCaptured(data, got []byte, lo, a, b int) bool {
	ga, gb := a-lo, min(b-lo, len(got))
	if ga >= gb {
		return true
	}
	return bytes.Equal(data[a:a+gb-ga], got[ga:gb])
}

// mergeSpan inserts s into the sorted, merged list.
func mergeSpan(have []span, s span) []span {
	i := 0
	for i < len(have) && have[i].hi < s.lo {
		i++
	}
	j := i
	for j < len(have) && have[j].lo <= s.hi {
		s.lo = min(s.lo, have[j].lo)
		s.hi = max(s.hi, have[j].hi)
		j++
	}
	if i == j {
		have = append(have, span{})
		copy(have[i+1:], have[i:])
		have[i] = s
		return have
	}
	have[i] = s
	return append(have[:i+1], have[j:]...)
}

// complete reports that the whole datagram (up to its last fragment) has
// arrived.
func (t *fragTrain) complete() bool {
	if t.total < 0 {
		return false
	}
	return len(t.have) == 1 && t.have[0].lo == 0 && t.have[0].hi >= t.total
}

// firstLen is the payload of the first fragment that is stored.
func (t *fragTrain) firstLen() int {
	return min(t.firstN, len(t.data))
}

func (r *reassembler) push(t *fragTrain) {
	t.prev, t.next = r.tail, nil
	if r.tail != nil {
		r.tail.next = t
	} else {
		r.head = t
	}
	r.tail = t
}

// remove forgets t, recycling its buffer.
func (r *reassembler) remove(t *fragTrain, cnt *decoderCounters) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		r.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		r.tail = t.prev
	}
	t.prev, t.next = nil, nil
	delete(r.trains, t.key)
	r.mem -= t.mem
	cnt.fragTrains.Add(-1)
	if cap(t.data) > 0 && len(r.freeBufs) < 8 {
		r.freeBufs = append(r.freeBufs, t.data[:0])
	}
	t.data = nil
}

// makeRoom drops the oldest trains (other than keep) until need more bytes
// fit under the cap; their fragments count as dropped.
func (r *reassembler) makeRoom(need int, keep *fragTrain, cnt *decoderCounters) {
	for r.mem+need > r.memCap {
		t := r.head
		if t == keep {
			t = t.next
		}
		if t == nil {
			return
		}
		cnt.fragDropped.Add(uint64(t.nfrags))
		r.remove(t, cnt)
	}
}

// expire ends trains older than the timeout (all of them when all is set).
func (r *reassembler) expire(now int64, all bool, d *Decoder, emit func(*Packet)) {
	for t := r.head; t != nil; t = r.head {
		if !all && t.created+r.timeout >= now {
			return
		}
		t.wrong++ // incomplete at timeout
		var p Packet
		if d.attribute(t, &p) {
			d.cnt.wrongAttributed.Add(uint64(t.wrong))
			r.remove(t, &d.cnt)
			emit(&p)
			continue
		}
		d.cnt.wrongUnattributed.Add(uint64(t.wrong))
		r.remove(t, &d.cnt)
	}
}

// fragment4 files the IPv4 fragment just decoded.
func (d *Decoder) fragment4(ts int64, file string, num uint64, p *Packet) Outcome {
	ip := &d.ip4.IPv4
	d.cnt.fragments.Add(1)
	hl := int(ip.IHL) * 4
	k := fragKey{src: p.Src.As16(), dst: p.Dst.As16(), id: uint32(ip.Id), proto: uint8(ip.Protocol)}
	f := fragment{
		off: int(ip.FragOffset) * 8, n: int(ip.Length) - hl, payload: ip.Payload,
		more: ip.Flags&layers.IPv4MoreFragments != 0, ipLen: int(ip.Length), frameLen: int(p.FrameLen), hdrLen: hl, hdr: ip.Contents,
		ttl: ip.TTL, ts: ts, file: file, num: num, vlan: d.st.vlan, src: p.Src, dst: p.Dst,
	}
	return d.addFragment(k, &f, ts, file, num, p)
}

// fragment6 files the IPv6 fragment just decoded; netHdr is the length of
// the headers up to and including the fragment header.
func (d *Decoder) fragment6(ts int64, file string, num uint64, p *Packet, netHdr int) Outcome {
	fh := &d.frag6.IPv6Fragment
	d.cnt.fragments.Add(1)
	k := fragKey{src: p.Src.As16(), dst: p.Dst.As16(), id: fh.Identification, v6: true}
	f := fragment{
		off: int(fh.FragmentOffset) * 8, n: int(p.IPLen) - netHdr, payload: fh.Payload,
		more: fh.MoreFragments, ipLen: int(p.IPLen), frameLen: int(p.FrameLen), next6: uint8(fh.NextHeader),
		ttl: p.TTL, ts: ts, file: file, num: num, vlan: d.st.vlan, src: p.Src, dst: p.Dst,
	}
	if f.n < 0 {
		return d.countMalformed(MalIPv6Ext)
	}
	if len(f.payload) > f.n {
		f.payload = f.payload[:f.n]
	}
	return d.addFragment(k, &f, ts, file, num, p)
}

func (d *Decoder) addFragment(k fragKey, f *fragment, ts int64, file string, num uint64, p *Packet) Outcome {
	t := d.frags.add(k, f, &d.cnt)
	if t == nil || !t.complete() {
		return Held
	}
	vlan := f.vlan
	var out Outcome
	if t.oversize {
		// Not a valid datagram: report its first fragment, attributed.
		if d.attribute(t, p) {
			d.cnt.wrongAttributed.Add(uint64(t.wrong))
			out = Decoded
		} else {
			d.cnt.wrongUnattributed.Add(uint64(t.wrong))
			out = Held
		}
	} else {
		buf := d.rebuild(t, t.total)
		parser := d.pIP4
		if k.v6 {
			parser = d.pIP6
		}
		out = d.decode(parser, buf, ts, file, num, p, true)
		if out == Decoded {
			d.cnt.reassembled.Add(1)
			p.Fragments = uint16(min(t.nfrags, 0xffff))
			p.WrongFragments = uint16(min(t.wrong, 0xffff))
			p.IPLen = uint32(t.ipBytes)
			p.FrameLen = uint32(t.frameBytes)
			p.VLAN = vlan
			if t.trunc {
				p.Truncated = true
				p.Payload = nil
			}
			d.cnt.wrongAttributed.Add(uint64(t.wrong))
		} else if t.wrong > 0 {
			d.cnt.wrongUnattributed.Add(uint64(t.wrong))
		}
	}
	d.frags.remove(t, &d.cnt)
	return out
}

// rebuild writes the datagram header and the first n payload bytes of t
// into the scratch buffer.
func (d *Decoder) rebuild(t *fragTrain, n int) []byte {
	need := 60 + n
	if cap(d.scratch) < need {
		d.scratch = make([]byte, 0, max(need, 60+maxDatagram))
	}
	b := d.scratch[:0]
	if !t.key.v6 {
		hl := t.hdrLen
		b = append(b, t.hdr[:hl]...)
		binary.BigEndian.PutUint16(b[2:4], uint16(hl+n))
		binary.BigEndian.PutUint16(b[6:8], 0) // no MF, offset 0
	} else {
		var h [40]byte
		h[0] = 6 << 4
		binary.BigEndian.PutUint16(h[4:6], uint16(n))
		h[6] = t.next6
		h[7] = t.ttl
		s, ds := t.src.As16(), t.dst.As16()
		copy(h[8:24], s[:])
		copy(h[24:40], ds[:])
		b = append(b, h[:]...)
	}
	return append(b, t.data[:n]...)
}

// attribute fills p with a summary of t's first fragment, for a train that
// failed: it reports false when the first fragment was never seen.
func (d *Decoder) attribute(t *fragTrain, p *Packet) bool {
	if !t.haveFirst {
		return false
	}
	n := t.firstLen()
	if !t.key.v6 && t.hdrLen < 20 {
		return false
	}
	buf := d.rebuild(t, n)
	parser := d.pIP4
	if t.key.v6 {
		parser = d.pIP6
	}
	d.quiet = true
	out := d.decode(parser, buf, t.firstTime, t.file, t.num, p, true)
	d.quiet = false
	if out != Decoded {
		// The transport header itself was cut by the fragmentation:
		// keep the addresses and, where present, the ports.
		*p = Packet{Time: t.firstTime, File: t.file, Number: t.num, Src: t.src, Dst: t.dst,
			Proto: t.key.proto, TTL: t.ttl}
		if t.key.v6 {
			p.Proto = t.next6
		}
		if (p.Proto == ProtoTCP || p.Proto == ProtoUDP) && n >= 4 {
			p.SrcPort = binary.BigEndian.Uint16(t.data[0:2])
			p.DstPort = binary.BigEndian.Uint16(t.data[2:4])
		}
	}
	p.Payload = nil
	p.Fragments = uint16(min(t.nfrags, 0xffff))
	p.WrongFragments = uint16(min(t.wrong, 0xffff))
	p.IPLen = uint32(t.ipBytes)
	p.FrameLen = uint32(t.frameBytes)
	p.VLAN = t.vlan
	return true
}
