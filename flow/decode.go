package flow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Decoder turns frames into Packet summaries. It wraps preallocated
// gopacket DecodingLayerParsers (one per first layer, sharing one set of
// layers), so that decoding an ordinary packet allocates nothing, and it
// reassembles IPv4 and IPv6 fragments.
//
// A Decoder is owned by one goroutine (Stats may be called from any).
type Decoder struct {
	st decodeState

	eth   layers.Ethernet
	vlan  vlanLayer
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ppp   pppLayer
	ip4   ip4Layer
	ip6   ip6Layer
	ext   extLayer
	frag6 frag6Layer
	tcp   tcpLayer
	udp   udpLayer
	icmp4 icmp4Layer
	icmp6 icmp6Layer

	pEth, pSLL, pSLL2, pLoop, pPPP, pIP4, pIP6 *gopacket.DecodingLayerParser
	decoded                                    []gopacket.LayerType

	frags   *reassembler
	scratch []byte // datagrams rebuilt from fragments
	quiet   bool   // decoding a rebuilt first fragment: count nothing
	cnt     decoderCounters
}

// decodeState is what the layer wrappers record while a frame is decoded.
type decodeState struct {
	vlan     [2]uint16
	nvlan    int
	proto    uint8 // protocol after the last network or extension header
	extBytes int   // IPv6 extension header bytes after the fixed header
	lastNet  gopacket.LayerType
	frag6    bool // an IPv6 fragment header follows the last network layer
}

// decoderCounters are the Decoder's statistics, readable from any goroutine.
type decoderCounters struct {
	frames, decoded, truncated atomic.Uint64
	malformed                  [numMalformed]atomic.Uint64
	fragments, reassembled     atomic.Uint64
	wrongAttributed            atomic.Uint64
	wrongUnattributed          atomic.Uint64
	fragDropped                atomic.Uint64
	fragTrains                 atomic.Int64

	mu          sync.Mutex
	unsupported map[unsupportedKind]uint64
}

// unsupportedKind identifies what was not decoded: a link type, or the
// EtherType / protocol family / PPP protocol a link layer announced.
type unsupportedKind struct {
	space uint8 // kindLinkType, kindEtherType, kindFamily, kindPPP, kindEmpty
	code  uint32
}

const (
	kindLinkType = iota
	kindEtherType
	kindFamily
	kindPPP
	kindEmpty
)

func (k unsupportedKind) String() string {
	switch k.space {
	case kindLinkType:
		return fmt.Sprintf("linktype %d (%v)", k.code, layers.LinkType(k.code))
	case kindEtherType:
		return fmt.Sprintf("ethertype 0x%04x (%v)", k.code, layers.EthernetType(k.code))
	case kindFamily:
		return fmt.Sprintf("loopback family %d", k.code)
	case kindPPP:
		return fmt.Sprintf("ppp protocol 0x%04x", k.code)
	}
	return "empty link payload"
}

// DecoderStats are a Decoder's counters.
type DecoderStats struct {
	// Frames counts the frames given to Decode.
	Frames uint64
	// Decoded counts packet summaries produced (a reassembled datagram
	// counts once).
	Decoded uint64
	// Truncated counts decoded packets whose captured bytes end before
	// their IP length (snap length, or a lying length field).
	Truncated uint64
	// Malformed counts skipped frames by reason (MalformedReason.String).
	Malformed map[string]uint64
	// Unsupported counts skipped non-IP frames by kind ("ethertype 0x0806
	// (ARP)", "linktype 239 (...)").
	Unsupported map[string]uint64
	// Fragments counts IP fragments received; Reassembled the datagrams
	// completed from them.
	Fragments, Reassembled uint64
	// WrongFragments counts bad fragments attributed to a connection (the
	// first fragment was seen), WrongUnattributed those that could not be.
	WrongFragments, WrongUnattributed uint64
	// FragmentsDropped counts fragments dropped to respect FragMemory.
	FragmentsDropped uint64
	// FragmentTrains is the number of incomplete trains held now.
	FragmentTrains int64
}

