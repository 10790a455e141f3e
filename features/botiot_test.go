package features

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/cnids/cnids/flow"
)

// ---------------------------------------------------------------------
// A synthetic capture built with gopacket, run through flow.Table.

// btT0 is the synthetic capture's time origin (Unix seconds).
const btT0 = 1_700_000_000

// btPkt is one frame of a synthetic capture at btT0 + t seconds.
type btPkt struct {
	t    float64
	data []byte
}

func btNanos(t float64) int64 { return btT0*1e9 + int64(math.Round(t*1e9)) }

// btSerialize serializes layers with lengths and checksums fixed. An
// Ethernet frame shorter than 60 bytes is padded to 60, as on the wire.
func btSerialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// btEth returns an Ethernet header with MAC addresses derived from the
// hosts' last bytes.
func btEth(src, dst netip.Addr) *layers.Ethernet {
	s, d := src.As4(), dst.As4()
	return &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, s[3]}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, d[3]},
		EthernetType: layers.EthernetTypeIPv4}
}

func btIP(src, dst netip.Addr, p layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: p, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// btTCP builds an Ethernet TCP frame with the given flags (letters of
// "SAFRPU"), sequence and acknowledgment numbers and payload size.
func btTCP(t testing.TB, src, dst netip.AddrPort, flags string, seq, ack uint32, payload int) []byte {
	t.Helper()
	ip := btIP(src.Addr(), dst.Addr(), layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: seq, Ack: ack,
		Window: 65535, SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"),
		FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R"), PSH: strings.Contains(flags, "P"),
		URG: strings.Contains(flags, "U")}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return btSerialize(t, btEth(src.Addr(), dst.Addr()), ip, tcp, gopacket.Payload(make([]byte, payload)))
}

// btUDPDatagram builds the IP datagram of a UDP packet (no link layer).
func btUDPDatagram(t testing.TB, src, dst netip.AddrPort, payload int) []byte {
	t.Helper()
	ip := btIP(src.Addr(), dst.Addr(), layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return btSerialize(t, ip, udp, gopacket.Payload(make([]byte, payload)))
}

// btUDP builds an Ethernet UDP frame.
func btUDP(t testing.TB, src, dst netip.AddrPort, payload int) []byte {
	t.Helper()
	ip := btIP(src.Addr(), dst.Addr(), layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return btSerialize(t, btEth(src.Addr(), dst.Addr()), ip, udp, gopacket.Payload(make([]byte, payload)))
}

// btICMP builds an Ethernet ICMPv4 frame with the given type, code,
// identifier, sequence number and payload.
func btICMP(t testing.TB, src, dst netip.Addr, typ, code uint8, id, seq uint16, payload []byte) []byte {
	t.Helper()
	m := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: id, Seq: seq}
	return btSerialize(t, btEth(src, dst), btIP(src, dst, layers.IPProtocolICMPv4), m, gopacket.Payload(payload))
}

// btConns runs frames (sorted by time) through a one-shard flow table
// and returns its connections in output order.
func btConns(t testing.TB, cfg flow.Config, pkts []btPkt) []flow.Conn {
	t.Helper()
	cfg.Shards = 1
	tab, err := flow.NewTable(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []flow.Conn, 1)
	go func() {
		var all []flow.Conn
		for b := range tab.Out() {
			all = append(all, b...)
			tab.Recycle(b)
		}
		done <- all
	}()
	for i, p := range pkts {
		if i > 0 && p.t < pkts[i-1].t {
			t.Fatalf("packet %d is out of order", i+1)
		}
		if err := tab.Packet(p.data, layers.LinkTypeEthernet, btNanos(p.t), "synthetic", uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

// btRows enters conns into x, then flushes it, and returns the rows.
func btRows(t testing.TB, x *BotIoTExtractor, conns []flow.Conn) []Row {
	t.Helper()
	var rows []Row
	drain := func() {
		for {
			r := NewRow(BotIoT())
			c, err := x.Next(&r)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				return
			}
			rows = append(rows, r)
		}
	}
	for i := range conns {
		x.Add(&conns[i])
		drain()
	}
	x.Flush()
	drain()
	return rows
}

func newBotIoT(t testing.TB, cfg BotIoTConfig) *BotIoTExtractor {
	t.Helper()
	x, err := NewBotIoTExtractor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// btCol returns the value of a column of r as a string (symbols) or a
// float64 (numbers).
func btCol(r Row, name string) any {
	i := BotIoT().Index(name)
	if i < 0 {
		panic("no BoT-IoT column " + name)
	}
	if botSymbolColumns[i] {
		return r.Symbols[i]
	}
	return r.Values[i]
}

// btCheck compares row r with want (column name to string or number).
// Times are compared within 1 µs (float64 holds Unix seconds to about
// 0.2 µs), other numbers within a relative 1e-9, or 1e-6 absolute for the
// AR_* means, which the window keeps in micro-packets per second.
func btCheck(t *testing.T, what string, r Row, want map[string]any) {
	t.Helper()
	for name, w := range want {
		got := btCol(r, name)
		switch w := w.(type) {
		case string:
			if got != w {
				t.Errorf("%s: %s = %q, want %q", what, name, got, w)
			}
		case float64, int:
			wf := 0.0
			if i, ok := w.(int); ok {
				wf = float64(i)
			} else {
				wf = w.(float64)
			}
			g, ok := got.(float64)
			tol := 1e-9 * math.Max(1, math.Abs(wf))
			switch {
			case name == "stime" || name == "ltime":
				tol = 1e-6
			case strings.HasPrefix(name, "AR_"):
				tol = 1e-6
			}
			if !ok || !(math.Abs(g-wf) <= tol) {
				t.Errorf("%s: %s = %v, want %v", what, name, got, wf)
			}
		default:
			t.Fatalf("bad want type %T", w)
		}
	}
}

// TestBotIoTHandComputed builds a capture of six flows, runs it through
// the flow stage and the extractor and checks every column of every row
// against values worked out by hand.
func TestBotIoTHandComputed(t *testing.T) {
	A, B, C := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	ap := netip.AddrPortFrom
	var pkts []btPkt
	add := func(ts float64, d []byte) { pkts = append(pkts, btPkt{ts, d}) }

	// Frame sizes: Ethernet 14 + IPv4 20 + TCP 20 = 54, padded to 60;
	// with 100 bytes of payload 154, with 200 bytes 254.
	// Flow 1, TCP A:40000 -> B:80, handshake, data, FIN both ways.
	c1, s1 := ap(A, 40000), ap(B, 80)
	add(0.0, btTCP(t, c1, s1, "S", 1000, 0, 0))       // #1  60
	add(0.1, btTCP(t, s1, c1, "SA", 5000, 1001, 0))   // #2  60
	add(0.2, btTCP(t, c1, s1, "A", 1001, 5001, 0))    // #3  60
	add(0.3, btTCP(t, c1, s1, "PA", 1001, 5001, 100)) // #4  154
	add(0.5, btTCP(t, s1, c1, "PA", 5001, 1101, 200)) // #5  254
	add(1.0, btTCP(t, c1, s1, "FA", 1101, 5201, 0))   // #6  60
	add(1.1, btTCP(t, s1, c1, "FA", 5201, 1102, 0))   // #7  60
	add(1.2, btTCP(t, c1, s1, "A", 1102, 5202, 0))    // #8  60
	// Flow 4, UDP A:5353 <-> B:53: queries of 30 bytes (14+20+8+30 = 72),
	// answers of 60 bytes (102). Records (5 s): [2.0, 2.5] and [8.0, 9.5].
	u1, u2 := ap(A, 5353), ap(B, 53)
	add(2.0, btUDP(t, u1, u2, 30))  // #9
	add(2.1, btUDP(t, u2, u1, 60))  // #10
	add(2.5, btUDP(t, u1, u2, 30))  // #11
	add(8.0, btUDP(t, u1, u2, 30))  // #22
	add(8.05, btUDP(t, u2, u1, 60)) // #23
	add(9.5, btUDP(t, u1, u2, 30))  // #24
	// Flow 2, TCP A:40001 -> B:81: SYN answered by RST-ACK (60 + 60).
	c2, s2 := ap(A, 40001), ap(B, 81)
	add(3.0, btTCP(t, c2, s2, "S", 2000, 0, 0))     // #12
	add(3.0002, btTCP(t, s2, c2, "RA", 0, 2001, 0)) // #13
	// Flow 3, UDP A:6000 -> C:9999 one way, 10-byte payload (52, padded to
	// 60); C answers each with a port unreachable quoting the datagram
	// (20+8+10 = 38 bytes): 14+20+8+38 = 80.
	u3, u4 := ap(A, 6000), ap(C, 9999)
	quote := btUDPDatagram(t, u3, u4, 10)
	if len(quote) != 38 {
		t.Fatalf("quoted datagram is %d bytes", len(quote))
	}
	add(4.0, btUDP(t, u3, u4, 10))                 // #14
	add(4.001, btICMP(t, C, A, 3, 3, 0, 0, quote)) // #15
	add(4.5, btUDP(t, u3, u4, 10))                 // #16
	add(4.501, btICMP(t, C, A, 3, 3, 0, 0, quote)) // #17
	// Flow 6, ICMP echo A -> B, identifier 0x1234, sequence numbers 1 and
	// 2, 32 bytes of data: 14+20+8+32 = 74 each.
	data := make([]byte, 32)
	add(6.0, btICMP(t, A, B, 8, 0, 0x1234, 1, data))    // #18
	add(6.0005, btICMP(t, B, A, 0, 0, 0x1234, 1, data)) // #19
	add(7.0, btICMP(t, A, B, 8, 0, 0x1234, 2, data))    // #20
	add(7.0004, btICMP(t, B, A, 0, 0, 0x1234, 2, data)) // #21
	// Time order; packet numbers (comments) and Conn.ID follow it.
	for i := 1; i < len(pkts); i++ {
		for j := i; j > 0 && pkts[j].t < pkts[j-1].t; j-- {
			pkts[j], pkts[j-1] = pkts[j-1], pkts[j]
		}
	}
	for _, p := range pkts {
		if len(p.data) < 60 {
			t.Fatalf("frame of %d bytes: not padded", len(p.data))
		}
	}

	conns := btConns(t, flow.Config{}, pkts)
	x := newBotIoT(t, BotIoTConfig{Identifiers: true})
	rows := btRows(t, x, conns)
	if len(rows) != 6 {
		for _, r := range rows {
			t.Logf("%v %v", r.Symbols, r.Values)
		}
		t.Fatalf("%d rows, want 6", len(rows))
	}

	// Row order: the flow stage emits by finish time: flow 1 closed at
	// 1.2, flow 2 at 3.0002, each ICMP packet at once, the two UDP flows
	// at the end of input (clock 9.5, ordered by last packet: flow 3,
	// then 4); the extractor makes rows of TCP and UDP at once and holds
	// the ICMP flows until Flush, which completes them least recently
	// active first (the unreachables, last packet 4.501, then the echo).
	//
	// Window rates (pkts/dur) for the AR_* means:
	//   row 1: 8/1.2 = 6.666667     row 2: 2/0.0002 = 10000
	//   row 3: 2/0.501 = 3.992016   row 4: 6/7.5 = 0.8
	//   row 5: 2/0.5 = 4            row 6: 4/1.0004 = 3.998401
	want := []map[string]any{
		{
			// TCP A:40000 -> B:80. spkts: SYN, ACK, data, FIN, ACK = 5,
			// sbytes 4*60 + 154 = 394; dpkts: SYN-ACK, data, FIN = 3,
			// dbytes 60 + 254 + 60 = 374. One record [0, 1.2].
			"pkSeqID": 1, "stime": btT0 + 0.0, "ltime": btT0 + 1.2, "flgs": "e", "flgs_number": 1,
			"proto": "tcp", "proto_number": 1, "saddr": "10.0.0.1", "sport": "40000", "daddr": "10.0.0.2", "dport": "80",
			"pkts": 8, "bytes": 768, "state": "FIN", "state_number": 1, "seq": 1, "dur": 1.2,
			"mean": 1.2, "stddev": 0.0, "sum": 1.2, "min": 1.2, "max": 1.2,
			"spkts": 5, "dpkts": 3, "sbytes": 394, "dbytes": 374,
			"rate": 7 / 1.2, "srate": 4 / 1.2, "drate": 2 / 1.2,
			// Window: row 1 only.
			"TnBPSrcIP": 768, "TnBPDstIP": 768, "TnP_PSrcIP": 8, "TnP_PDstIP": 8, "TnP_PerProto": 8, "TnP_Per_Dport": 8,
			"AR_P_Proto_P_SrcIP": 8 / 1.2, "AR_P_Proto_P_DstIP": 8 / 1.2, "AR_P_Proto_P_Sport": 8 / 1.2, "AR_P_Proto_P_Dport": 8 / 1.2,
			"N_IN_Conn_P_DstIP": 1, "N_IN_Conn_P_SrcIP": 1,
			"Pkts_P_State_P_Protocol_P_DestIP": 8, "Pkts_P_State_P_Protocol_P_SrcIP": 8,
		},
		{
			// TCP A:40001 -> B:81, SYN then RST-ACK: REJ, Argus RST.
			"pkSeqID": 2, "stime": btT0 + 3.0, "ltime": btT0 + 3.0002, "flgs": "e", "flgs_number": 1,
			"proto": "tcp", "proto_number": 1, "saddr": "10.0.0.1", "sport": "40001", "daddr": "10.0.0.2", "dport": "81",
			"pkts": 2, "bytes": 120, "state": "RST", "state_number": 5, "seq": 12, "dur": 0.0002,
			"mean": 0.0002, "stddev": 0.0, "sum": 0.0002, "min": 0.0002, "max": 0.0002,
			"spkts": 1, "dpkts": 1, "sbytes": 60, "dbytes": 60,
			"rate": 1 / 0.0002, "srate": 0.0, "drate": 0.0, // one packet a side: no rate
			// Window rows 1-2. saddr A: 768+120 bytes, 8+2 packets; daddr B
			// the same; tcp 10 packets; tcp/81 2; AR over tcp/A and tcp/B:
			// (6.666667+10000)/2; tcp sport 40001 and dport 81: row 2 only.
			"TnBPSrcIP": 888, "TnBPDstIP": 888, "TnP_PSrcIP": 10, "TnP_PDstIP": 10, "TnP_PerProto": 10, "TnP_Per_Dport": 2,
			"AR_P_Proto_P_SrcIP": (8/1.2 + 10000) / 2, "AR_P_Proto_P_DstIP": (8/1.2 + 10000) / 2,
			"AR_P_Proto_P_Sport": 10000.0, "AR_P_Proto_P_Dport": 10000.0,
			"N_IN_Conn_P_DstIP": 2, "N_IN_Conn_P_SrcIP": 2,
			// RST/tcp/B and RST/tcp/A: row 2 only.
			"Pkts_P_State_P_Protocol_P_DestIP": 2, "Pkts_P_State_P_Protocol_P_SrcIP": 2,
		},
		{
			// UDP A:6000 -> C:9999 one way: INT. The port unreachable at
			// 4.501 quotes it: flgs "eU" (1 + 4*1), ltime moves to 4.501,
			// its only record with it: dur 0.501.
			"pkSeqID": 3, "stime": btT0 + 4.0, "ltime": btT0 + 4.501, "flgs": "eU", "flgs_number": 5,
			"proto": "udp", "proto_number": 3, "saddr": "10.0.0.1", "sport": "6000", "daddr": "10.0.0.3", "dport": "9999",
			"pkts": 2, "bytes": 120, "state": "INT", "state_number": 4, "seq": 14, "dur": 0.501,
			"mean": 0.501, "stddev": 0.0, "sum": 0.501, "min": 0.501, "max": 0.501,
			"spkts": 2, "dpkts": 0, "sbytes": 120, "dbytes": 0,
			"rate": 1 / 0.501, "srate": 1 / 0.501, "drate": 0.0,
			// Window rows 1-3. saddr A: 888+120 bytes, 10+2 packets, 3
			// flows; daddr C: this row only; udp: this row only.
			"TnBPSrcIP": 1008, "TnBPDstIP": 120, "TnP_PSrcIP": 12, "TnP_PDstIP": 2, "TnP_PerProto": 2, "TnP_Per_Dport": 2,
			"AR_P_Proto_P_SrcIP": 2 / 0.501, "AR_P_Proto_P_DstIP": 2 / 0.501,
			"AR_P_Proto_P_Sport": 2 / 0.501, "AR_P_Proto_P_Dport": 2 / 0.501,
			"N_IN_Conn_P_DstIP": 1, "N_IN_Conn_P_SrcIP": 3,
			"Pkts_P_State_P_Protocol_P_DestIP": 2, "Pkts_P_State_P_Protocol_P_SrcIP": 2,
		},
		{
			// UDP A:5353 <-> B:53: CON. spkts 4 (sbytes 4*72 = 288), dpkts 2
			// (dbytes 2*102 = 204). Records [2.0, 2.5] and [8.0, 9.5]:
			// durations 0.5 and 1.5, mean 1, population stddev 0.5.
			"pkSeqID": 4, "stime": btT0 + 2.0, "ltime": btT0 + 9.5, "flgs": "e", "flgs_number": 1,
			"proto": "udp", "proto_number": 3, "saddr": "10.0.0.1", "sport": "5353", "daddr": "10.0.0.2", "dport": "53",
			"pkts": 6, "bytes": 492, "state": "CON", "state_number": 2, "seq": 9, "dur": 7.5,
			"mean": 1.0, "stddev": 0.5, "sum": 2.0, "min": 0.5, "max": 1.5,
			"spkts": 4, "dpkts": 2, "sbytes": 288, "dbytes": 204,
			"rate": 5 / 7.5, "srate": 3 / 7.5, "drate": 1 / 7.5,
			// Window rows 1-4. saddr A: 1008+492 bytes, 12+6 packets, 4
			// flows; daddr B (rows 1, 2, 4): 888+492 bytes, 10+6 packets, 3
			// flows; udp (rows 3, 4): 8 packets; udp/53: 6; AR udp/A: rows 3
			// and 4, (3.992016+0.8)/2; udp/B, udp sport 5353, udp dport 53:
			// row 4 only; CON/udp/B and CON/udp/A: row 4 only.
			"TnBPSrcIP": 1500, "TnBPDstIP": 1380, "TnP_PSrcIP": 18, "TnP_PDstIP": 16, "TnP_PerProto": 8, "TnP_Per_Dport": 6,
			"AR_P_Proto_P_SrcIP": (2/0.501 + 0.8) / 2, "AR_P_Proto_P_DstIP": 0.8,
			"AR_P_Proto_P_Sport": 0.8, "AR_P_Proto_P_Dport": 0.8,
			"N_IN_Conn_P_DstIP": 3, "N_IN_Conn_P_SrcIP": 4,
			"Pkts_P_State_P_Protocol_P_DestIP": 6, "Pkts_P_State_P_Protocol_P_SrcIP": 6,
		},
		{
			// ICMP port unreachables C -> A: sport = type 3, code 3 read
			// little-endian: 0x0303; dport = the quoted destination port
			// 9999 = 0x270f, bytes swapped: 0x0f27. URP. One record [4.001,
			// 4.501].
			"pkSeqID": 5, "stime": btT0 + 4.001, "ltime": btT0 + 4.501, "flgs": "e", "flgs_number": 1,
			"proto": "icmp", "proto_number": 4, "saddr": "10.0.0.3", "sport": "0x0303", "daddr": "10.0.0.1", "dport": "0x0f27",
			"pkts": 2, "bytes": 160, "state": "URP", "state_number": 9, "seq": 15, "dur": 0.5,
			"mean": 0.5, "stddev": 0.0, "sum": 0.5, "min": 0.5, "max": 0.5,
			"spkts": 2, "dpkts": 0, "sbytes": 160, "dbytes": 0,
			"rate": 2.0, "srate": 2.0, "drate": 0.0,
			// Window rows 1-5. saddr C and daddr A appear first here; icmp
			// this row only.
			"TnBPSrcIP": 160, "TnBPDstIP": 160, "TnP_PSrcIP": 2, "TnP_PDstIP": 2, "TnP_PerProto": 2, "TnP_Per_Dport": 2,
			"AR_P_Proto_P_SrcIP": 4.0, "AR_P_Proto_P_DstIP": 4.0, "AR_P_Proto_P_Sport": 4.0, "AR_P_Proto_P_Dport": 4.0,
			"N_IN_Conn_P_DstIP": 1, "N_IN_Conn_P_SrcIP": 1,
			"Pkts_P_State_P_Protocol_P_DestIP": 2, "Pkts_P_State_P_Protocol_P_SrcIP": 2,
		},
		{
			// ICMP echo A -> B: sport 0x0008 (type 8, code 0), dport the
			// identifier 0x1234 swapped: 0x3412. ECO. Two records, one per
			// sequence number: [6.0, 6.0005] and [7.0, 7.0004], durations
			// 0.0005 and 0.0004: mean 0.00045, stddev 0.00005.
			"pkSeqID": 6, "stime": btT0 + 6.0, "ltime": btT0 + 7.0004, "flgs": "e", "flgs_number": 1,
			"proto": "icmp", "proto_number": 4, "saddr": "10.0.0.1", "sport": "0x0008", "daddr": "10.0.0.2", "dport": "0x3412",
			"pkts": 4, "bytes": 296, "state": "ECO", "state_number": 6, "seq": 18, "dur": 1.0004,
			"mean": 0.00045, "stddev": 0.00005, "sum": 0.0009, "min": 0.0004, "max": 0.0005,
			"spkts": 2, "dpkts": 2, "sbytes": 148, "dbytes": 148,
			"rate": 3 / 1.0004, "srate": 1 / 1.0004, "drate": 1 / 1.0004,
			// Window rows 1-6. saddr A (rows 1-4, 6): 1500+296 bytes, 18+4
			// packets, 5 flows; daddr B (rows 1, 2, 4, 6): 1380+296 bytes,
			// 16+4 packets, 4 flows; icmp (rows 5, 6): 6 packets; icmp/0x3412,
			// icmp/A, icmp/B, icmp sport 8, ECO: this row only.
			"TnBPSrcIP": 1796, "TnBPDstIP": 1676, "TnP_PSrcIP": 22, "TnP_PDstIP": 20, "TnP_PerProto": 6, "TnP_Per_Dport": 4,
			"AR_P_Proto_P_SrcIP": 4 / 1.0004, "AR_P_Proto_P_DstIP": 4 / 1.0004,
			"AR_P_Proto_P_Sport": 4 / 1.0004, "AR_P_Proto_P_Dport": 4 / 1.0004,
			"N_IN_Conn_P_DstIP": 4, "N_IN_Conn_P_SrcIP": 5,
			"Pkts_P_State_P_Protocol_P_DestIP": 4, "Pkts_P_State_P_Protocol_P_SrcIP": 4,
		},
	}
	for i, w := range want {
		if len(w) != BotIoTColumns {
			t.Fatalf("row %d: %d expected columns, want all %d", i+1, len(w), BotIoTColumns)
		}
		btCheck(t, fmt.Sprintf("row %d", i+1), rows[i], w)
	}
	st := x.Stats()
	wantSt := BotIoTStats{Conns: 10, Flows: 6, ICMPPackets: 6, ICMPFlows: 2, Events: 2, Mapped: 1, EventsDropped: 0}
	if st != wantSt {
		t.Errorf("stats %+v, want %+v", st, wantSt)
	}
}

// HandComputedBotIoTRows returns the rows of TestBotIoTHandComputed's
// capture (for the external tests of the CSV round trip).
func HandComputedBotIoTRows(t testing.TB) []Row {
	t.Helper()
	A, B, C := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	ap := netip.AddrPortFrom
	quote := btUDPDatagram(t, ap(A, 6000), ap(C, 9999), 10)
	data := make([]byte, 32)
	pkts := []btPkt{
		{0.0, btTCP(t, ap(A, 40000), ap(B, 80), "S", 1000, 0, 0)},
		{0.1, btTCP(t, ap(B, 80), ap(A, 40000), "SA", 5000, 1001, 0)},
		{0.2, btTCP(t, ap(A, 40000), ap(B, 80), "A", 1001, 5001, 0)},
		{1.0, btTCP(t, ap(A, 40000), ap(B, 80), "FA", 1001, 5001, 0)},
		{1.1, btTCP(t, ap(B, 80), ap(A, 40000), "FA", 5001, 1002, 0)},
		{1.2, btTCP(t, ap(A, 40000), ap(B, 80), "A", 1002, 5002, 0)},
		{2.0, btUDP(t, ap(A, 5353), ap(B, 53), 30)},
		{2.1, btUDP(t, ap(B, 53), ap(A, 5353), 60)},
		{4.0, btUDP(t, ap(A, 6000), ap(C, 9999), 10)},
		{4.001, btICMP(t, C, A, 3, 3, 0, 0, quote)},
		{6.0, btICMP(t, A, B, 8, 0, 0x1234, 1, data)},
		{6.0005, btICMP(t, B, A, 0, 0, 0x1234, 1, data)},
	}
	return btRows(t, newBotIoT(t, BotIoTConfig{Identifiers: true}), btConns(t, flow.Config{}, pkts))
}

// ---------------------------------------------------------------------
// The window after eviction, against a naive recomputation.

// btSynthConn returns a TCP, UDP or ICMP connection of the flow stage
// ending at end (ns), with the given packets each way (60-byte frames,
// 10 ms apart from start).
func btSynthConn(id uint64, proto uint8, a, b netip.Addr, ap, bp uint16, start int64, op, rp uint64, st flow.State, hist string) flow.Conn {
	end := start + int64(op+rp-1)*10e6
	c := flow.Conn{ID: id, Proto: proto, OrigAddr: a, RespAddr: b, OrigPort: ap, RespPort: bp, Start: start, End: end,
		Finish: end, State: st, History: hist, OrigPkts: op, RespPkts: rp, OrigFrameBytes: 60 * op, RespFrameBytes: 60 * rp,
		Ethernet: true, Records: 1, RecordDurSum: end - start, RecordDurMin: end - start, RecordDurMax: end - start}
	s := float64(end-start) / 1e9
	c.RecordDurSumSq = s * s
	return c
}

// btFlow holds the columns of a row the aggregates depend on.
type btFlow struct {
	saddr, daddr, proto, sport, dport, state string
	pkts, bytes, dur                         float64
}

func btFlows(rows []Row) []btFlow {
	out := make([]btFlow, len(rows))
	for i, r := range rows {
		s := func(n string) string { return btCol(r, n).(string) }
		v := func(n string) float64 { return btCol(r, n).(float64) }
		out[i] = btFlow{s("saddr"), s("daddr"), s("proto"), s("sport"), s("dport"), s("state"), v("pkts"), v("bytes"), v("dur")}
	}
	return out
}

// btNaiveAgg recomputes the fourteen aggregates of flows[i] over flows
// lo .. i by their definitions (see BotIoTExtractor).
func btNaiveAgg(flows []btFlow, lo, i int) map[string]float64 {
	type group struct {
		n         int
		pkts, byt float64
		rate      float64
	}
	var src, dst, proto, pdport, psport, psrc, pdst, sdst, ssrc group
	cur := flows[i]
	for _, f := range flows[lo : i+1] {
		in := func(g *group, ok bool) {
			if ok {
				g.n++
				g.pkts += f.pkts
				g.byt += f.bytes
				if f.dur > 0 {
					g.rate += f.pkts / f.dur
				}
			}
		}
		p := f.proto == cur.proto
		in(&src, f.saddr == cur.saddr)
		in(&dst, f.daddr == cur.daddr)
		in(&proto, p)
		in(&pdport, p && f.dport == cur.dport)
		in(&psport, p && f.sport == cur.sport)
		in(&psrc, p && f.saddr == cur.saddr)
		in(&pdst, p && f.daddr == cur.daddr)
		in(&sdst, p && f.state == cur.state && f.daddr == cur.daddr)
		in(&ssrc, p && f.state == cur.state && f.saddr == cur.saddr)
	}
	mean := func(g group) float64 { return g.rate / float64(g.n) }
	return map[string]float64{
		"TnBPSrcIP": src.byt, "TnBPDstIP": dst.byt, "TnP_PSrcIP": src.pkts, "TnP_PDstIP": dst.pkts,
		"TnP_PerProto": proto.pkts, "TnP_Per_Dport": pdport.pkts,
		"AR_P_Proto_P_SrcIP": mean(psrc), "AR_P_Proto_P_DstIP": mean(pdst),
		"AR_P_Proto_P_Sport": mean(psport), "AR_P_Proto_P_Dport": mean(pdport),
		"N_IN_Conn_P_DstIP": float64(dst.n), "N_IN_Conn_P_SrcIP": float64(src.n),
		"Pkts_P_State_P_Protocol_P_DestIP": sdst.pkts, "Pkts_P_State_P_Protocol_P_SrcIP": ssrc.pkts,
	}
}

// TestBotIoTWindowEviction runs 400 flows of a few hosts, ports, protocols
// and states (ICMP echoes among them, completed by their timeout) and
// checks every row's aggregates against a naive recomputation over the
// last 100 rows, and that the window did forget: over all rows the
// aggregates would differ.
func TestBotIoTWindowEviction(t *testing.T) {
	x := newBotIoT(t, BotIoTConfig{Identifiers: true, ICMPTimeout: 2 * time.Second})
	hosts := make([]netip.Addr, 7)
	for i := range hosts {
		hosts[i] = netip.AddrFrom4([4]byte{192, 168, 1, byte(10 + i)})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var conns []flow.Conn
	start := int64(btT0 * 1e9)
	for i := range 400 {
		start += int64(rng.IntN(700)) * 1e6
		a, b := hosts[rng.IntN(len(hosts))], hosts[rng.IntN(len(hosts))]
		op, rp := uint64(1+rng.IntN(5)), uint64(rng.IntN(4))
		sp, dp := uint16(1024+rng.IntN(6)), []uint16{22, 53, 80, 443}[rng.IntN(4)]
		id := uint64(i + 1)
		switch rng.IntN(5) {
		case 0, 1:
			st, h := flow.SF, "ShADadFf"
			switch {
			case rp == 0:
				st, h = flow.S0, "S"
			case rng.IntN(2) == 0:
				st, h = flow.REJ, "Sr"
			}
			conns = append(conns, btSynthConn(id, flow.ProtoTCP, a, b, sp, dp, start, op, rp, st, h))
		case 2, 3:
			conns = append(conns, btSynthConn(id, flow.ProtoUDP, a, b, sp, dp, start, op, rp, flow.SF, "Dd"))
		default:
			// One echo request (and maybe its reply): each ICMP packet is
			// a connection of the flow stage.
			req := btSynthConn(id, flow.ProtoICMP, a, b, 0, 0, start, 1, 0, flow.SF, "")
			req.ICMPType, req.ICMPID, req.ICMPSeq = 8, uint16(rng.IntN(3)), uint16(i)
			conns = append(conns, req)
			if rng.IntN(2) == 0 {
				rep := req
				rep.OrigAddr, rep.RespAddr = b, a
				rep.ICMPType, rep.ID = 0, id+1000
				rep.Start, rep.End, rep.Finish = start+1e6, start+1e6, start+1e6
				conns = append(conns, rep)
			}
		}
	}
	// The flow stage's order: by Finish.
	slices.SortStableFunc(conns, func(p, q flow.Conn) int { return cmp.Compare(p.Finish, q.Finish) })
	rows := btRows(t, x, conns)
	if len(rows) < 3*BotIoTWindow {
		t.Fatalf("only %d rows", len(rows))
	}
	flows := btFlows(rows)
	evicted := 0
	protos := map[string]int{}
	for i := range rows {
		protos[flows[i].proto]++
		want := btNaiveAgg(flows, max(0, i-BotIoTWindow+1), i)
		for name, w := range want {
			g := btCol(rows[i], name).(float64)
			tol := 0.0
			if strings.HasPrefix(name, "AR_") {
				tol = 1e-6 // the window's fixed point: micro-packets per second
			}
			if !(math.Abs(g-w) <= tol) {
				t.Fatalf("row %d: %s = %v, want %v (naive, last %d rows)", i+1, name, g, w, BotIoTWindow)
			}
		}
		if all := btNaiveAgg(flows, 0, i); all["N_IN_Conn_P_SrcIP"] != want["N_IN_Conn_P_SrcIP"] {
			evicted++
		}
	}
	if evicted < len(rows)/2 {
		t.Errorf("only %d of %d rows depended on the eviction of old rows", evicted, len(rows))
	}
	if protos["icmp"] == 0 || protos["tcp"] == 0 || protos["udp"] == 0 {
		t.Errorf("rows by protocol %v: want all three", protos)
	}
}

// TestBotIoTFlushResetTimeout checks when held ICMP flows complete (at
// their idle timeout, seen at the next connection, and at Flush, least
// recently active first), and that Reset forgets held flows, pending
// ICMP events and the window but not the row numbers and counters.
func TestBotIoTFlushResetTimeout(t *testing.T) {
	A, B := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	s := func(sec float64) int64 { return btNanos(sec) }
	echo := func(id uint64, at float64, seq uint16) flow.Conn {
		c := btSynthConn(id, flow.ProtoICMP, A, B, 0, 0, s(at), 1, 0, flow.SF, "")
		c.ICMPType, c.ICMPID, c.ICMPSeq = 8, 7, seq
		return c
	}
	udp := func(id uint64, at float64) flow.Conn {
		return btSynthConn(id, flow.ProtoUDP, A, B, 5000, 53, s(at), 1, 1, flow.SF, "Dd")
	}
	next := func(x *BotIoTExtractor) (*flow.Conn, Row) {
		t.Helper()
		r := NewRow(BotIoT())
		c, err := x.Next(&r)
		if err != nil {
			t.Fatal(err)
		}
		return c, r
	}
	x := newBotIoT(t, BotIoTConfig{Identifiers: true, ICMPTimeout: 10 * time.Second})
	if c, _ := next(x); c != nil {
		t.Fatal("a row from an empty extractor")
	}
	x.Flush()
	if c, _ := next(x); c != nil {
		t.Fatal("a row from flushing an empty extractor")
	}

	e := echo(1, 0, 1)
	x.Add(&e)
	if c, _ := next(x); c != nil {
		t.Fatalf("an ICMP packet made a row at once: %+v", c)
	}
	u := udp(2, 5) // 5.00 - 5.01: not 10 s after the echo
	x.Add(&u)
	if c, r := next(x); c == nil || c.Proto != flow.ProtoUDP || btCol(r, "pkSeqID") != 1.0 {
		t.Fatalf("want the UDP row first, got %+v", c)
	}
	if c, _ := next(x); c != nil {
		t.Fatal("the echo completed before its timeout")
	}
	// At exactly 10 s after the echo it is not yet idle for longer than
	// the timeout.
	u = udp(3, 9.99)
	x.Add(&u)
	if c, _ := next(x); c == nil || c.Proto != flow.ProtoUDP {
		t.Fatalf("want a UDP row, got %+v", c)
	}
	if c, _ := next(x); c != nil {
		t.Fatalf("the echo completed at its timeout: %+v", c)
	}
	u = udp(4, 10.5)
	x.Add(&u)
	c, r := next(x)
	if c == nil || c.Proto != flow.ProtoICMP || c.Reason != flow.Timeout || c.Finish != s(10) || btCol(r, "pkSeqID") != 3.0 {
		t.Fatalf("want the echo, completed by its timeout at 10 s, as row 3; got %+v", c)
	}
	if c, r := next(x); c == nil || c.Proto != flow.ProtoUDP || btCol(r, "pkSeqID") != 4.0 {
		t.Fatalf("want the UDP row 4 after the echo, got %+v", c)
	}
	// Flush: least recently active first.
	e1, e2 := echo(5, 11, 1), echo(6, 11.5, 1)
	e2.ICMPID = 8
	e3 := echo(7, 12, 2) // e1's flow again, other sequence number
	for _, c := range []*flow.Conn{&e1, &e2, &e3} {
		x.Add(c)
	}
	if c, _ := next(x); c != nil {
		t.Fatal("a row before Flush")
	}
	x.Flush()
	c1, r1 := next(x)
	c2, r2 := next(x)
	if c1 == nil || c2 == nil || c1.Reason != flow.Shutdown || btCol(r1, "dport") != "0x0800" || btCol(r1, "pkts") != 1.0 ||
		btCol(r2, "dport") != "0x0700" || btCol(r2, "pkts") != 2.0 || btCol(r2, "stime") != float64(btT0)+11 {
		t.Fatalf("Flush: rows %v / %v, want identifier 8 (1 packet) then 7 (2 packets)", r1.Symbols, r2.Symbols)
	}
	if c, _ := next(x); c != nil {
		t.Fatal("a third row after Flush")
	}

	// Reset between a port unreachable quoting a UDP flow and that flow:
	// the event, the held ICMP flow and the window are forgotten.
	run := func(reset bool) (Row, BotIoTStats) {
		x := newBotIoT(t, BotIoTConfig{Identifiers: true})
		for id := range uint64(3) {
			u := udp(id+1, float64(id))
			x.Add(&u)
			next(x)
		}
		ur := btSynthConn(9, flow.ProtoICMP, B, A, 0, 0, s(20.5), 1, 0, flow.SF, "")
		ur.ICMPType, ur.ICMPCode = 3, 3
		ur.Quote = flow.ICMPQuote{Src: A, Dst: B, SrcPort: 6000, DstPort: 9999, Proto: flow.ProtoUDP}
		x.Add(&ur)
		if reset {
			x.Reset()
		}
		q := btSynthConn(10, flow.ProtoUDP, A, B, 6000, 9999, s(20), 2, 0, flow.SF, "D")
		q.Finish = s(80) // ended by its idle timeout, after the event
		x.Add(&q)
		c, r := next(x)
		if c == nil || c.Proto != flow.ProtoUDP {
			t.Fatalf("reset %v: want the quoted UDP flow, got %+v", reset, c)
		}
		x.Flush()
		n := 0
		for c, _ := next(x); c != nil; c, _ = next(x) {
			n++
		}
		if want := map[bool]int{false: 1, true: 0}[reset]; n != want {
			t.Errorf("reset %v: %d ICMP rows at Flush, want %d", reset, n, want)
		}
		return r, x.Stats()
	}
	r0, st0 := run(false)
	btCheck(t, "without Reset", r0, map[string]any{"pkSeqID": 4, "flgs": "eU", "flgs_number": 5, "N_IN_Conn_P_SrcIP": 4,
		"TnP_PerProto": 8, "ltime": float64(btT0) + 20.5, "dur": 0.5})
	r1, st1 := run(true)
	btCheck(t, "after Reset", r1, map[string]any{"pkSeqID": 4, "flgs": "e", "flgs_number": 1, "N_IN_Conn_P_SrcIP": 1,
		"TnP_PerProto": 2, "ltime": float64(btT0) + 20.01, "dur": 0.01})
	if st0.Mapped != 1 || st1.Mapped != 0 || st1.Conns != 5 || st1.Flows != 4 || st1.Events != 1 {
		t.Errorf("stats without Reset %+v, with %+v", st0, st1)
	}
}

// TestBotIoTConfigAndRowErrors checks the configuration's validation and
// defaults, and that Next refuses a row of another schema without losing
// the flow.
func TestBotIoTConfigAndRowErrors(t *testing.T) {
	for _, cfg := range []BotIoTConfig{{StatusInterval: -1}, {ICMPTimeout: -1}, {MaxICMPFlows: -1}} {
		if _, err := NewBotIoTExtractor(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if s := (BotIoTConfig{StatusInterval: 2 * time.Second}).Semantics(); s.StatusIntervalSeconds != 2 || s.HostWindow != 100 || s.Family != "bot-iot" {
		t.Errorf("semantics %+v", s)
	}
	if s := BotIoTSemantics(); s.StatusIntervalSeconds != 5 {
		t.Errorf("default semantics %+v", s)
	}
	x := newBotIoT(t, BotIoTConfig{})
	c := btSynthConn(1, flow.ProtoTCP, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 1, 2, btNanos(0), 1, 0, flow.S0, "S")
	x.Add(&c)
	bad := NewRow(NSLKDD())
	if _, err := x.Next(&bad); err == nil {
		t.Fatal("Next filled an NSL-KDD row")
	}
	r := NewRow(BotIoT())
	got, err := x.Next(&r)
	if err != nil || got == nil {
		t.Fatalf("the flow was lost after the refused row: %v %v", got, err)
	}
	// Without Identifiers the address and port symbols stay empty.
	for _, n := range []string{"saddr", "sport", "daddr", "dport"} {
		if v := btCol(r, n); v != "" {
			t.Errorf("%s = %q without Identifiers", n, v)
		}
	}
	if btCol(r, "state") != "REQ" || btCol(r, "proto") != "tcp" {
		t.Errorf("state %v proto %v, want REQ tcp", btCol(r, "state"), btCol(r, "proto"))
	}
}

// BenchmarkBotIoTExtractor measures rows per second and allocations for a
// mix of TCP and UDP flows among 50 hosts (identifiers off, as the sensor
// runs it for the model).
func BenchmarkBotIoTExtractor(b *testing.B) {
	x := newBotIoT(b, BotIoTConfig{})
	conns := make([]flow.Conn, 4096)
	for i := range conns {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 50)})
		d := netip.AddrFrom4([4]byte{10, 0, 1, byte(i * 7 % 50)})
		proto := []uint8{flow.ProtoTCP, flow.ProtoUDP}[i%2]
		conns[i] = btSynthConn(uint64(i+1), proto, a, d, uint16(1024+i%300), []uint16{53, 80, 443}[i%3], btNanos(float64(i)/100), 3, 2, flow.SF, "ShADadFf")
	}
	r := NewRow(BotIoT())
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		x.Add(&conns[i%len(conns)])
		if c, err := x.Next(&r); c == nil || err != nil {
			b.Fatal("no row", err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
