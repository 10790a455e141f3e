package flow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func newTestDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder(DecoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// convs summarizes records as "orig:port > resp:port pN o<pkts> r<pkts>",
// sorted, for comparison with tshark -qz conv,tcp / conv,udp.
func convs(conns []Conn) []string {
	var out []string
	for i := range conns {
		c := &conns[i]
		out = append(out, fmt.Sprintf("%v > %v p%d o%d r%d",
			netip.AddrPortFrom(c.OrigAddr, c.OrigPort), netip.AddrPortFrom(c.RespAddr, c.RespPort), c.Proto, c.OrigPkts, c.RespPkts))
	}
	slices.Sort(out)
	return out
}

// TestLinkTypes decodes each link type into the conversations tshark
// lists (tshark -qz conv,tcp -qz conv,udp on each file; frames per side).
func TestLinkTypes(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		// Linux SLL, nanosecond pcap: 1 + 2 frames.
		{"public/linktype-sll-tcp-nano.pcap", []string{"131.155.215.69:46656 > 137.116.81.94:80 p6 o2 r1"}},
		// Linux SLL2: 3 + 2 frames.
		{"public/linktype-sll2-suricata.pcap", []string{"192.168.1.253:56478 > 192.168.1.21:80 p6 o3 r2"}},
		// BSD null loopback, IPv6 over lo0: 9 + 11 and 2 + 2 frames.
		{"public/linktype-null-loopback.pcap", []string{
			"[::1]:58799 > [::1]:8080 p6 o9 r11", "[::1]:58806 > [::1]:8080 p6 o2 r2"}},
		{"public/trunc-snaplen256-null.pcap", []string{"[::1]:65165 > [::1]:443 p17 o9 r9"}},
		// PPP (DLT 9).
		{"public/linktype-ppp.pcap", []string{"193.167.0.252:44083 > 193.167.100.100:443 p17 o1 r0"}},
		// LINKTYPE_RAW with IPv4 and IPv6, LINKTYPE_IPV4, LINKTYPE_IPV6.
		{"public/linktype-raw-ipv4.pcap", []string{"192.168.1.100:12345 > 9.9.9.9:53 p17 o1 r0"}},
		{"public/linktype-raw-ipv6.pcap", []string{"[2001:db8::1]:12345 > [2620:fe::9]:53 p17 o1 r0"}},
		{"public/linktype-ipv4.pcap", []string{"192.168.1.100:12345 > 9.9.9.9:53 p17 o1 r0"}},
		{"public/linktype-ipv6.pcap", []string{"[2001:db8::1]:12345 > [2620:fe::9]:53 p17 o1 r0"}},
		// 802.1Q (priority tag, VLAN 0), QinQ and triple tags.
		{"public/vlan-http.pcap", []string{"141.142.228.5:59856 > 192.150.187.43:80 p6 o7 r7"}},
		{"public/vlan-qinqinq.pcap", []string{"141.142.228.5:59856 > 192.150.187.43:80 p6 o7 r7"}},
		{"public/vlan-qinq.pcap", []string{
			"172.19.51.37:47808 > 172.19.51.63:47808 p17 o2 r0", "193.1.186.60:9875 > 224.2.127.254:9875 p17 o2 r0"}},
		// IPv4 and IPv6 in one pcapng.
		{"public/http-ipv4-and-ipv6.pcapng", []string{
			"172.16.16.140:53350 > 172.16.16.139:80 p6 o6 r4", "[2001:db8:1:2::1002]:35023 > [2001:db8:1:2::1000]:80 p6 o6 r4"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			conns, _ := run(t, oneShard(), tc.file)
			if got := convs(conns); !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestVLANIDs: tshark -T fields -e vlan.id lists the tags outermost first.
func TestVLANIDs(t *testing.T) {
	cases := []struct {
		file string
		want [2]uint16
	}{
		{"public/vlan-http.pcap", [2]uint16{0, 0}},
		{"public/vlan-icmp-dot1q.pcap", [2]uint16{123, 0}},
		{"public/vlan-qinq.pcap", [2]uint16{13, 10}},
		{"public/vlan-qinqinq.pcap", [2]uint16{30, 20}}, // the third tag (10) is not kept
	}
	for _, tc := range cases {
		d := newTestDecoder(t)
		n := 0
		for _, f := range mustFrames(t, tc.file) {
			var p Packet
			if d.Decode(f.data, f.lt, f.ts, tc.file, f.num, &p) != Decoded {
				continue
			}
			n++
			if p.VLAN != tc.want {
				t.Errorf("%s packet %d: VLAN %v, want %v", tc.file, f.num, p.VLAN, tc.want)
			}
		}
		if n == 0 {
			t.Errorf("%s: nothing decoded", tc.file)
		}
	}
	// The same 5-tuple on two VLANs is two connections.
	a := tcpFrame(t, cli, srv, tcpSeg{flags: syn, seq: 1})
	b := slices.Clone(a)
	tag := func(frame []byte, id uint16) []byte {
		out := slices.Clone(frame[:12])
		out = append(out, 0x81, 0x00, byte(id>>8), byte(id))
		return append(out, frame[12:]...)
	}
	conns := runFramesNoErr(t, []frame{{data: tag(a, 5), ts: base0, lt: 1, num: 1}, {data: tag(b, 6), ts: base0 + 1, lt: 1, num: 2}})
	if len(conns) != 2 || conns[0].VLAN[0] != 5 || conns[1].VLAN[0] != 6 {
		t.Errorf("two VLANs gave:\n%s", dump(t, conns))
	}
}

// ipv6Chain builds an Ethernet frame: IPv6, then the given extension
// headers (each a next-header-less body, padded by the caller to a
// multiple of 8 with the first two bytes free), then a TCP SYN.
func ipv6Chain(t testing.TB, exts []struct {
	proto uint8
	body  []byte
}) []byte {
	t.Helper()
	tcp := tcpLayerOf(40000, 25, tcpSeg{flags: syn, seq: 7})
	seg := serializeRaw(t, tcp)
	var chain []byte
	for i, e := range exts {
		next := uint8(layers.IPProtocolTCP)
		if i+1 < len(exts) {
			next = exts[i+1].proto
		}
		h := slices.Clone(e.body)
		h[0] = next
		if e.proto != uint8(layers.IPProtocolIPv6Fragment) {
			h[1] = uint8(len(h)/8 - 1)
		}
		chain = append(chain, h...)
	}
	first := uint8(layers.IPProtocolTCP)
	if len(exts) > 0 {
		first = exts[0].proto
	}
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(chain)+len(seg)))
	ip[6] = first
	ip[7] = 64
	src, dst := netip.MustParseAddr("2001:db8::1").As16(), netip.MustParseAddr("2001:db8::2").As16()
	copy(ip[8:], src[:])
	copy(ip[24:], dst[:])
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}
	return slices.Concat(eth, ip, chain, seg)
}

// TestIPv6ExtensionHeaders: hop-by-hop, routing, destination options and an
// atomic fragment header in front of TCP are skipped and their bytes
// counted in the IP length, not in the payload.
func TestIPv6ExtensionHeaders(t *testing.T) {
	type ext = struct {
		proto uint8
		body  []byte
	}
	hbh := ext{0, []byte{0, 0, 1, 4, 0, 0, 0, 0}}                          // PadN
	rt := ext{43, []byte{0, 0, 4, 0, 0, 0, 0, 0}}                          // segment routing, 0 left
	dst := ext{60, []byte{0, 0, 1, 4, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0}} // 16 bytes
	frag := ext{44, []byte{0, 0, 0, 0, 0, 0, 0, 9}}                        // offset 0, M=0
	cases := []struct {
		name string
		exts []ext
	}{
		{"none", nil},
		{"hop-by-hop", []ext{hbh}},
		{"hop-by-hop routing destination", []ext{hbh, rt, dst}},
		{"destination atomic-fragment", []ext{dst, frag}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := ipv6Chain(t, tc.exts)
			d := newTestDecoder(t)
			var p Packet
			if out := d.Decode(data, layers.LinkTypeEthernet, base0, "x", 1, &p); out != Decoded {
				t.Fatalf("outcome %v, stats %+v", out, d.Stats())
			}
			extLen := 0
			for _, e := range tc.exts {
				extLen += len(e.body)
			}
			if p.Proto != ProtoTCP || p.SrcPort != 40000 || p.DstPort != 25 || p.Flags != FlagSYN || p.Seq != 7 ||
				p.PayloadLen != 0 || p.IPLen != uint32(40+extLen+20) || p.Src != netip.MustParseAddr("2001:db8::1") || p.TTL != 64 {
				t.Errorf("packet %+v (ext %d bytes)", p, extLen)
			}
		})
	}
}