// NewDecoder returns a Decoder; it fails only on an invalid config.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 16)}
	d.cnt.unsupported = make(map[unsupportedKind]uint64)
	d.vlan.st = &d.st
	d.ip4.st = &d.st
	d.ip6.st = &d.st
	d.ext.st = &d.st
	d.frag6.st = &d.st
	all := []gopacket.DecodingLayer{&d.eth, &d.vlan, &d.sll, &d.sll2, &d.loop, &d.ppp,
		&d.ip4, &d.ip6, &d.ext, &d.frag6, &d.tcp, &d.udp, &d.icmp4, &d.icmp6}
	mk := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
		for _, l := range all {
			p.AddDecodingLayer(l)
		}
		return p
	}
	d.pEth = mk(layers.LayerTypeEthernet)
	d.pSLL = mk(layers.LayerTypeLinuxSLL)
	d.pSLL2 = mk(layers.LayerTypeLinuxSLL2)
	d.pLoop = mk(layers.LayerTypeLoopback)
	d.pPPP = mk(layers.LayerTypePPP)
	d.pIP4 = mk(layers.LayerTypeIPv4)
	d.pIP6 = mk(layers.LayerTypeIPv6)
	d.frags = newReassembler(cfg)
	return d, nil
}

// Stats returns a snapshot of the counters; safe from any goroutine.
func (d *Decoder) Stats() DecoderStats {
	c := &d.cnt
	s := DecoderStats{
		Frames:            c.frames.Load(),
		Decoded:           c.decoded.Load(),
		Truncated:         c.truncated.Load(),
		Malformed:         make(map[string]uint64),
		Unsupported:       make(map[string]uint64),
		Fragments:         c.fragments.Load(),
		Reassembled:       c.reassembled.Load(),
		WrongFragments:    c.wrongAttributed.Load(),
		WrongUnattributed: c.wrongUnattributed.Load(),
		FragmentsDropped:  c.fragDropped.Load(),
		FragmentTrains:    c.fragTrains.Load(),
	}
	for r := range c.malformed {
		if n := c.malformed[r].Load(); n > 0 {
			s.Malformed[MalformedReason(r).String()] = n
		}
	}
	c.mu.Lock()
	for k, n := range c.unsupported {
		s.Unsupported[k.String()] += n
	}
	c.mu.Unlock()
	return s
}

func (d *Decoder) countUnsupported(k unsupportedKind) Outcome {
	if d.quiet {
		return Unsupported
	}
	d.cnt.mu.Lock()
	d.cnt.unsupported[k]++
	d.cnt.mu.Unlock()
	return Unsupported
}

func (d *Decoder) countMalformed(r MalformedReason) Outcome {
	if d.quiet {
		return Malformed
	}
	d.cnt.malformed[r].Add(1)
	return Malformed
}

// Decode decodes one frame of link type lt captured at ts (Unix ns) as
// packet number num of file. On Decoded, p holds the summary (for a
// fragment that completed a datagram, the reassembled datagram). Other
// outcomes leave p unspecified; they are counted in Stats.
func (d *Decoder) Decode(data []byte, lt layers.LinkType, ts int64, file string, num uint64, p *Packet) Outcome {
	d.cnt.frames.Add(1)
	var parser *gopacket.DecodingLayerParser
	switch lt {
	case layers.LinkTypeEthernet:
		parser = d.pEth
	case layers.LinkTypeLinuxSLL:
		parser = d.pSLL
	case layers.LinkTypeLinuxSLL2:
		parser = d.pSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		parser = d.pLoop
	case layers.LinkTypePPP:
		parser = d.pPPP
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// DLT_RAW is 12 on most systems and 14 on OpenBSD; LINKTYPE_RAW
		// (101), LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) are what
		// pcap files store. The version nibble decides.
		if len(data) == 0 {
			return d.countMalformed(MalIPVersion)
		}
		switch data[0] >> 4 {
		case 4:
			parser = d.pIP4
		case 6:
			parser = d.pIP6
		default:
			return d.countMalformed(MalIPVersion)
		}
	default:
		return d.countUnsupported(unsupportedKind{kindLinkType, uint32(lt)})
	}
	out := d.decode(parser, data, ts, file, num, p, false)
	if out == Decoded {
		p.Ethernet = lt == layers.LinkTypeEthernet
	}
	return out
}

