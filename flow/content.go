package flow

// stream reassembles one direction of a TCP connection's payload in
// sequence order, up to a byte cap. Bytes before next (already delivered)
// are dropped as retransmissions, out-of-order segments wait in pend
// (within the cap), and a hole that can no longer be filled is skipped
// and recorded as a gap.
type stream struct {
	buf     []byte // delivered bytes, in order
	next    uint64 // stream offset of the next byte expected
	pend    []pendSeg
	pendLen int
	gap     bool
	trunc   bool
	full    bool // the cap was reached: everything further is dropped
	dropped uint64
}

// pendSeg is an out-of-order segment: its captured bytes and the length
// its header announced (more when the capture cut it).
type pendSeg struct {
	off  uint64
	data []byte
	wire uint64
}

// maxPending bounds the out-of-order segments held per direction.
const maxPending = 64

// add files a segment at stream offset off with captured bytes data and
// announced length wire (>= len(data)).
func (s *stream) add(off uint64, data []byte, wire uint64, limit int) {
	if s.full {
		s.dropped += uint64(len(data))
		return
	}
	if off+wire <= s.next {
		return // retransmission
	}
	if off > s.next {
		if len(s.pend) >= maxPending || len(s.buf)+s.pendLen+len(data) > limit {
			// No room to wait for the hole: skip to the oldest waiting
			// segment and retry.
			if len(s.pend) == 0 {
				s.gap = true
				s.next = off
			} else {
				s.skipHole(limit)
				if off+wire <= s.next {
					return
				}
				if off > s.next {
					if len(s.pend) >= maxPending || len(s.buf)+s.pendLen+len(data) > limit {
						s.dropped += uint64(len(data))
						s.gap = true
						return
					}
					s.insert(off, data, wire)
					return
				}
			}
		} else {
			s.insert(off, data, wire)
			return
		}
	}
	s.deliver(off, data, wire, limit)
	s.drain(limit)
}

// insert keeps an out-of-order segment (copied: data aliases a batch).
func (s *stream) insert(off uint64, data []byte, wire uint64) {
	i := len(s.pend)
	for i > 0 && s.pend[i-1].off > off {
		i--
	}
	s.pend = append(s.pend, pendSeg{})
	copy(s.pend[i+1:], s.pend[i:])
	s.pend[i] = pendSeg{off: off, data: append([]byte(nil), data...), wire: wire}
	s.pendLen += len(data)
}

// deliver appends the part of a segment (starting at or before next) that
// is new, then skips the announced-but-uncaptured rest as a gap.
func (s *stream) deliver(off uint64, data []byte, wire uint64, limit int) {
	skip := s.next - off
	end := off + wire
	if skip < uint64(len(data)) {
		b := data[skip:]
		if room := limit - len(s.buf); len(b) > room {
			s.dropped += uint64(len(b) - room)
			b = b[:room]
			s.trunc = true
			s.full = true
		}
		s.buf = append(s.buf, b...)
	}
	if off+uint64(len(data)) < end && !s.full {
		s.gap = true // the capture cut the segment
	}
	s.next = end
}

// drain delivers the waiting segments that have become contiguous.
func (s *stream) drain(limit int) {
	for len(s.pend) > 0 && s.pend[0].off <= s.next {
		p := s.pend[0]
		s.pend = s.pend[1:]
		s.pendLen -= len(p.data)
		if p.off+p.wire > s.next && !s.full {
			s.deliver(p.off, p.data, p.wire, limit)
		}
	}
	if len(s.pend) == 0 {
		s.pend = nil
	}
}

// skipHole gives up on the hole before the first waiting segment.
func (s *stream) skipHole(limit int) {
	if len(s.pend) == 0 {
		return
	}
	s.gap = true
	s.next = s.pend[0].off
	s.drain(limit)
}

// finish delivers what is still waiting, skipping holes, and reports a gap
// when the peer acknowledged bytes that never arrived (ackEnd).
func (s *stream) finish(ackEnd uint64, limit int) {
	for len(s.pend) > 0 && !s.full {
		s.skipHole(limit)
	}
	if len(s.pend) > 0 {
		for _, p := range s.pend {
			s.dropped += uint64(len(p.data))
		}
		s.pend = nil
	}
	if ackEnd > s.next && !s.full {
		s.gap = true
	}
}
