package flow

// TCP connection facts: what each side has sent. The state (Zeek's
// conn_state) is a function of these, see tcpState.
const (
	factOrigSyn    uint16 = 1 << iota // originator sent SYN without ACK
	factRespSynAck                    // responder sent SYN+ACK
	factOrigSynAck                    // originator sent SYN+ACK (not flipped)
	factRespSyn                       // responder sent SYN without ACK
	factOrigFin
	factRespFin
	factOrigRst
	factRespRst
)

// tcpState maps the facts of a TCP connection to Zeek's conn_state, with
// DESIGN.md's definitions where they are stricter than Zeek's (a
// connection whose originator SYN was never seen is never SF, S1, S2 or
// S3). respSent reports that the responder sent any packet.
func tcpState(f uint16, respSent bool) State {
	syn := f&factOrigSyn != 0
	synAck := f&factRespSynAck != 0
	oFin, rFin := f&factOrigFin != 0, f&factRespFin != 0
	oRst, rRst := f&factOrigRst != 0, f&factRespRst != 0
	switch {
	case syn && synAck: // established
		switch {
		case rRst:
			return RSTR
		case oRst:
			return RSTO
		case oFin && rFin:
			return SF
		case oFin:
			return S2
		case rFin:
			return S3
		}
		return S1
	case syn: // attempted, no SYN-ACK
		switch {
		case rRst:
			return REJ
		case oRst:
			return RSTOS0
		case oFin:
			return SH
		case !respSent:
			return S0
		}
		return OTH
	case synAck: // the responder's SYN-ACK, no originator SYN seen
		switch {
		case rRst && !oFin && !oRst:
			return RSTRH
		case rRst:
			return RSTR
		case oRst:
			return RSTO
		case rFin && !oFin:
			return SHR
		}
		return OTH
	}
	return OTH
}

// terminated reports a TCP connection that is over: a RST from either side
// or a FIN from both.
func terminated(f uint16) bool {
	return f&(factOrigRst|factRespRst) != 0 || f&(factOrigFin|factRespFin) == factOrigFin|factRespFin
}

// History letters, Zeek's: upper case for the originator, lower case for
// the responder, each recorded at its first occurrence per direction.
const (
	histSyn          = iota // S: SYN without ACK
	histSynAck              // H: SYN+ACK
	histAck                 // A: pure ACK (no payload, no SYN/FIN/RST)
	histData                // D: payload
	histFin                 // F: FIN
	histRst                 // R: RST
	histRetx                // T: retransmitted payload
	histZeroWin             // W: zero window
	histMulti               // Q: more than one of SYN, FIN, RST
	histInconsistent        // I: FIN and RST
	numHist
)

const histLetters = "SHADFRTWQI"

// maxSeqJump bounds how far beyond the highest sequence offset seen a
// segment or an ACK may reach and still count: a jump larger than this is
// taken for a forged or corrupt number (scans, floods), not for lost data.
const maxSeqJump = 8 << 20

// endpoint is one direction of a connection.
type endpoint struct {
	pkts, ipBytes uint64
	// TCP sequence space, as stream offsets from base (the sequence number
	// of the first data byte: ISN+1, or the first sequence number seen
	// when the SYN was not).
	base uint32
	// link is the frame bytes beyond the IP lengths (link-layer headers
	// and padding) that this side sent, saturating: frame bytes are
	// ipBytes + link. It sits in the padding after base.
	link uint32
	// hi is, for TCP, the highest stream offset sent (end of data); for
	// other protocols, the payload bytes sent.
	hi      uint64
	ackEnd  uint64 // highest offset of this side's data the peer acked
	finOff  uint64 // offset of the FIN octet
	seqInit bool
	synSeen bool
	finSeen bool
	hist    uint16 // history letters recorded
}

// offset maps a sequence number to a 64-bit stream offset, unwrapping the
// 32-bit space around the highest offset seen. It reports false for an
// implausible number (before the base, or more than maxSeqJump ahead).
func (e *endpoint) offset(seq uint32) (uint64, bool) {
	ref := e.base + uint32(e.hi)
	delta := int64(int32(seq - ref))
	off := int64(e.hi) + delta
	if off < 0 || delta > maxSeqJump {
		return 0, false
	}
	return uint64(off), true
}

// acked is the highest data offset the peer acknowledged (the FIN octet
// excluded).
func (e *endpoint) acked() uint64 {
	if e.finSeen && e.ackEnd > e.finOff {
		return e.finOff
	}
	return e.ackEnd
}

// size is the payload the endpoint sent, counting each sequence-space byte
// once: the highest offset sent or acknowledged, without the FIN octet.
func (e *endpoint) size() uint64 {
	n := max(e.hi, e.ackEnd)
	if e.finSeen && n > e.finOff {
		n = e.finOff
	}
	return n
}

// addFrame counts a packet's frame of frameLen bytes carrying ipLen IP
// bytes (already added to ipBytes).
func (e *endpoint) addFrame(frameLen, ipLen uint32) {
	if frameLen <= ipLen {
		return
	}
	d := frameLen - ipLen
	if e.link > ^uint32(0)-d {
		e.link = ^uint32(0)
		return
	}
	e.link += d
}

// frameBytes returns the frame bytes this side sent.
func (e *endpoint) frameBytes() uint64 { return e.ipBytes + uint64(e.link) }
