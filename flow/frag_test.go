package flow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// datagram4 returns an IPv4 datagram (header and payload, no link layer)
// carrying a UDP datagram with payload.
func datagram4(t testing.TB, src, dst netip.AddrPort, payload string) []byte {
	t.Helper()
	return udpFrame(t, src, dst, payload)[14:]
}

// piece is one fragment to cut: payload offset and length, and whether
// more fragments follow; data replaces the datagram's bytes when set.
type piece struct {
	off, n int
	more   bool
	data   []byte
}

// fragments4 cuts an IPv4 datagram into Ethernet frames.
func fragments4(dgram []byte, id uint16, ps ...piece) [][]byte {
	hl := int(dgram[0]&0xf) * 4
	payload := dgram[hl:]
	var out [][]byte
	for _, p := range ps {
		h := slices.Clone(dgram[:hl])
		binary.BigEndian.PutUint16(h[2:], uint16(hl+p.n))
		binary.BigEndian.PutUint16(h[4:], id)
		fo := uint16(p.off / 8)
		if p.more {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:], fo)
		data := p.data
		if data == nil {
			data = payload[p.off : p.off+p.n]
		}
		eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
		out = append(out, slices.Concat(eth, h, data))
	}
	return out
}

// fragments6 cuts the payload of an IPv6 packet (next header nh) into
// Ethernet frames with fragment headers.
func fragments6(src, dst netip.Addr, nh uint8, payload []byte, id uint32, ps ...piece) [][]byte {
	var out [][]byte
	for _, p := range ps {
		data := p.data
		if data == nil {
			data = payload[p.off : p.off+p.n]
		}
		ip := make([]byte, 48)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(8+len(data)))
		ip[6] = 44
		ip[7] = 64
		s, d := src.As16(), dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		ip[40] = nh
		fo := uint16(p.off/8) << 3
		if p.more {
			fo |= 1
		}
		binary.BigEndian.PutUint16(ip[42:], fo)
		binary.BigEndian.PutUint32(ip[44:], id)
		eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}
		out = append(out, slices.Concat(eth, ip, data))
	}
	return out
}

// asFrames stamps frames dt apart.
func asFrames(data [][]byte, dt time.Duration) []frame {
	out := make([]frame, len(data))
	for i, d := range data {
		out[i] = frame{data: d, ts: base0 + int64(i)*int64(dt), lt: layers.LinkTypeEthernet, num: uint64(i + 1)}
	}
	return out
}

func TestFragmentsIPv4(t *testing.T) {
	dns := netip.MustParseAddrPort("10.0.0.2:53")
	text := strings.Repeat("0123456789abcdef", 4) // 64 bytes: UDP payload 72 bytes with header
	dg := datagram4(t, cli, dns, text)
	udpLen := 8 + len(text)
	other := slices.Repeat([]byte{'X'}, 16)
	cases := []struct {
		name      string
		pieces    []piece
		conns     int
		wrong     uint32
		frags     uint64
		payload   uint64
		statWrong uint64
	}{
		{"in order", []piece{{0, 24, true, nil}, {24, 24, true, nil}, {48, udpLen - 48, false, nil}}, 1, 0, 3, 64, 0},
		{"reversed", []piece{{48, udpLen - 48, false, nil}, {24, 24, true, nil}, {0, 24, true, nil}}, 1, 0, 3, 64, 0},
		{"exact duplicate", []piece{{0, 24, true, nil}, {0, 24, true, nil}, {24, udpLen - 24, false, nil}}, 1, 0, 3, 64, 0},
		{"overlap with other bytes", []piece{{0, 24, true, nil}, {16, 16, true, other}, {32, udpLen - 32, false, nil}}, 1, 1, 3, 64, 1},
		// Both are wrong: the first is not a multiple of 8 bytes, the
		// second overlaps it without being a duplicate.
		{"odd length before the end", []piece{{0, 20, true, nil}, {16, udpLen - 16, false, nil}}, 1, 2, 2, 64, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns, st := runFrames(t, oneShard(), asFrames(fragments4(dg, 77, tc.pieces...), time.Millisecond))
			if len(conns) != tc.conns {
				t.Fatalf("%d connections:\n%s", len(conns), dump(t, conns))
			}
			c := conns[0]
			if c.WrongFragment != tc.wrong || c.OrigPkts != tc.frags || c.OrigBytes != tc.payload || c.RespPort != 53 ||
				st.WrongFragments != tc.statWrong || st.Reassembled != 1 || st.FragmentTrains != 0 {
				t.Errorf("got %s pkts %d, stats %+v", connLine(&c), c.OrigPkts, st.DecoderStats)
			}
		})
	}
}

