package flow

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Synthetic packets, built with gopacket's serialization.

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

// serialize builds a frame from layers, fixing lengths (and checksums).
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// serializeRaw builds bytes from layers without computing checksums.
func serializeRaw(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipLayer returns an IPv4 or IPv6 network layer for the addresses.
func ipLayer(src, dst netip.Addr, proto layers.IPProtocol) gopacket.NetworkLayer {
	if src.Is4() {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), Id: 1}
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

func ethFor(src netip.Addr) *layers.Ethernet {
	et := layers.EthernetTypeIPv4
	if src.Is6() {
		et = layers.EthernetTypeIPv6
	}
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}
}

// tcpSeg describes one TCP segment.
type tcpSeg struct {
	flags    TCPFlags
	seq, ack uint32
	win      uint16 // 0: 8192 (or 0 for a RST)
	zeroWin  bool   // advertise a zero window
	payload  string
}

func tcpLayerOf(sp, dp uint16, s tcpSeg) *layers.TCP {
	win := s.win
	if win == 0 && s.flags&FlagRST == 0 && !s.zeroWin {
		win = 8192
	}
	return &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: s.seq, Ack: s.ack,
		Window: win, FIN: s.flags&FlagFIN != 0, SYN: s.flags&FlagSYN != 0, RST: s.flags&FlagRST != 0,
		PSH: s.flags&FlagPSH != 0, ACK: s.flags&FlagACK != 0, URG: s.flags&FlagURG != 0, DataOffset: 5}
}

// tcpFrame builds an Ethernet frame with a TCP segment.
func tcpFrame(t testing.TB, src, dst netip.AddrPort, s tcpSeg) []byte {
	t.Helper()
	ip := ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolTCP)
	tcp := tcpLayerOf(src.Port(), dst.Port(), s)
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ethFor(src.Addr()), ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(s.payload))
}

// udpFrame builds an Ethernet frame with a UDP datagram.
func udpFrame(t testing.TB, src, dst netip.AddrPort, payload string) []byte {
	t.Helper()
	ip := ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ethFor(src.Addr()), ip.(gopacket.SerializableLayer), udp, gopacket.Payload(payload))
}

// icmpFrame builds an Ethernet frame with an ICMPv4 message.
func icmpFrame(t testing.TB, src, dst netip.Addr, typ, code uint8, data string) []byte {
	t.Helper()
	ip := ipLayer(src, dst, layers.IPProtocolICMPv4)
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 7, Seq: 1}
	return serialize(t, ethFor(src), ip.(gopacket.SerializableLayer), icmp, gopacket.Payload(data))
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
)

// step is one packet of a scripted conversation: from the client (c) or
// the server (s), dt after the previous packet.
type step struct {
	fromServer bool
	seg        tcpSeg
	dt         time.Duration
}

func c(f TCPFlags, seq, ack uint32, payload string) step {
	return step{seg: tcpSeg{flags: f, seq: seq, ack: ack, payload: payload}, dt: time.Millisecond}
}

func s(f TCPFlags, seq, ack uint32, payload string) step {
	return step{fromServer: true, seg: tcpSeg{flags: f, seq: seq, ack: ack, payload: payload}, dt: time.Millisecond}
}

// base0 is the time of the first scripted packet.
var base0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()

// script turns steps between a and b into frames.
func script(t testing.TB, a, b netip.AddrPort, steps ...step) []frame {
	t.Helper()
	ts := base0
	out := make([]frame, 0, len(steps))
	for i, st := range steps {
		ts += int64(st.dt)
		src, dst := a, b
		if st.fromServer {
			src, dst = b, a
		}
		out = append(out, frame{data: tcpFrame(t, src, dst, st.seg), ts: ts, lt: layers.LinkTypeEthernet, num: uint64(i + 1)})
	}
	return out
}

// runFrames feeds frames as one file through a table with cfg.
func runFrames(t testing.TB, cfg Config, frames []frame) ([]Conn, Stats) {
	t.Helper()
	return feed(t, cfg, map[string][]frame{"synthetic": frames}, "synthetic")
}

// only returns the single record of conns, failing otherwise.
func only(t testing.TB, conns []Conn) Conn {
	t.Helper()
	if len(conns) != 1 {
		t.Fatalf("got %d connections, want 1:\n%s", len(conns), dump(t, conns))
	}
	return conns[0]
}
