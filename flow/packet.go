package flow

import (
	"net/netip"
	"strings"
)

// TCPFlags is the TCP flags byte.
type TCPFlags uint8

// TCP flags, in their header bit positions.
const (
	FlagFIN TCPFlags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// String returns the set flags as letters in tcpdump's order, e.g. "SA"
// for SYN-ACK ("." when none is set).
func (f TCPFlags) String() string {
	if f == 0 {
		return "."
	}
	var b strings.Builder
	for i, c := range "FSRPAUEC" {
		if f&(1<<i) != 0 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Packet is the compact, self-contained summary of one decoded IP packet
// (or of one datagram reassembled from IP fragments) that the Decoder
// produces and the flow table consumes.
//
// Payload aliases the decoded frame (or the Decoder's reassembly buffer):
// it is valid until the next call to the Decoder and must be copied to be
// kept. Everything else is a value.
type Packet struct {
	// Time is the packet time in Unix nanoseconds.
	Time int64
	// File and Number locate the frame: the capture file ("" when live)
	// and the 1-based packet number within it.
	File   string
	Number uint64
	// Src and Dst are the IP addresses (IPv4 addresses in 4-byte form).
	Src, Dst netip.Addr
	// SrcPort and DstPort are the TCP or UDP ports (0 otherwise).
	SrcPort, DstPort uint16
	// Proto is the transport protocol number (after IPv6 extension headers).
	Proto uint8
	// TTL is the IPv4 TTL or IPv6 hop limit.
	TTL uint8
	// Flags, Seq, Ack, Window and Urgent are the TCP header fields.
	Flags    TCPFlags
	Seq, Ack uint32
	Window   uint16
	Urgent   uint16
	// ICMPType and ICMPCode are the ICMP (or ICMPv6) type and code.
	ICMPType, ICMPCode uint8
	// IPLen is the IP length on the wire (header included): the IPv4 total
	// length or 40 plus the IPv6 payload length; for a reassembled
	// datagram, the sum over its fragments.
	IPLen uint32
	// PayloadLen is the transport payload length the headers announce: the
	// TCP or UDP payload; for ICMP the ICMP header plus data; for other
	// protocols the IP payload. It does not depend on the snap length.
	PayloadLen uint32
	// Payload is the captured part of the transport payload (shorter than
	// PayloadLen when the capture was cut); for ICMP, the bytes after the
	// ICMP header. See the type doc on aliasing.
	Payload []byte
	// Fragments is the number of IP fragments this packet was reassembled
	// from (0 for an unfragmented packet).
	Fragments uint16
	// WrongFragments counts bad fragments (overlapping, inconsistent,
	// oversized, or incomplete at timeout) of the datagram this packet
	// stands for.
	WrongFragments uint16
	// VLAN holds the 802.1Q VLAN IDs, outermost first (0 where absent).
	VLAN [2]uint16
	// Truncated reports that the captured bytes end before the IP length.
	Truncated bool
	// FrameLen is the frame's length on the wire, link-layer header
	// included: the captured length, plus the bytes the IP length
	// announces beyond the capture when it was cut; for a datagram
	// reassembled from fragments, the sum over its fragments.
	FrameLen uint32
	// Ethernet reports a frame of link type Ethernet.
	Ethernet bool
	// ICMPID and ICMPSeq are the identifier and sequence number of an
	// ICMP or ICMPv6 echo, timestamp, information or address-mask message.
	ICMPID, ICMPSeq uint16
	// Quote is the datagram an ICMP or ICMPv6 error message quotes.
	Quote ICMPQuote

	// Set by the Table before the packet crosses to a shard.
	ftpData bool   // starts an announced FTP data connection
	seq     uint64 // global arrival index (ordering tie-break)
	key     Key    // bidirectional key
	fromLo  bool   // sent by key's lower endpoint
}

// Outcome says what the Decoder made of a frame.
type Outcome uint8

// Decoder outcomes.
const (
	// Decoded: the Packet holds an IP packet summary.
	Decoded Outcome = iota
	// Held: the frame was an IP fragment, kept for reassembly.
	Held
	// Unsupported: not IP (ARP, LLC, ...) or an unsupported link type;
	// counted by kind and skipped.
	Unsupported
	// Malformed: truncated or invalid headers; counted by reason and
	// skipped.
	Malformed
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case Decoded:
		return "decoded"
	case Held:
		return "held"
	case Unsupported:
		return "unsupported"
	case Malformed:
		return "malformed"
	}
	return "unknown"
}

// MalformedReason says why a frame was counted as malformed.
type MalformedReason uint8

// Reasons for counting a frame as malformed.
const (
	// MalLink: the link-layer header (Ethernet, 802.1Q, SLL, SLL2, null,
	// PPP) is too short or invalid.
	MalLink MalformedReason = iota
	// MalIPVersion: a raw-IP frame whose version nibble is neither 4 nor
	// 6, or an IP header whose version disagrees with its link type.
	MalIPVersion
	// MalIPv4Truncated: the IPv4 header is cut short.
	MalIPv4Truncated
	// MalIPv4Invalid: bad IHL, total length or options.
	MalIPv4Invalid
	// MalIPv6Truncated: the IPv6 header is cut short.
	MalIPv6Truncated
	// MalIPv6Invalid: bad IPv6 header (length, jumbo option).
	MalIPv6Invalid
	// MalIPv6Ext: an IPv6 extension header is cut short or invalid.
	MalIPv6Ext
	// MalTCPTruncated: the TCP header is cut short.
	MalTCPTruncated
	// MalTCPInvalid: bad TCP data offset.
	MalTCPInvalid
	// MalUDPTruncated: the UDP header is cut short.
	MalUDPTruncated
	// MalUDPInvalid: bad UDP length.
	MalUDPInvalid
	// MalICMPTruncated: the ICMP header is cut short.
	MalICMPTruncated
	// MalOther: any other decoding failure.
	MalOther
	numMalformed
)

// String returns the reason's name as Stats reports it.
func (r MalformedReason) String() string {
	switch r {
	case MalLink:
		return "link"
	case MalIPVersion:
		return "ip-version"
	case MalIPv4Truncated:
		return "ipv4-truncated"
	case MalIPv4Invalid:
		return "ipv4-invalid"
	case MalIPv6Truncated:
		return "ipv6-truncated"
	case MalIPv6Invalid:
		return "ipv6-invalid"
	case MalIPv6Ext:
		return "ipv6-ext"
	case MalTCPTruncated:
		return "tcp-truncated"
	case MalTCPInvalid:
		return "tcp-invalid"
	case MalUDPTruncated:
		return "udp-truncated"
	case MalUDPInvalid:
		return "udp-invalid"
	case MalICMPTruncated:
		return "icmp-truncated"
	case MalOther:
		return "other"
	}
	return "unknown"
}
