package alert

import (
	"bytes"
	"crypto/sha1" // Community ID v1 is defined over SHA1; it is an identifier, not a MAC.
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"time"
)

// ErrInvalidTuple is returned by AppendCommunityID for a tuple that has no
// Community ID: a missing address, or addresses of different families.
var ErrInvalidTuple = errors.New("alert: invalid flow tuple")

// CommunityID returns the Community ID v1 of a flow tuple ("1:" and the
// base64 of a SHA1 digest), as Zeek and Suricata write it:
//
//   - the hash input is seed (2 bytes, network order), the two addresses
//     (4 or 16 bytes each), proto, a zero byte, then the two ports (network
//     order) for TCP, UDP, SCTP, ICMP and ICMPv6; other protocols hash no
//     ports;
//   - the endpoints are ordered so that the smaller (address, port) comes
//     first, which makes both directions of a flow hash alike;
//   - for ICMP and ICMPv6, srcPort carries the type and dstPort the code.
//     Types with a request/response counterpart (echo, timestamp,
//     information, router solicitation/advertisement and address mask for
//     ICMP; echo, MLD query/report, router and neighbour
//     solicitation/advertisement, WRU and HAAD for ICMPv6) replace the
//     code with the counterpart type; the others are one-way and are
//     hashed unordered, as the spec's reference implementation does.
//
// IPv4-mapped IPv6 addresses are hashed as IPv4. CommunityID returns ""
// for a tuple without a Community ID (see AppendCommunityID for the
// reason); the encoder then omits community_id.
func CommunityID(seed uint16, srcIP, dstIP netip.Addr, proto uint8, srcPort, dstPort uint16) string {
	var buf [communityIDLen]byte
	b, err := AppendCommunityID(buf[:0], seed, srcIP, dstIP, proto, srcPort, dstPort)
	if err != nil {
		return ""
	}
	return string(b)
}

// communityIDLen is the length of a v1 Community ID: "1:" and 28 base64
// characters.
const communityIDLen = 2 + 28

// AppendCommunityID appends the Community ID v1 of a flow tuple to dst (see
// CommunityID). It does not allocate when dst has room for 30 bytes.
func AppendCommunityID(dst []byte, seed uint16, srcIP, dstIP netip.Addr, proto uint8, srcPort, dstPort uint16) ([]byte, error) {
	srcIP, dstIP = srcIP.Unmap(), dstIP.Unmap()
	if !srcIP.IsValid() || !dstIP.IsValid() {
		return dst, fmt.Errorf("%w: missing address (src %v, dst %v)", ErrInvalidTuple, srcIP, dstIP)
	}
	if srcIP.Is4() != dstIP.Is4() {
		return dst, fmt.Errorf("%w: address families differ (src %v, dst %v)", ErrInvalidTuple, srcIP, dstIP)
	}
	var sa, da []byte
	var s4, d4 [4]byte
	var s16, d16 [16]byte
	if srcIP.Is4() {
		s4, d4 = srcIP.As4(), dstIP.As4()
		sa, da = s4[:], d4[:]
	} else {
		s16, d16 = srcIP.As16(), dstIP.As16()
		sa, da = s16[:], d16[:]
	}

	sport, dport := srcPort, dstPort
	oneWay := false
	switch proto {
	case protoICMP:
		sport, dport, oneWay = icmpPortEquivalents(icmp4Counterpart, srcPort, dstPort)
	case protoICMPv6:
		sport, dport, oneWay = icmpPortEquivalents(icmp6Counterpart, srcPort, dstPort)
	}
	hasPorts := proto == protoICMP || proto == protoTCP || proto == protoUDP ||
		proto == protoICMPv6 || proto == protoSCTP

	c := bytes.Compare(sa, da)
	ordered := oneWay || c < 0 || (c == 0 && hasPorts && sport < dport)
	if !ordered {
		sa, da = da, sa
		sport, dport = dport, sport
	}

	// 2 + 16 + 16 + 1 + 1 + 2 + 2 bytes at most.
	var in [40]byte
	binary.BigEndian.PutUint16(in[0:], seed)
	n := 2
	n += copy(in[n:], sa)
	n += copy(in[n:], da)
	in[n] = proto
	in[n+1] = 0
	n += 2
	if hasPorts {
		binary.BigEndian.PutUint16(in[n:], sport)
		binary.BigEndian.PutUint16(in[n+2:], dport)
		n += 4
	}
	sum := sha1.Sum(in[:n])
	var enc [28]byte
	base64.StdEncoding.Encode(enc[:], sum[:])
	dst = append(dst, '1', ':')
	return append(dst, enc[:]...), nil
}