// TestMalformed covers each malformed reason with a crafted frame, and
// the unsupported kinds.
func TestMalformed(t *testing.T) {
	good := tcpFrame(t, cli, srv, tcpSeg{flags: pa, seq: 1, ack: 1, payload: "data"}) // 14+20+20+4
	udp := udpFrame(t, cli, srv, "x")
	icmp := icmpFrame(t, cli.Addr(), srv.Addr(), 8, 0, "ping")
	mod := func(b []byte, f func([]byte)) []byte { b = slices.Clone(b); f(b); return b }
	v6 := ipv6Chain(t, []struct {
		proto uint8
		body  []byte
	}{{60, make([]byte, 16)}})
	cases := []struct {
		name string
		data []byte
		lt   layers.LinkType
		want string // Malformed reason or Unsupported kind
	}{
		{"short ethernet", good[:10], layers.LinkTypeEthernet, "link"},
		{"short sll", good[:10], layers.LinkTypeLinuxSLL, "link"},
		{"short null", good[:3], layers.LinkTypeNull, "link"},
		{"empty raw", nil, layers.LinkTypeRaw, "ip-version"},
		{"raw version 5", mod(good[14:], func(b []byte) { b[0] = 0x55 }), layers.LinkTypeRaw, "ip-version"},
		{"ethertype IPv4 carrying version 6", mod(good, func(b []byte) { b[14] = 0x65 }), layers.LinkTypeEthernet, "ip-version"},
		{"IPv4 cut in its header", good[:14+12], layers.LinkTypeEthernet, "ipv4-truncated"},
		{"IPv4 IHL 4", mod(good, func(b []byte) { b[14] = 0x44 }), layers.LinkTypeEthernet, "ipv4-invalid"},
		{"IPv4 total length 10", mod(good, func(b []byte) { binary.BigEndian.PutUint16(b[16:], 10) }), layers.LinkTypeEthernet, "ipv4-invalid"},
		{"IPv6 cut in its header", v6[:14+30], layers.LinkTypeEthernet, "ipv6-truncated"},
		{"IPv6 extension header cut", v6[:14+40+4], layers.LinkTypeEthernet, "ipv6-ext"},
		{"TCP cut in its header", good[:14+20+10], layers.LinkTypeEthernet, "tcp-truncated"},
		{"TCP data offset 3", mod(good, func(b []byte) { b[14+20+12] = 0x30 }), layers.LinkTypeEthernet, "tcp-invalid"},
		{"TCP data offset past the IP length", mod(good, func(b []byte) { b[14+20+12] = 0x70 }), layers.LinkTypeEthernet, "tcp-truncated"},
		{"IPv4 says TCP, no header", mod(good[:34], func(b []byte) { binary.BigEndian.PutUint16(b[16:], 20) }), layers.LinkTypeEthernet, "tcp-truncated"},
		{"UDP length 4", mod(udp, func(b []byte) { binary.BigEndian.PutUint16(b[14+20+4:], 4) }), layers.LinkTypeEthernet, "udp-invalid"},
		{"UDP cut", udp[:14+20+5], layers.LinkTypeEthernet, "udp-truncated"},
		{"ICMP cut", icmp[:14+20+3], layers.LinkTypeEthernet, "icmp-truncated"},
		{"ARP", mod(good, func(b []byte) { b[12], b[13] = 0x08, 0x06 }), layers.LinkTypeEthernet, "ethertype 0x0806 (ARP)"},
		{"unknown link type", good, layers.LinkType(239), "linktype 239 (UnknownLinkType)"},
		{"PPP non-IP", []byte{0xff, 0x03, 0xc0, 0x21, 1, 2, 3, 4}, layers.LinkTypePPP, "ppp protocol 0xc021"},
		{"null family 7", []byte{7, 0, 0, 0, 0x45}, layers.LinkTypeNull, "loopback family 7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(t)
			var p Packet
			out := d.Decode(tc.data, tc.lt, base0, "x", 1, &p)
			st := d.Stats()
			var got []string
			for k := range st.Malformed {
				got = append(got, k)
			}
			for k := range st.Unsupported {
				got = append(got, k)
			}
			if out == Decoded || len(got) != 1 || got[0] != tc.want {
				t.Errorf("outcome %v, counted %v, want %q", out, got, tc.want)
			}
		})
	}
	// The same frame, well formed, decodes.
	d := newTestDecoder(t)
	var p Packet
	if out := d.Decode(good, layers.LinkTypeEthernet, base0, "x", 1, &p); out != Decoded || string(p.Payload) != "data" || p.PayloadLen != 4 {
		t.Errorf("good frame: %v %+v", out, p)
	}
	// PPP and null loopback in both byte orders carry IPv4.
	for _, pre := range [][]byte{{0xff, 0x03, 0x00, 0x21}, {0x21}, {0x00, 0x21}} {
		if out := d.Decode(slices.Concat(pre, good[14:]), layers.LinkTypePPP, base0, "x", 1, &p); out != Decoded || p.DstPort != 80 {
			t.Errorf("PPP header %x: %v", pre, out)
		}
	}
	for _, pre := range [][]byte{{2, 0, 0, 0}, {0, 0, 0, 2}} {
		if out := d.Decode(slices.Concat(pre, good[14:]), layers.LinkTypeNull, base0, "x", 1, &p); out != Decoded || p.DstPort != 80 {
			t.Errorf("null header %x: %v", pre, out)
		}
	}
}