// decode runs parser over data and fills p. inner is set when data is a
// datagram rebuilt from fragments (it then cannot be a fragment itself).
func (d *Decoder) decode(parser *gopacket.DecodingLayerParser, data []byte, ts int64, file string, num uint64, p *Packet, inner bool) Outcome {
	d.st = decodeState{}
	err := parser.DecodeLayers(data, &d.decoded)
	if err != nil {
		if _, ok := err.(gopacket.UnsupportedLayerType); !ok {
			return d.countMalformed(d.malformedReason(parser))
		}
	}
	if d.st.lastNet == 0 {
		return d.noIP()
	}
	*p = Packet{Time: ts, File: file, Number: num, VLAN: d.st.vlan, Proto: d.st.proto}
	var captured int // IP bytes captured from the network header on
	var netHdr int   // network header bytes (incl. IPv6 extension headers)
	if d.st.lastNet == layers.LayerTypeIPv4 {
		ip := &d.ip4.IPv4
		if ip.Version != 4 {
			return d.countMalformed(MalIPVersion)
		}
		p.Src = netip.AddrFrom4([4]byte(ip.SrcIP))
		p.Dst = netip.AddrFrom4([4]byte(ip.DstIP))
		p.TTL = ip.TTL
		p.IPLen = uint32(ip.Length)
		netHdr = int(ip.IHL) * 4
		captured = len(ip.Contents) + len(ip.Payload)
		p.FrameLen = frameLen(len(data), captured, p.IPLen)
		if !inner && (ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0) {
			return d.fragment4(ts, file, num, p)
		}
	} else {
		ip := &d.ip6.IPv6
		if ip.Version != 6 {
			return d.countMalformed(MalIPVersion)
		}
		p.Src = netip.AddrFrom16([16]byte(ip.SrcIP))
		p.Dst = netip.AddrFrom16([16]byte(ip.DstIP))
		p.TTL = ip.HopLimit
		netHdr = 40 + d.st.extBytes
		captured = len(ip.Contents) + len(ip.Payload)
		if ip.HopByHop != nil {
			netHdr += ip.HopByHop.ActualLength
			captured += ip.HopByHop.ActualLength
		}
		p.IPLen = 40 + uint32(ip.Length)
		if ip.Length == 0 { // jumbogram: the hop-by-hop option held the length
			p.IPLen = uint32(captured)
		}
		p.FrameLen = frameLen(len(data), captured, p.IPLen)
		if !inner && d.frag6.fragmented() {
			return d.fragment6(ts, file, num, p, netHdr)
		}
	}
	if uint32(captured) < p.IPLen {
		p.Truncated = true
		if !d.quiet {
			d.cnt.truncated.Add(1)
		}
	}
	seg := int(p.IPLen) - netHdr // transport bytes on the wire
	if seg < 0 {
		return d.countMalformed(MalIPv6Ext)
	}
	switch d.transport() {
	case layers.LayerTypeTCP:
		t := &d.tcp.TCP
		hl := int(t.DataOffset) * 4
		if hl > seg {
			return d.countMalformed(MalTCPInvalid)
		}
		p.Proto = ProtoTCP
		p.SrcPort, p.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
		p.Seq, p.Ack, p.Window, p.Urgent = t.Seq, t.Ack, t.Window, t.Urgent
		p.Flags = TCPFlags(t.Contents[13])
		p.PayloadLen = uint32(seg - hl)
		p.Payload = t.Payload
	case layers.LayerTypeUDP:
		u := &d.udp.UDP
		p.Proto = ProtoUDP
		p.SrcPort, p.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
		if l := int(u.Length); l >= 8 && l <= seg {
			p.PayloadLen = uint32(l - 8)
		} else if seg >= 8 {
			p.PayloadLen = uint32(seg - 8)
		}
		p.Payload = u.Payload
	case layers.LayerTypeICMPv4:
		p.Proto = ProtoICMP
		p.ICMPType, p.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		p.PayloadLen = uint32(seg)
		p.Payload = d.icmp4.Payload
		switch p.ICMPType {
		case 0, 8, 13, 14, 15, 16, 17, 18: // echo, timestamp, information, address mask
			p.ICMPID, p.ICMPSeq = d.icmp4.Id, d.icmp4.Seq
		case 3, 4, 5, 11, 12: // unreachable, source quench, redirect, time exceeded, parameter problem
			p.Quote = parseQuote(d.icmp4.Payload)
		}
	case layers.LayerTypeICMPv6:
		p.Proto = ProtoICMPv6
		p.ICMPType, p.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		p.PayloadLen = uint32(seg)
		p.Payload = d.icmp6.Payload
		if pl := d.icmp6.Payload; len(pl) >= 4 {
			switch p.ICMPType {
			case 128, 129: // echo request, reply
				p.ICMPID, p.ICMPSeq = binary.BigEndian.Uint16(pl[0:2]), binary.BigEndian.Uint16(pl[2:4])
			case 1, 2, 3, 4: // unreachable, packet too big, time exceeded, parameter problem
				p.Quote = parseQuote(pl[4:])
			}
		}
	default:
		switch p.Proto {
		case ProtoTCP:
			return d.countMalformed(MalTCPTruncated) // no room for the header
		case ProtoUDP:
			return d.countMalformed(MalUDPTruncated)
		case ProtoICMP, ProtoICMPv6:
			return d.countMalformed(MalICMPTruncated)
		}
		// Another IP protocol (or one this decoder does not parse):
		// keyed by addresses and protocol.
		p.PayloadLen = uint32(seg)
	}
	if !d.quiet {
		d.cnt.decoded.Add(1)
	}
	return Decoded
}

