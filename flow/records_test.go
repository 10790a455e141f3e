package flow

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpAt builds UDP frames from a to b at the given offsets (seconds) from
// base0.
func udpAt(t testing.TB, a, b netip.AddrPort, offsets ...float64) []frame {
	t.Helper()
	out := make([]frame, 0, len(offsets))
	for _, o := range offsets {
		out = append(out, frame{data: udpFrame(t, a, b, "x"), ts: base0 + int64(math.Round(o*1e9)), lt: layers.LinkTypeEthernet})
	}
	return out
}

// mergeFrames merges frame lists by time and numbers the packets.
func mergeFrames(lists ...[]frame) []frame {
	var all []frame
	for _, l := range lists {
		all = append(all, l...)
	}
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].ts < all[j-1].ts; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	for i := range all {
		all[i].num = uint64(i + 1)
	}
	return all
}

// TestStatusRecords checks the status records against what Argus 3.0.8
// (Debian's argus-server, ARGUS_FLOW_STATUS_INTERVAL=5) wrote for the
// same packet times: a packet at least 5 s after its record's first
// packet starts a new record (at exactly 5 s too), and a record lasts
// from its first to its last packet.
func TestStatusRecords(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:1111")
	b := netip.MustParseAddrPort("10.0.0.2:2222")
	c2 := netip.MustParseAddrPort("10.0.0.7:7777")
	d2 := netip.MustParseAddrPort("10.0.0.8:8888")
	frames := mergeFrames(
		// argus: records [0, 3], [6, 10.5], [11.5]
		udpAt(t, a, b, 0, 3, 6, 8, 10.5, 11.5),
		// argus: records [1], [6, 6.000001], [11.000002]
		udpAt(t, c2, d2, 1, 6, 6.000001, 11.000002),
	)
	for _, tc := range []struct {
		interval time.Duration
		want     map[uint16][5]float64 // orig port: n, sum (s), sumsq (s²), min, max (s)
	}{
		{0, map[uint16][5]float64{
			1111: {3, 7.5, 3*3 + 4.5*4.5, 0, 4.5},
			7777: {3, 1e-6, 1e-12, 0, 1e-6},
		}},
		{2 * time.Second, map[uint16][5]float64{
			// [0] [3] [6] [8] [10.5, 11.5]
			1111: {5, 1, 1, 0, 1},
			// [1] [6, 6.000001] [11.000002]
			7777: {3, 1e-6, 1e-12, 0, 1e-6},
		}},
		{time.Hour, map[uint16][5]float64{
			1111: {1, 11.5, 11.5 * 11.5, 11.5, 11.5},
			7777: {1, 10.000002, 10.000002 * 10.000002, 10.000002, 10.000002},
		}},
	} {
		conns, _ := runFrames(t, Config{Shards: 1, StatusInterval: tc.interval}, frames)
		if len(conns) != 2 {
			t.Fatalf("interval %v: %d connections, want 2:\n%s", tc.interval, len(conns), dump(t, conns))
		}
		for i := range conns {
			c := &conns[i]
			w, ok := tc.want[c.OrigPort]
			if !ok {
				t.Fatalf("unexpected connection %s", connLine(c))
			}
			got := [5]float64{float64(c.Records), float64(c.RecordDurSum) / 1e9, c.RecordDurSumSq,
				float64(c.RecordDurMin) / 1e9, float64(c.RecordDurMax) / 1e9}
			for k := range got {
				if math.Abs(got[k]-w[k]) > 1e-9*math.Max(1, math.Abs(w[k])) {
					t.Errorf("interval %v, port %d: records (n, sum, sumsq, min, max) = %v, want %v", tc.interval, c.OrigPort, got, w)
					break
				}
			}
		}
	}
	if _, err := NewTable(t.Context(), Config{StatusInterval: -time.Second}); err == nil {
		t.Error("a negative StatusInterval was accepted")
	}
}