// TestTruncatedCapture: a snaplen cut keeps the header lengths but the
// captured payload is shorter (trunc-snaplen68-tcp.pcap, snaplen 68: 11
// packets cut, 1 cut inside the TCP header).
func TestTruncatedCapture(t *testing.T) {
	conns, st := run(t, oneShard(), "public/trunc-snaplen68-tcp.pcap")
	if st.Truncated != 11 || st.Malformed["tcp-truncated"] != 1 || st.Decoded != 23 {
		t.Errorf("stats truncated %d malformed %v decoded %d", st.Truncated, st.Malformed, st.Decoded)
	}
	c := only(t, conns)
	// tshark -r trunc-snaplen68-tcp.pcap -T fields -e ip.src -e tcp.len: 128
	// bytes from the client and 477 from the server (header lengths).
	if c.OrigBytes != 128 || c.RespBytes != 477 || c.RespPort != 25 || !c.ContentGaps[1] {
		t.Errorf("got %s gaps %v", connLine(&c), c.ContentGaps)
	}
}

// TestDecodeAllocs: decoding ordinary packets allocates nothing.
func TestDecodeAllocs(t *testing.T) {
	d := newTestDecoder(t)
	inputs := map[string]frame{}
	for _, name := range []string{"lab/dos-synflood.pcap", "public/http-get.pcap", "public/vlan-qinq.pcap",
		"public/icmp-5-pings.pcap", "public/linktype-null-loopback.pcap", "public/linktype-sll2-suricata.pcap",
		"public/linktype-raw-ipv6.pcap", "public/dns-udp.pcap", "public/icmp6-ping.pcap"} {
		var p Packet
		for i, f := range mustFrames(t, name) {
			if d.Decode(f.data, f.lt, f.ts, name, f.num, &p) == Decoded && (i >= 4 || f.num == 1 && name == "public/dns-udp.pcap") {
				inputs[name] = f
				break
			}
		}
	}
	inputs["ipv6 extension headers"] = frame{data: ipv6Chain(t, []struct {
		proto uint8
		body  []byte
	}{{43, make([]byte, 8)}, {60, make([]byte, 8)}}), lt: layers.LinkTypeEthernet}
	for name, f := range inputs {
		var p Packet
		if out := d.Decode(f.data, f.lt, f.ts, name, f.num, &p); out != Decoded {
			t.Fatalf("%s: %v", name, out)
		}
		if n := testing.AllocsPerRun(200, func() { d.Decode(f.data, f.lt, f.ts, name, f.num, &p) }); n != 0 {
			t.Errorf("%s: %v allocations per packet", name, n)
		}
	}
}

