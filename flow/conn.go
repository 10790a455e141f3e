package flow

import (
	"net/netip"
)

// IP protocol numbers of the transports the flow stage tracks.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
)

// State is a connection's state in Zeek's (Bro's) conn_state sense, the
// "flag" feature of KDD'99 and NSL-KDD.
type State uint8

// Connection states. The first eleven are NSL-KDD's flag values; RSTRH and
// SHR are Zeek states the dataset lacks (see features for how the model's
// input maps them).
const (
	// OTH: no SYN seen, mid-stream traffic (also the state of a flow that
	// is neither TCP, UDP nor ICMP).
	OTH State = iota
	// S0: SYN seen, no reply.
	S0
	// S1: established, not terminated.
	S1
	// S2: established, a close attempt seen from the originator only.
	S2
	// S3: established, a close attempt seen from the responder only.
	S3
	// SF: normal establishment and termination (and every UDP flow and
	// ICMP packet).
	SF
	// REJ: originator SYN answered by a responder RST.
	REJ
	// RSTO: originator RST after the responder's SYN-ACK or after
	// establishment.
	RSTO
	// RSTR: responder RST after establishment.
	RSTR
	// RSTOS0: originator SYN then originator RST, with no SYN-ACK.
	RSTOS0
	// SH: originator SYN then FIN, with no SYN-ACK.
	SH
	// RSTRH: responder SYN-ACK then RST, with no originator SYN seen.
	RSTRH
	// SHR: responder SYN-ACK then FIN, with no originator SYN seen.
	SHR
)

var stateNames = [...]string{"OTH", "S0", "S1", "S2", "S3", "SF", "REJ", "RSTO", "RSTR", "RSTOS0", "SH", "RSTRH", "SHR"}

// String returns the state's conventional name ("SF", "S0", ...).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "OTH"
}

// ParseState returns the state of a conventional name.
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name {
			return State(i), true
		}
	}
	return OTH, false
}

// Reason says why a connection record was emitted.
type Reason uint8

// Reasons for emitting a connection.
const (
	// Closed: the connection terminated (FIN/RST exchange completed), or,
	// for ICMP, the packet was its own connection.
	Closed Reason = iota
	// Timeout: the connection was idle (or active) longer than its timeout.
	Timeout
	// Shutdown: the input ended (or the sensor stopped) with the
	// connection still open.
	Shutdown
	// Evicted: the flow table was full and the connection was pushed out.
	Evicted
)

var reasonNames = [...]string{"closed", "timeout", "shutdown", "evicted"}