func TestFragmentTimeoutAndCap(t *testing.T) {
	dns := netip.MustParseAddrPort("10.0.0.2:53")
	dg := datagram4(t, cli, dns, strings.Repeat("x", 64))
	later := udpFrame(t, netip.MustParseAddrPort("10.9.9.9:1"), netip.MustParseAddrPort("10.9.9.8:2"), "tick")

	t.Run("first fragment only: attributed at timeout", func(t *testing.T) {
		fr := asFrames(fragments4(dg, 1, piece{0, 24, true, nil}), 0)
		fr = append(fr, frame{data: later, ts: base0 + int64(31*time.Second), lt: 1, num: 2})
		conns, st := runFrames(t, oneShard(), fr)
		if len(conns) != 2 {
			t.Fatalf("%d connections:\n%s", len(conns), dump(t, conns))
		}
		var c *Conn
		for i := range conns {
			if conns[i].RespPort == 53 {
				c = &conns[i]
			}
		}
		// The summary of the first fragment: UDP header present, 16 of
		// the announced 64 payload bytes in this fragment.
		if c == nil || c.WrongFragment != 1 || c.OrigPkts != 1 || st.WrongFragments != 1 || st.WrongUnattributed != 0 || st.FragmentTrains != 0 {
			t.Errorf("conns\n%s stats %+v", dump(t, conns), st.DecoderStats)
		}
	})
	t.Run("no first fragment: unattributed", func(t *testing.T) {
		fr := asFrames(fragments4(dg, 1, piece{24, 24, true, nil}, piece{48, 24, false, nil}), 0)
		fr = append(fr, frame{data: later, ts: base0 + int64(31*time.Second), lt: 1, num: 3})
		conns, st := runFrames(t, oneShard(), fr)
		if len(conns) != 1 || st.WrongUnattributed != 1 || st.WrongFragments != 0 {
			t.Errorf("conns\n%s stats %+v", dump(t, conns), st.DecoderStats)
		}
	})
	t.Run("not yet expired at 29 s, then flushed at the end", func(t *testing.T) {
		fr := asFrames(fragments4(dg, 1, piece{0, 24, true, nil}), 0)
		fr = append(fr, frame{data: later, ts: base0 + int64(29*time.Second), lt: 1, num: 2})
		conns, st := runFrames(t, oneShard(), fr)
		if len(conns) != 2 || st.WrongFragments != 1 {
			t.Errorf("conns\n%s stats %+v", dump(t, conns), st.DecoderStats)
		}
	})
	t.Run("memory cap drops the oldest trains", func(t *testing.T) {
		cfg := oneShard()
		cfg.Decoder.FragMemory = maxDatagram
		big := datagram4(t, cli, dns, strings.Repeat("y", 30000))
		var data [][]byte
		for id := range uint16(5) {
			data = append(data, fragments4(big, id, piece{0, 14000, true, nil})...)
		}
		_, st := runFrames(t, cfg, asFrames(data, time.Millisecond))
		if st.FragmentsDropped == 0 || st.FragmentsDropped+uint64(st.WrongFragments)+st.WrongUnattributed < 5 {
			t.Errorf("stats %+v", st.DecoderStats)
		}
	})
}

// TestPingOfDeath: an ICMP echo whose fragments reach past 65535 bytes is
// one connection with wrong_fragment 1 and the first fragment's 1480
// ICMP bytes, as KDD's pod rows (src_bytes 1480, wrong_fragment 1).
func TestPingOfDeath(t *testing.T) {
	icmp := icmpFrame(t, cli.Addr(), srv.Addr(), 8, 0, strings.Repeat("p", 1472))[14:] // 20 + 8 + 1472
	var ps []piece
	for off := 0; off < 65536; off += 1480 {
		ps = append(ps, piece{off, 1480, off+1480 < 65536, make([]byte, 1480)})
	}
	ps[0].data = icmp[20:1500]
	conns, st := runFrames(t, oneShard(), asFrames(fragments4(icmp, 9, ps...), time.Microsecond))
	c := only(t, conns)
	if c.Proto != ProtoICMP || c.ICMPType != 8 || c.WrongFragment != 1 || c.OrigBytes != 1480 || c.OrigPkts != uint64(len(ps)) || st.WrongFragments != 1 {
		t.Errorf("got %s pkts %d stats %+v", connLine(&c), c.OrigPkts, st.DecoderStats)
	}
}

func TestFragmentsIPv6(t *testing.T) {
	src, dst := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	udp := udpFrame(t, netip.AddrPortFrom(src, 5353), netip.AddrPortFrom(dst, 53), strings.Repeat("z", 100))[14+40:]
	conns, st := runFrames(t, oneShard(), asFrames(fragments6(src, dst, 17, udp, 42,
		piece{56, len(udp) - 56, false, nil}, piece{0, 56, true, nil}), time.Millisecond))
	c := only(t, conns)
	if c.Proto != ProtoUDP || c.OrigBytes != 100 || c.OrigPkts != 2 || c.RespPort != 53 || c.OrigIPBytes != uint64(2*48+len(udp)) || st.Reassembled != 1 {
		t.Errorf("got %s ip %d stats %+v", connLine(&c), c.OrigIPBytes, st.DecoderStats)
	}
}