// TestAllPublicCaptures decodes every shared capture through a table (4
// shards) without a panic, checking that every frame is accounted for and
// every packet reaches a connection.
func TestAllPublicCaptures(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "pcaps")
	var names []string
	for _, sub := range []string{"public", "lab"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if n := e.Name(); strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") {
				names = append(names, sub+"/"+n)
			}
		}
	}
	if len(names) < 126 {
		t.Fatalf("only %d captures found", len(names))
	}
	if testing.Short() || raceEnabled {
		// The lab captures (187k packets) are decoded by other tests too;
		// under the race detector only the public ones are swept.
		names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "lab/") })
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sweepCapture(t, filepath.Join(dir, name), name)
		})
	}
}

// sweepCapture feeds one capture through a 4-shard table and checks that
// every frame and packet is accounted for.
func sweepCapture(t *testing.T, path, name string) {
	frames, err := readFrames(path)
	if err != nil {
		// The file-format edge cases are unreadable by design.
		if !strings.Contains(name, "file-") {
			t.Errorf("%s: %v", name, err)
		}
		return
	}
	conns, st := feed(t, Config{Shards: 4}, map[string][]frame{name: frames}, name)
	held := st.Fragments - st.Reassembled // upper bound of frames absorbed into datagrams
	acc := st.Decoded + st.FragmentsDropped + held
	for _, n := range st.Malformed {
		acc += n
	}
	for _, n := range st.Unsupported {
		acc += n
	}
	if st.Frames != uint64(len(frames)) || acc < st.Frames {
		t.Errorf("%s: %d frames read, stats %+v", name, len(frames), st.DecoderStats)
	}
	var pkts uint64
	for i := range conns {
		pkts += conns[i].OrigPkts + conns[i].RespPkts
	}
	if uint64(len(conns)) != st.FlowsCreated || st.FlowsActive != 0 || st.Emitted != st.FlowsCreated {
		t.Errorf("%s: %d records, stats %+v", name, len(conns), st)
	}
	if pkts < st.Decoded-st.Reassembled {
		t.Errorf("%s: %d packets in records, %d decoded", name, pkts, st.Decoded)
	}
}

var _ = gopacket.LayerTypeZero