// TestFrameBytes checks the Argus byte counts: frame lengths on the wire,
// Ethernet padding included, a cut capture counted by its IP length, and
// every fragment's frame for a reassembled datagram.
func TestFrameBytes(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:1111")
	b := netip.MustParseAddrPort("10.0.0.2:2222")
	full := udpFrame(t, a, b, string(make([]byte, 1000))) // 14+20+8+1000
	if len(full) != 1042 {
		t.Fatalf("test frame is %d bytes", len(full))
	}
	padded := udpFrame(t, b, a, "hi") // 14+20+8+2 = 44, padded to 60 on the wire
	if len(padded) != 60 {
		t.Fatalf("padded test frame is %d bytes", len(padded))
	}
	frames := []frame{
		{data: full[:200], ts: base0, lt: layers.LinkTypeEthernet, num: 1}, // cut by the snap length
		{data: padded, ts: base0 + 1e6, lt: layers.LinkTypeEthernet, num: 2},
	}
	c := only(t, mustRun(t, frames))
	if c.OrigFrameBytes != 1042 || c.RespFrameBytes != 60 {
		t.Errorf("frame bytes %d/%d, want 1042/60", c.OrigFrameBytes, c.RespFrameBytes)
	}
	if c.OrigIPBytes != 1028 || c.RespIPBytes != 30 {
		t.Errorf("IP bytes %d/%d, want 1028/30 (unchanged)", c.OrigIPBytes, c.RespIPBytes)
	}
	if !c.Ethernet || c.ID != 1 {
		t.Errorf("Ethernet %v ID %d, want true 1", c.Ethernet, c.ID)
	}

	// Two fragments of a 1008-byte UDP datagram: 14+20+600 and 14+20+408.
	payload := make([]byte, 1000)
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: a.Addr().AsSlice(), DstIP: b.Addr().AsSlice(), Id: 99}
	udp := &layers.UDP{SrcPort: 1111, DstPort: 2222}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	whole := serialize(t, ip, udp, gopacket.Payload(payload)) // IP datagram
	body := whole[20:]
	frag := func(off int, part []byte, more bool) []byte {
		f := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ip.SrcIP, DstIP: ip.DstIP,
			Id: 99, FragOffset: uint16(off / 8)}
		if more {
			f.Flags = layers.IPv4MoreFragments
		}
		return serialize(t, ethFor(a.Addr()), f, gopacket.Payload(part))
	}
	fr := []frame{
		{data: frag(0, body[:600], true), ts: base0, lt: layers.LinkTypeEthernet, num: 1},
		{data: frag(600, body[600:], false), ts: base0 + 1000, lt: layers.LinkTypeEthernet, num: 2},
	}
	c = only(t, mustRun(t, fr))
	if c.OrigPkts != 2 || c.OrigFrameBytes != 634+442 {
		t.Errorf("fragmented datagram: %d packets, %d frame bytes, want 2, %d", c.OrigPkts, c.OrigFrameBytes, 634+442)
	}
}

func mustRun(t *testing.T, frames []frame) []Conn {
	t.Helper()
	conns, _ := runFrames(t, oneShard(), frames)
	return conns
}