// icmpPortEquivalents maps an ICMP type and code to the port pair the
// Community ID hashes, and reports whether the message is one-way.
func icmpPortEquivalents(counterpart func(uint16) (uint16, bool), typ, code uint16) (sport, dport uint16, oneWay bool) {
	if c, ok := counterpart(typ); ok {
		return typ, c, false
	}
	return typ, code, true
}

// icmp4Counterpart returns the response (or request) type of an ICMP type
// with a two-way exchange.
func icmp4Counterpart(t uint16) (uint16, bool) {
	switch t {
	case 8: // echo
		return 0, true
	case 0: // echo reply
		return 8, true
	case 13: // timestamp
		return 14, true
	case 14: // timestamp reply
		return 13, true
	case 15: // information request
		return 16, true
	case 16: // information reply
		return 15, true
	case 10: // router solicitation
		return 9, true
	case 9: // router advertisement
		return 10, true
	case 17: // address mask request
		return 18, true
	case 18: // address mask reply
		return 17, true
	}
	return 0, false
}

// icmp6Counterpart is icmp4Counterpart for ICMPv6.
func icmp6Counterpart(t uint16) (uint16, bool) {
	switch t {
	case 128: // echo request
		return 129, true
	case 129: // echo reply
		return 128, true
	case 130: // MLD listener query
		return 131, true
	case 131: // MLD listener report
		return 130, true
	case 133: // router solicitation
		return 134, true
	case 134: // router advertisement
		return 133, true
	case 135: // neighbour solicitation
		return 136, true
	case 136: // neighbour advertisement
		return 135, true
	case 139: // who-are-you request
		return 140, true
	case 140: // who-are-you reply
		return 139, true
	case 144: // home agent address discovery request
		return 145, true
	case 145: // home agent address discovery reply
		return 144, true
	}
	return 0, false
}

// flowIDMask keeps flow IDs within 53 bits, the integers a float64 (and so
// JavaScript and many JSON tools) represents exactly.
const flowIDMask = 1<<53 - 1

// FlowID returns a flow_id for a connection: the 64-bit FNV-1a hash of the
// originator's address and port, the responder's address and port, the
// protocol and the start time (Unix nanoseconds), masked to 53 bits. It is
// directional (the originator goes first), stable across runs and
// machines (no random seed), and does not allocate. IPv4 and IPv4-mapped
// IPv6 addresses hash alike.
func FlowID(srcIP, dstIP netip.Addr, proto uint8, srcPort, dstPort uint16, start time.Time) uint64 {
	var in [16 + 2 + 16 + 2 + 1 + 8]byte
	s, d := srcIP.Unmap().As16(), dstIP.Unmap().As16()
	n := copy(in[:], s[:])
	binary.BigEndian.PutUint16(in[n:], srcPort)
	n += 2
	n += copy(in[n:], d[:])
	binary.BigEndian.PutUint16(in[n:], dstPort)
	n += 2
	in[n] = proto
	n++
	binary.BigEndian.PutUint64(in[n:], uint64(start.UnixNano()))
	h := fnv.New64a()
	_, _ = h.Write(in[:]) // hash.Hash never fails.
	return h.Sum64() & flowIDMask
}