// TestFragmentsRealCaptures compares with tshark's reassembly.
func TestFragmentsRealCaptures(t *testing.T) {
	t.Run("frag-ipv4-ppa", func(t *testing.T) {
		// tshark -o ip.defragment:FALSE -e ip.len: 1500, 1500, 140 per echo;
		// reassembled ICMP length 3080 (8 + 3072 data), 4 requests, 4 replies.
		conns, st := run(t, oneShard(), "public/frag-ipv4-ppa.pcap")
		if len(conns) != 8 || st.Reassembled != 8 || st.Fragments != 24 {
			t.Fatalf("%d conns stats %+v", len(conns), st.DecoderStats)
		}
		for i := range conns {
			c := &conns[i]
			if c.OrigBytes != 3080 || c.OrigPkts != 3 || c.OrigIPBytes != 3140 || c.WrongFragment != 0 {
				t.Errorf("got %s ip %d", connLine(c), c.OrigIPBytes)
			}
		}
	})
	t.Run("frag-ipv4-syn", func(t *testing.T) {
		// The TCP header is split: 24 bytes then 16 (tshark: ip.len 44 and
		// 36, offset 0 and 3*8); reassembled it is a SYN to port 80.
		conns, _ := run(t, oneShard(), "public/frag-ipv4-syn.pcap")
		c := only(t, conns)
		if c.State != S0 || c.RespPort != 80 || c.OrigPort != 12345 || c.OrigPkts != 2 || c.History != "S" {
			t.Errorf("got %s", connLine(&c))
		}
	})
	t.Run("frag-ipv6.pcapng", func(t *testing.T) {
		// 10 echoes in two fragments each (payload 1448 + 60 = 1508 ICMPv6
		// bytes), plus 2 unfragmented neighbor discovery messages.
		conns, st := run(t, oneShard(), "public/frag-ipv6.pcapng")
		n := 0
		for i := range conns {
			if conns[i].OrigPkts == 2 && conns[i].OrigBytes == 1508 && conns[i].Proto == ProtoICMPv6 {
				n++
			}
		}
		if len(conns) != 12 || n != 10 || st.Reassembled != 10 {
			t.Errorf("%d conns, %d full echoes, stats %+v\n%s", len(conns), n, st.DecoderStats, dump(t, conns))
		}
	})
	t.Run("conversations as tshark reassembles them", func(t *testing.T) {
		// tshark -r FILE -qz conv,tcp -qz conv,udp (with reassembly).
		for file, want := range map[string][]string{
			"public/frag-ipv4-1.pcap":       {"164.1.123.163:123 > 164.1.123.61:137 p17"},
			"public/frag-ipv4-garbage.pcap": {"10.0.0.2:18730 > 10.128.0.2:20304 p6", "10.0.0.2:9253 > 10.128.0.2:24102 p6"},
			"public/frag-ipv4-syn.pcap":     {"192.168.1.100:12345 > 10.0.0.5:80 p6"},
			"public/frag-ipv6-dns.pcap": {"[2001:470:1f11:81f:d138:5f55:6d4:1fe2]:51850 > [2607:f740:b::f93]:53 p17",
				"[2001:470:1f11:81f:d138:5f55:6d4:1fe2]:51851 > [2607:f740:b::f93]:53 p17"},
		} {
			conns, _ := run(t, oneShard(), file)
			var got []string
			for i := range conns {
				c := &conns[i]
				got = append(got, fmt.Sprintf("%v > %v p%d", netip.AddrPortFrom(c.OrigAddr, c.OrigPort), netip.AddrPortFrom(c.RespAddr, c.RespPort), c.Proto))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", file, got, want)
			}
		}
	})
	t.Run("frag-ipv6-dns", func(t *testing.T) {
		// tshark: fragment id 2 (frames 6-8) reassembles into a 3238-byte
		// UDP answer; id 1 is a lone last fragment (unattributable).
		conns, st := run(t, oneShard(), "public/frag-ipv6-dns.pcap")
		if len(conns) != 2 || st.Reassembled != 1 || st.WrongUnattributed != 1 {
			t.Fatalf("conns\n%s stats %+v", dump(t, conns), st.DecoderStats)
		}
		for i := range conns {
			if conns[i].OrigPort == 51851 && (conns[i].RespBytes != 3230 || conns[i].RespPkts != 3) {
				t.Errorf("got %s", connLine(&conns[i]))
			}
		}
	})
}