// frameLen returns the wire length of a frame of n captured bytes whose
// IP packet announces ipLen bytes of which captured were captured.
func frameLen(n, captured int, ipLen uint32) uint32 {
	f := uint32(n)
	if c := uint32(max(captured, 0)); c < ipLen {
		f += ipLen - c
	}
	return f
}

// parseQuote reads the datagram quoted by an ICMP error message: an IPv4
// or IPv6 header and, for TCP and UDP, the ports. It returns the zero
// quote when b holds no complete IP header.
func parseQuote(b []byte) ICMPQuote {
	var q ICMPQuote
	if len(b) == 0 {
		return q
	}
	var th []byte // quoted transport header bytes
	switch b[0] >> 4 {
	case 4:
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || len(b) < hl {
			return q
		}
		q.Proto = b[9]
		q.Src = netip.AddrFrom4([4]byte(b[12:16]))
		q.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		th = b[hl:]
	case 6:
		if len(b) < 40 {
			return q
		}
		q.Proto = b[6]
		q.Src = netip.AddrFrom16([16]byte(b[8:24]))
		q.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		th = b[40:]
	default:
		return q
	}
	if (q.Proto == ProtoTCP || q.Proto == ProtoUDP) && len(th) >= 4 {
		q.SrcPort = binary.BigEndian.Uint16(th[0:2])
		q.DstPort = binary.BigEndian.Uint16(th[2:4])
	}
	if q.Proto == 0 {
		q = ICMPQuote{} // IPv6 hop-by-hop first: not followed
	}
	return q
}

// transport returns the transport layer decoded after the last network
// layer, or 0.
func (d *Decoder) transport() gopacket.LayerType {
	for i := len(d.decoded) - 1; i >= 0; i-- {
		switch t := d.decoded[i]; t {
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			return t
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			return 0
		}
	}
	return 0
}

// noIP counts a frame that decoded without error but holds no IP packet.
func (d *Decoder) noIP() Outcome {
	if len(d.decoded) == 0 {
		return d.countUnsupported(unsupportedKind{space: kindEmpty})
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeEthernet:
		return d.countUnsupported(unsupportedKind{kindEtherType, uint32(d.eth.EthernetType)})
	case layers.LayerTypeDot1Q:
		return d.countUnsupported(unsupportedKind{kindEtherType, uint32(d.vlan.Type)})
	case layers.LayerTypeLinuxSLL:
		return d.countUnsupported(unsupportedKind{kindEtherType, uint32(d.sll.EthernetType)})
	case layers.LayerTypeLinuxSLL2:
		return d.countUnsupported(unsupportedKind{kindEtherType, uint32(d.sll2.ProtocolType)})
	case layers.LayerTypeLoopback:
		return d.countUnsupported(unsupportedKind{kindFamily, uint32(d.loop.Family)})
	case layers.LayerTypePPP:
		return d.countUnsupported(unsupportedKind{kindPPP, uint32(d.ppp.proto)})
	}
	return d.countUnsupported(unsupportedKind{space: kindEmpty})
}

