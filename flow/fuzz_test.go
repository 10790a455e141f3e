package flow

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// fuzzLinkTypes are the link types the decoder handles; the first fuzz
// byte picks one.
var fuzzLinkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull,
	layers.LinkTypeLoop, layers.LinkTypePPP, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6,
}

// FuzzDecode decodes arbitrary bytes as each link type: no panic, and a
// decoded packet's captured payload never exceeds its announced length.
// The input is decoded twice, the second time as the next fragment of the
// same train when it is one; the reassembler starts empty for each input
// (fuzz functions must be deterministic), FuzzReassembler drives it
// further.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"public/http-get.pcap", "public/vlan-qinq.pcap", "public/linktype-sll2-suricata.pcap",
		"public/linktype-null-loopback.pcap", "public/linktype-ppp.pcap", "public/linktype-raw-ipv6.pcap",
		"public/frag-ipv4-ppa.pcap", "public/frag-ipv6.pcapng", "public/malformed-decode-too-small.pcap",
		"public/linktype-sll-tcp-nano.pcap", "public/icmp6-ping.pcap"} {
		fr, err := readFrames(pcapPath(f, name))
		if err != nil {
			f.Fatal(err)
		}
		for i, fm := range fr {
			if i >= 4 {
				break
			}
			for k, lt := range fuzzLinkTypes {
				if lt == fm.lt {
					f.Add(byte(k), fm.data)
				}
			}
		}
	}
	d, err := NewDecoder(DecoderConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		d.frags = newReassembler(DecoderConfig{}.withDefaults())
		lt := fuzzLinkTypes[int(sel)%len(fuzzLinkTypes)]
		for i := range 2 {
			var p Packet
			out := d.Decode(data, lt, int64(i)*1e9, "fuzz", 1, &p)
			if out == Decoded {
				if uint64(len(p.Payload)) > uint64(p.PayloadLen) && p.Proto != ProtoICMP && p.Proto != ProtoICMPv6 {
					t.Fatalf("payload %d captured bytes > %d announced", len(p.Payload), p.PayloadLen)
				}
				if !p.Src.IsValid() || !p.Dst.IsValid() {
					t.Fatalf("invalid addresses %v %v", p.Src, p.Dst)
				}
			}
		}
		d.FlushFragments(func(*Packet) {})
	})
}

// FuzzParseFTPLine: no panic; an announcement has a port, and a PORT or
// 227 announcement formatted again parses to the same thing.
func FuzzParseFTPLine(f *testing.F) {
	for _, s := range []string{"PORT 141,142,220,235,131,46", "227 Entering Passive Mode (199,233,217,249,221,90)",
		"229 Entering Extended Passive Mode (|||57086|)", "EPRT |2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|",
		"EPRT |1|132.235.1.2|6275|", "227 =1,2,3,4,5,6", "229 (!!!1!)", "PORT 1,2,3,4,5,", "EPRT |1||1|"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		a, ok := ParseFTPLine(line)
		if !ok {
			return
		}
		if a.Port == 0 && a.Kind != "PORT" && a.Kind != "227" {
			t.Fatalf("%q: zero port in %+v", line, a)
		}
		var again string
		switch a.Kind {
		case "PORT", "227":
			b := a.Addr.As4()
			again = fmt.Sprintf("%s %d,%d,%d,%d,%d,%d", a.Kind, b[0], b[1], b[2], b[3], a.Port>>8, a.Port&0xff)
		case "229":
			again = fmt.Sprintf("229 (|||%d|)", a.Port)
		case "EPRT":
			v := 1
			if a.Addr.Is6() {
				v = 2
			}
			addr := ""
			if a.Addr.IsValid() {
				addr = a.Addr.String()
			}
			again = fmt.Sprintf("EPRT |%d|%s|%d|", v, addr, a.Port)
		default:
			t.Fatalf("kind %q", a.Kind)
		}
		if b, ok := ParseFTPLine([]byte(again)); !ok || b != a {
			t.Fatalf("%q parsed as %+v; formatted %q parses as %+v", line, a, again, b)
		}
	})
}