// String returns "closed", "timeout", "shutdown" or "evicted".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Conn is one finished (or expired, or evicted) connection as the flow
// stage emits it to the feature stage. The originator is the host that
// sent the first packet (for TCP, the SYN when one was seen); "orig"
// fields describe the originator-to-responder direction and "resp" fields
// the reverse one.
//
// A Conn owns its memory: it does not alias capture buffers, so it may
// cross channels and outlive the packets it came from.
type Conn struct {
	// OrigAddr and RespAddr are the endpoints' addresses (IPv4 addresses
	// in their 4-byte form).
	OrigAddr, RespAddr netip.Addr
	// OrigPort and RespPort are the transport ports (0 for ICMP).
	OrigPort, RespPort uint16
	// Proto is the IP protocol number (ProtoTCP, ProtoUDP, ProtoICMP, ...).
	Proto uint8
	// ICMPType and ICMPCode are the type and code of an ICMP packet.
	ICMPType, ICMPCode uint8
	// VLAN holds the 802.1Q VLAN IDs, outermost first; 0 where untagged.
	VLAN [2]uint16

	// Start and End are the packet times (Unix nanoseconds) of the first
	// and last packet.
	Start, End int64
	// Finish is the packet time (Unix nanoseconds) at which the record was
	// completed, the time Table.Out is ordered by: End for a connection
	// that closed (and for an ICMP packet); End plus the idle timeout for
	// Reason Timeout (the packet that ended it for the active timeout);
	// the table's clock when the connection was evicted or the input
	// ended. Finish >= End.
	Finish int64
	// State is the Zeek connection state (the KDD flag).
	State State
	// History is Zeek-style history letters (S, h, A, D, F, R, ... upper
	// case for the originator, lower case for the responder), for analysts.
	History string
	// Reason says why the record was emitted.
	Reason Reason

	// OrigPkts and RespPkts count packets per direction.
	OrigPkts, RespPkts uint64
	// OrigBytes and RespBytes count application payload bytes per
	// direction: TCP or UDP payload; for ICMP, the ICMP header plus data.
	// For TCP they count each sequence-space byte once (retransmissions
	// are not counted twice), as KDD's src_bytes and dst_bytes do.
	OrigBytes, RespBytes uint64
	// OrigIPBytes and RespIPBytes count IP-level bytes (header included)
	// per direction, as Argus' sbytes and dbytes are counted.
	OrigIPBytes, RespIPBytes uint64
	// WrongFragment counts the connection's packets that arrived as bad
	// IP fragments (overlapping, oversized, or incomplete at timeout).
	WrongFragment uint32
	// Urgent counts packets with the TCP URG flag set.
	Urgent uint32
	// Land is true when source and destination address and port are equal.
	Land bool
	// FTPData is true when the connection was announced on an FTP control
	// channel (PORT, PASV, EPRT, EPSV) before it started.
	FTPData bool

	// Content holds the reassembled payload of each direction ([0]
	// originator to responder, [1] responder to originator), in sequence
	// order, without retransmitted bytes, up to the content cap. It is
	// kept only for the services whose cleartext the content features
	// read; nil otherwise.
	Content [2][]byte
	// ContentTruncated reports that the cap cut a direction's content,
	// and ContentGaps that bytes were missing (lost or not captured).
	ContentTruncated, ContentGaps [2]bool

	// OrigFrameBytes and RespFrameBytes count frame bytes per direction:
	// each packet's length on the wire, link-layer header included (the
	// capture's original length; a frame the snap length cut counts the
	// bytes its IP length announces), as Argus' sbytes and dbytes are
	// counted. Every fragment of a reassembled datagram counts its own
	// frame.
	OrigFrameBytes, RespFrameBytes uint64
	// Ethernet reports that the connection's first packet came in an
	// Ethernet frame (Argus' 'e' flag).
	Ethernet bool
	// ID is the connection's number in its table: the arrival index
	// (from 1) of its first packet among the decoded packets of the run.
	// It is unique per connection and grows in the order connections
	// start, as Argus' record sequence numbers do.
	ID uint64

	// Records, RecordDurSum, RecordDurSumSq, RecordDurMin and
	// RecordDurMax describe the connection cut into status records as
	// Argus cuts a flow (Config.StatusInterval): a record starts with a
	// packet and holds every packet that arrives less than the interval
	// after the record's first packet; the next packet starts a new
	// record. A record's duration is the time from its first packet from
	// the originator (its first packet when it has none) to its last
	// packet, as Argus times a record from its source's first packet.
	// Records is their number (at least 1), RecordDurSum the sum of their
	// durations (ns), RecordDurSumSq the sum of their squares (s², float64
	// because it would overflow nanoseconds), RecordDurMin and
	// RecordDurMax the extremes (ns). An ICMP packet is one record of
	// duration 0.
	Records                    uint32
	RecordDurSum               int64
	RecordDurSumSq             float64
	RecordDurMin, RecordDurMax int64

	// ICMPID and ICMPSeq are the identifier and sequence number of an
	// ICMP or ICMPv6 echo, timestamp, information or address-mask
	// message (0 for other types).
	ICMPID, ICMPSeq uint16
	// Quote is the datagram quoted by an ICMP or ICMPv6 error message
	// (destination unreachable, source quench, redirect, time exceeded,
	// parameter problem, packet too big); zero otherwise.
	Quote ICMPQuote

	// File and LastFile are the capture files the first and the last
	// packet came from ("" when live; they differ only when a connection
	// spans rotated files), and FirstPacket and LastPacket the packet
	// numbers (1-based within their file, as Wireshark numbers frames).
	File, LastFile          string
	FirstPacket, LastPacket uint64
}

// Duration returns End - Start in nanoseconds.
func (c *Conn) Duration() int64 { return c.End - c.Start }

// ICMPQuote is the start of the datagram an ICMP error message quotes:
// the offending packet's addresses, protocol and, for TCP and UDP, ports.
// Proto is 0 when the message quotes no datagram (or too little of it to
// read an IP header).
type ICMPQuote struct {
	// Src and Dst are the quoted datagram's source and destination.
	Src, Dst netip.Addr
	// SrcPort and DstPort are its TCP or UDP ports (0 for other
	// protocols, or when fewer than 4 transport bytes were quoted).
	SrcPort, DstPort uint16
	// Proto is its IP protocol (after the IPv6 fixed header only).
	Proto uint8
}

// Valid reports whether q holds a quoted datagram.
func (q ICMPQuote) Valid() bool { return q.Proto != 0 && q.Src.IsValid() && q.Dst.IsValid() }