// malformedReason names the layer that failed: the one after the last
// decoded layer (or the first layer).
func (d *Decoder) malformedReason(parser *gopacket.DecodingLayerParser) MalformedReason {
	var failed gopacket.LayerType
	if n := len(d.decoded); n == 0 {
		switch parser {
		case d.pIP4:
			failed = layers.LayerTypeIPv4
		case d.pIP6:
			failed = layers.LayerTypeIPv6
		default:
			return MalLink
		}
	} else {
		failed = d.nextOf(d.decoded[n-1])
	}
	tr := parser.Truncated
	switch failed {
	case layers.LayerTypeIPv4:
		if tr {
			return MalIPv4Truncated
		}
		return MalIPv4Invalid
	case layers.LayerTypeIPv6:
		if tr {
			return MalIPv6Truncated
		}
		return MalIPv6Invalid
	case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination, layers.LayerTypeIPv6Fragment:
		return MalIPv6Ext
	case layers.LayerTypeTCP:
		if tr {
			return MalTCPTruncated
		}
		return MalTCPInvalid
	case layers.LayerTypeUDP:
		if tr {
			return MalUDPTruncated
		}
		return MalUDPInvalid
	case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
		return MalICMPTruncated
	case layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeLinuxSLL,
		layers.LayerTypeLinuxSLL2, layers.LayerTypeLoopback, layers.LayerTypePPP:
		return MalLink
	}
	return MalOther
}

// nextOf returns the layer type that follows an already decoded layer.
func (d *Decoder) nextOf(t gopacket.LayerType) gopacket.LayerType {
	switch t {
	case layers.LayerTypeEthernet:
		return d.eth.NextLayerType()
	case layers.LayerTypeDot1Q:
		return d.vlan.NextLayerType()
	case layers.LayerTypeLinuxSLL:
		return d.sll.NextLayerType()
	case layers.LayerTypeLinuxSLL2:
		return d.sll2.NextLayerType()
	case layers.LayerTypeLoopback:
		return d.loop.NextLayerType()
	case layers.LayerTypePPP:
		return d.ppp.NextLayerType()
	case layers.LayerTypeIPv4:
		return d.ip4.Protocol.LayerType()
	case layers.LayerTypeIPv6:
		return d.ip6.NextLayerType()
	case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		return d.ext.NextLayerType()
	case layers.LayerTypeIPv6Fragment:
		return d.frag6.NextHeader.LayerType()
	}
	return 0
}

// ExpireFragments ends the fragment trains older than the fragment timeout
// at packet time now: each counts as one wrong fragment (plus its own bad
// fragments). A train whose first fragment was seen is reported through
// emit, as a Packet built from that first fragment with WrongFragments
// set, so that the flow table attributes it to its connection; the others
// are counted as unattributed. The Packet passed to emit is valid during
// the call only.
func (d *Decoder) ExpireFragments(now int64, emit func(*Packet)) {
	d.frags.expire(now, false, d, emit)
}

// FlushFragments ends every fragment train as ExpireFragments would at
// timeout (end of input).
func (d *Decoder) FlushFragments(emit func(*Packet)) {
	d.frags.expire(0, true, d, emit)
}

// ---- layer wrappers ----

// vlanLayer is an 802.1Q (or 802.1ad) tag that records its VLAN ID, so
// that stacked tags (QinQ), which the parser decodes into one layer, keep
// both IDs.
type vlanLayer struct {
	layers.Dot1Q
	st *decodeState
}