// FuzzReassembler feeds a sequence of fuzzed IPv4 fragments (offset,
// length, more-fragments, train): trains 0 and 1 cut their own datagram,
// train 2 may carry garbage. No panic; a datagram rebuilt from trains 0
// or 1 carries a prefix of the original text (first bytes win, and only
// true bytes were sent); the memory accounting returns to zero once
// everything is flushed.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{0, 3, 1, 0, 3, 3, 1, 0, 6, 10, 0, 0})
	f.Add([]byte{6, 10, 0, 1, 0, 3, 1, 1, 3, 3, 1, 1})
	f.Add([]byte{0, 4, 1, 2, 2, 4, 3, 2, 5, 11, 0, 2})
	f.Add(bytes.Repeat([]byte{0, 255, 1, 0}, 40))
	text := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 3) // 108 bytes
	var dgs [3][]byte
	for i := range dgs {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(1000+i))
		dgs[i] = udpFrame(f, src, netip.MustParseAddrPort("10.0.0.2:2"), text)[14:]
	}
	cfg := DecoderConfig{FragMemory: maxDatagram}
	d, err := NewDecoder(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		d.frags = newReassembler(cfg.withDefaults()) // each input starts afresh
		d.cnt.fragTrains.Store(0)
		ts := int64(0)
		for len(ops) >= 4 {
			off, n, flags, train := int(ops[0])*8, int(ops[1])*8, ops[2], int(ops[3]%3)
			ops = ops[4:]
			payload := dgs[train][20:]
			var data []byte
			switch {
			case train == 2 && flags&2 != 0:
				data = bytes.Repeat([]byte{flags}, n)
			case off+n <= len(payload):
				data = payload[off : off+n]
			default:
				continue
			}
			frames := fragments4(dgs[train], uint16(train), piece{off: off, n: n, more: flags&1 != 0, data: data})
			ts += 1e8 * int64(flags>>4) // up to 1.5 s apart: some trains time out
			var p Packet
			if d.Decode(frames[0], layers.LinkTypeEthernet, ts, "fuzz", 1, &p) == Decoded && p.Proto == ProtoUDP &&
				(p.SrcPort == 1000 || p.SrcPort == 1001) && !bytes.HasPrefix([]byte(text), p.Payload) {
				t.Fatalf("train %d rebuilt as %q", p.SrcPort-1000, p.Payload)
			}
			d.ExpireFragments(ts, func(*Packet) {})
			if d.frags.mem < 0 || len(d.frags.trains) != int(d.cnt.fragTrains.Load()) {
				t.Fatalf("accounting: mem %d, %d trains, counter %d", d.frags.mem, len(d.frags.trains), d.cnt.fragTrains.Load())
			}
		}
		d.FlushFragments(func(*Packet) {})
		if d.frags.mem != 0 || len(d.frags.trains) != 0 || d.frags.head != nil {
			t.Fatalf("after flush: mem %d, %d trains", d.frags.mem, len(d.frags.trains))
		}
	})
}

// FuzzStream: segments of a known text, in any order, overlapping and
// cut: what the stream delivers without a gap is exactly a prefix of the
// text; with gaps, every delivered byte still comes from the text in
// order.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 5, 5, 5, 10, 5}, uint8(200))
	f.Add([]byte{10, 5, 0, 5, 5, 5, 3, 9}, uint8(200))
	f.Add([]byte{0, 3, 40, 3, 20, 3}, uint8(8))
	text := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 6))
	f.Fuzz(func(t *testing.T, ops []byte, limit uint8) {
		var s stream
		lim := int(limit) + 1
		for len(ops) >= 2 {
			off, n := int(ops[0]), int(ops[1]%32)
			ops = ops[2:]
			if off+n > len(text) {
				continue
			}
			wire := n
			if n > 0 && off%7 == 0 {
				n-- // the capture cut the last byte
			}
			s.add(uint64(off), text[off:off+n], uint64(wire), lim)
			if len(s.buf) > lim || s.pendLen < 0 {
				t.Fatalf("buf %d bytes over the cap %d (pending %d)", len(s.buf), lim, s.pendLen)
			}
		}
		s.finish(0, lim)
		if !s.gap && !bytes.HasPrefix(text, s.buf) {
			t.Fatalf("no gap but %q is not a prefix of the text", s.buf)
		}
		// With gaps, the bytes are still a subsequence of the text.
		j := 0
		for _, b := range s.buf {
			for j < len(text) && text[j] != b {
				j++
			}
			if j == len(text) {
				t.Fatalf("%q is not a subsequence of the text", s.buf)
			}
			j++
		}
	})
}