// TestICMPFields checks the echo identifier and sequence number and the
// quoted datagram of ICMP errors, for ICMPv4 and ICMPv6, and that a quote
// too short for an IP header is left empty.
func TestICMPFields(t *testing.T) {
	h1, h2 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	echo := serialize(t, ethFor(h1), ipLayer(h1, h2, layers.IPProtocolICMPv4).(gopacket.SerializableLayer),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 0x1234, Seq: 7}, gopacket.Payload("ping"))
	quoted := udpFrame(t, netip.AddrPortFrom(h1, 5353), netip.AddrPortFrom(h2, 9999), "q")[14:]
	unreach := serialize(t, ethFor(h2), ipLayer(h2, h1, layers.IPProtocolICMPv4).(gopacket.SerializableLayer),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(quoted))
	short := serialize(t, ethFor(h2), ipLayer(h2, h1, layers.IPProtocolICMPv4).(gopacket.SerializableLayer),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(11, 0)}, gopacket.Payload(quoted[:12]))
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	icmp6 := func(src, dst netip.Addr, typ, code uint8, payload []byte) []byte {
		ip := ipLayer(src, dst, layers.IPProtocolICMPv6)
		m := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
		if err := m.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		return serialize(t, ethFor(src), ip.(gopacket.SerializableLayer), m, gopacket.Payload(payload))
	}
	echo6 := icmp6(v6a, v6b, 128, 0, []byte{0xab, 0xcd, 0, 3, 'x'})
	q6 := udpFrame(t, netip.AddrPortFrom(v6a, 1000), netip.AddrPortFrom(v6b, 53), "q")[14:]
	unreach6 := icmp6(v6b, v6a, 1, 4, append([]byte{0, 0, 0, 0}, q6...))
	var frames []frame
	for i, d := range [][]byte{echo, unreach, short, echo6, unreach6} {
		frames = append(frames, frame{data: d, ts: base0 + int64(i)*1e6, lt: layers.LinkTypeEthernet, num: uint64(i + 1)})
	}
	conns := mustRun(t, frames)
	if len(conns) != 5 {
		t.Fatalf("%d connections, want 5", len(conns))
	}
	wantQ := ICMPQuote{Src: h1, Dst: h2, SrcPort: 5353, DstPort: 9999, Proto: ProtoUDP}
	wantQ6 := ICMPQuote{Src: v6a, Dst: v6b, SrcPort: 1000, DstPort: 53, Proto: ProtoUDP}
	checks := []struct {
		id, seq uint16
		q       ICMPQuote
		frame   uint64
	}{
		{0x1234, 7, ICMPQuote{}, uint64(len(echo))},
		{0, 0, wantQ, uint64(len(unreach))},
		{0, 0, ICMPQuote{}, uint64(len(short))},
		{0xabcd, 3, ICMPQuote{}, uint64(len(echo6))},
		{0, 0, wantQ6, uint64(len(unreach6))},
	}
	for i, w := range checks {
		c := &conns[i]
		if c.ICMPID != w.id || c.ICMPSeq != w.seq || c.Quote != w.q || c.OrigFrameBytes != w.frame || c.Records != 1 || c.ID != uint64(i+1) {
			t.Errorf("conn %d: id %#x seq %d quote %+v frame %d records %d ID %d; want %#x %d %+v %d 1 %d",
				i, c.ICMPID, c.ICMPSeq, c.Quote, c.OrigFrameBytes, c.Records, c.ID, w.id, w.seq, w.q, w.frame, i+1)
		}
	}
	if !conns[1].Quote.Valid() || conns[2].Quote.Valid() {
		t.Error("Quote.Valid is wrong")
	}
}

// TestStatusRecordsOriginatorStart checks that a status record opened by
// a responder packet is timed from the originator's first packet in it,
// as Argus 3.0.8 prints it (lab r2l-telnet-bruteforce.pcap, port 44902:
// a record of the responder's FIN at .368451, the originator's FIN at
// .368913 and the last ACK at .368923 lasts 0.000010), and from its first
// packet when the originator sent nothing in it.
func TestStatusRecordsOriginatorStart(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:1111")
	b := netip.MustParseAddrPort("10.0.0.2:2222")
	frames := mergeFrames(
		// records [0] (0 s) and [6 (b), 6.5 (a), 7 (b)]: 7 - 6.5 = 0.5 s
		udpAt(t, a, b, 0, 6.5),
		udpAt(t, b, a, 6, 7),
		// the next record, [12 (b), 12.25 (b)], has no packet from a: 0.25 s
		udpAt(t, b, a, 12, 12.25),
	)
	c := only(t, mustRun(t, frames))
	got := [5]float64{float64(c.Records), float64(c.RecordDurSum) / 1e9, c.RecordDurSumSq,
		float64(c.RecordDurMin) / 1e9, float64(c.RecordDurMax) / 1e9}
	want := [5]float64{3, 0.75, 0.25 + 0.0625, 0, 0.5}
	for k := range got {
		if math.Abs(got[k]-want[k]) > 1e-9 {
			t.Fatalf("records (n, sum, sumsq, min, max) = %v, want %v", got, want)
		}
	}
	if c.Duration() != 12.25e9 {
		t.Errorf("duration %d, want 12.25 s", c.Duration())
	}
}