func (l *vlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.Dot1Q.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if l.st.nvlan < len(l.st.vlan) {
		l.st.vlan[l.st.nvlan] = l.VLANIdentifier
	}
	l.st.nvlan++
	return nil
}

// pppLayer decodes a PPP header (DLT_PPP), with or without the HDLC
// address and control bytes; gopacket's PPP is not a DecodingLayer.
type pppLayer struct {
	layers.BaseLayer
	proto uint16
}

func (l *pppLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	off := 0
	if len(data) >= 2 && data[0] == 0xff && data[1] == 0x03 {
		off = 2
	}
	if len(data) < off+1 {
		df.SetTruncated()
		return errors.New("PPP header too short")
	}
	n := 2
	if data[off]&1 == 1 { // protocol field compressed to one byte
		n = 1
	}
	if len(data) < off+n {
		df.SetTruncated()
		return errors.New("PPP header too short")
	}
	if n == 1 {
		l.proto = uint16(data[off])
	} else {
		l.proto = binary.BigEndian.Uint16(data[off:])
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:off+n], Payload: data[off+n:]}
	return nil
}

func (l *pppLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypePPP }

func (l *pppLayer) NextLayerType() gopacket.LayerType {
	switch l.proto {
	case 0x0021:
		return layers.LayerTypeIPv4
	case 0x0057:
		return layers.LayerTypeIPv6
	}
	return 0
}

// ip4Layer stops at fragments (the Decoder reassembles them) and records
// the protocol.
type ip4Layer struct {
	layers.IPv4
	st *decodeState
}

func (l *ip4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.IPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.st.lastNet = layers.LayerTypeIPv4
	l.st.proto = uint8(l.Protocol)
	l.st.extBytes = 0
	l.st.frag6 = false
	return nil
}

func (l *ip4Layer) NextLayerType() gopacket.LayerType {
	if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
		return 0
	}
	return l.IPv4.NextLayerType()
}

// ip6Layer records the protocol after the fixed header (and hop-by-hop).
type ip6Layer struct {
	layers.IPv6
	st *decodeState
}

func (l *ip6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.IPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.st.lastNet = layers.LayerTypeIPv6
	l.st.proto = uint8(l.NextHeader)
	if l.HopByHop != nil {
		l.st.proto = uint8(l.HopByHop.NextHeader)
	}
	l.st.extBytes = 0
	l.st.frag6 = false
	return nil
}

// extLayer skips routing and destination-options headers (a hop-by-hop
// header elsewhere than first too), counting their bytes.
type extLayer struct {
	layers.IPv6ExtensionSkipper
	st *decodeState
}

func (l *extLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.IPv6ExtensionSkipper.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.st.extBytes += len(l.Contents)
	l.st.proto = uint8(l.NextHeader)
	return nil
}

// frag6Layer is the IPv6 fragment header; it stops at non-atomic fragments.
type frag6Layer struct {
	layers.IPv6Fragment
	st *decodeState
}

func (l *frag6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.IPv6Fragment.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.st.frag6 = true
	l.st.extBytes += 8
	l.st.proto = uint8(l.NextHeader)
	return nil
}

func (l *frag6Layer) NextLayerType() gopacket.LayerType {
	if l.FragmentOffset != 0 || l.MoreFragments {
		return 0
	}
	return l.NextHeader.LayerType()
}

// fragmented reports a non-atomic fragment header in the frame just decoded.
func (l *frag6Layer) fragmented() bool {
	return l.st.lastNet == layers.LayerTypeIPv6 && l.st.frag6 && (l.FragmentOffset != 0 || l.MoreFragments)
}

// The transport wrappers end decoding: application layers are not parsed.
type tcpLayer struct{ layers.TCP }

func (l *tcpLayer) NextLayerType() gopacket.LayerType { return 0 }

type udpLayer struct{ layers.UDP }

func (l *udpLayer) NextLayerType() gopacket.LayerType { return 0 }

type icmp4Layer struct{ layers.ICMPv4 }

func (l *icmp4Layer) NextLayerType() gopacket.LayerType { return 0 }

type icmp6Layer struct{ layers.ICMPv6 }

func (l *icmp6Layer) NextLayerType() gopacket.LayerType { return 0 }
