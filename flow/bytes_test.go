package flow

import (
	"net/netip"
	"strings"
	"testing"
)

// TestBytesHTTPGet checks the one connection of http-get.pcap against
// tshark:
//
//	tshark -r http-get.pcap -T fields -e ip.src -e tcp.len | awk '{s[$1]+=$2} END {for (k in s) print k, s[k]}'
//	  141.142.228.5 136, 192.150.187.43 5007
//	tshark -r http-get.pcap -T fields -e ip.src -e ip.len | awk ...
//	  141.142.228.5 512, 192.150.187.43 5379
//	tshark -r http-get.pcap -qz conv,tcp: 7 frames each way.
func TestBytesHTTPGet(t *testing.T) {
	conns, st := run(t, oneShard(), "public/http-get.pcap")
	c := only(t, conns)
	want := Conn{
		OrigAddr: netip.MustParseAddr("141.142.228.5"), OrigPort: 59856,
		RespAddr: netip.MustParseAddr("192.150.187.43"), RespPort: 80,
		OrigBytes: 136, RespBytes: 5007, OrigIPBytes: 512, RespIPBytes: 5379, OrigPkts: 7, RespPkts: 7,
	}
	if c.OrigAddr != want.OrigAddr || c.OrigPort != want.OrigPort || c.RespAddr != want.RespAddr || c.RespPort != want.RespPort ||
		c.OrigBytes != want.OrigBytes || c.RespBytes != want.RespBytes || c.OrigIPBytes != want.OrigIPBytes ||
		c.RespIPBytes != want.RespIPBytes || c.OrigPkts != want.OrigPkts || c.RespPkts != want.RespPkts {
		t.Errorf("got  %s ip %d/%d\nwant %s ip %d/%d", connLine(&c), c.OrigIPBytes, c.RespIPBytes, connLine(&want), want.OrigIPBytes, want.RespIPBytes)
	}
	// tshark: first frame 1258314126.869344, last 1258314127.080972.
	if d := c.Duration(); d != 211628000 {
		t.Errorf("duration %d ns, want 211628000", d)
	}
	if c.Reason != Closed || c.Finish != c.End || c.File != "public/http-get.pcap" || c.FirstPacket != 1 || c.LastPacket != 14 {
		t.Errorf("reason %v finish-end %d file %q packets %d-%d", c.Reason, c.Finish-c.End, c.File, c.FirstPacket, c.LastPacket)
	}
	if st.Frames != 14 || st.Decoded != 14 || st.FlowsCreated != 1 || st.FlowsClosed != 1 || st.Emitted != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestBytesRetransmissions: tcp-retransmissions.pcapng holds the same
// 648-byte segment (seq 1) six times (tshark -T fields -e tcp.seq -e
// tcp.len); it counts once, the packets six times.
func TestBytesRetransmissions(t *testing.T) {
	conns, _ := run(t, oneShard(), "public/tcp-retransmissions.pcapng")
	c := only(t, conns)
	if c.OrigBytes != 648 || c.OrigPkts != 6 || c.RespPkts != 0 || c.OrigIPBytes != 4128 || c.History != "DT" {
		t.Errorf("got %s ip %d, want 648 bytes once in 6 packets (ip 4128), history DT", connLine(&c), c.OrigIPBytes)
	}
}

// TestBytesSequenceSpace covers wrap-around, reordering, overlaps and
// acknowledged-but-unseen data on synthetic conversations.
func TestBytesSequenceSpace(t *testing.T) {
	var isn uint32 = 0xFFFFFF00 // the stream wraps after 255 bytes
	a300 := strings.Repeat("a", 300)
	cases := []struct {
		name       string
		steps      []step
		orig, resp uint64
		history    string
	}{
		{"wrap-around", []step{
			c(syn, isn, 0, ""), s(synack, 7, isn+1, ""),
			c(pa, isn+1, 8, a300),   // crosses 2^32
			c(pa, isn+301, 8, a300), // after the wrap
			c(pa, isn+1, 8, a300),   // retransmission of the first
			s(ack, 8, isn+601, ""),  // acknowledges 600 bytes
			c(fa, isn+601, 8, ""), s(fa, 8, isn+602, ""),
		}, 600, 0, "ShDTaFf"},
		{"reordered and overlapping", []step{
			c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""),
			c(pa, 1011, 5001, "0123456789"), // bytes 10-19 first
			c(pa, 1001, 5001, "abcdefghij"), // bytes 0-9
			c(pa, 1006, 5001, "fghij01234"), // overlap 5-14
			c(pa, 1021, 5001, "xyz"),        // bytes 20-22
		}, 23, 0, "ShDT"},
		{"data acknowledged but not captured", []step{
			c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""),
			c(pa, 1001, 5001, "abc"),
			s(ack, 5001, 1501, ""), // 500 bytes acknowledged, 3 seen
		}, 500, 0, "ShDa"},
		{"forged far-away sequence numbers do not count", []step{
			c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""),
			c(pa, 1001, 5001, "abc"),
			c(pa, 1001+100<<20, 5001, "zzzz"), // 100 MiB ahead: ignored
			s(ack, 5001, 1001+200<<20, ""),    // ACK 200 MiB ahead: ignored
			c(pa, 1001-50, 5001, "old"),       // before the ISN: ignored
		}, 3, 0, "ShDa"},
		{"SYN payload and FIN octet", []step{
			c(syn, 1000, 0, "tfo"), s(synack, 5000, 1004, ""),
			c(fa, 1004, 5001, "x"), s(fa, 5001, 1006, ""), c(ack, 1006, 5002, ""),
		}, 4, 0, "ShFfA"},
		{"RST payload is not data", []step{
			c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""), c(ra, 1001, 5001, "diagnostic"),
		}, 0, 0, "ShR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns, _ := runFrames(t, oneShard(), script(t, cli, srv, tc.steps...))
			got := only(t, conns)
			if got.OrigBytes != tc.orig || got.RespBytes != tc.resp || got.History != tc.history {
				t.Errorf("bytes %d/%d history %q, want %d/%d %q", got.OrigBytes, got.RespBytes, got.History, tc.orig, tc.resp, tc.history)
			}
		})
	}
}

// TestHistoryFlags covers the multi-flag, zero-window and urgent cases.
func TestHistoryFlags(t *testing.T) {
	steps := []step{
		c(FlagSYN|FlagFIN, 1000, 0, ""), // Q: multi-flag
		s(FlagFIN|FlagRST|FlagACK, 5000, 1001, ""),
	}
	conns, _ := runFrames(t, oneShard(), script(t, cli, srv, steps...))
	if got := only(t, conns); got.History != "Qi" {
		t.Errorf("history %q, want Qi", got.History)
	}
	zw := []step{c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""), c(FlagACK|FlagURG, 1001, 5001, "u")}
	zw = append(zw, step{fromServer: true, seg: tcpSeg{flags: ack, seq: 5001, ack: 1002, zeroWin: true}, dt: 1})
	fr := script(t, cli, srv, zw...)
	conns, _ = runFrames(t, oneShard(), fr)
	got := only(t, conns)
	if got.Urgent != 1 || got.History != "ShDaw" {
		t.Errorf("urgent %d history %q, want 1 urgent packet and a zero-window w", got.Urgent, got.History)
	}
}

// TestICMPPings: icmp-5-pings.pcap gives 10 connections, one per packet,
// each of duration 0 with OrigBytes = 8-byte header + 56 data bytes
// (tshark -e ip.len: 84 = 20 + 64), no responder packets.
func TestICMPPings(t *testing.T) {
	conns, _ := run(t, oneShard(), "public/icmp-5-pings.pcap")
	if len(conns) != 10 {
		t.Fatalf("%d connections, want 10", len(conns))
	}
	req, rep := 0, 0
	for i := range conns {
		c := &conns[i]
		if c.Proto != ProtoICMP || c.State != SF || c.Duration() != 0 || c.OrigBytes != 64 || c.RespBytes != 0 ||
			c.RespPkts != 0 || c.OrigPkts != 1 || c.OrigIPBytes != 84 || c.Reason != Closed || c.ICMPCode != 0 {
			t.Errorf("conn %d: %s", i, connLine(c))
		}
		switch c.ICMPType {
		case 8:
			req++
		case 0:
			rep++
		}
		if c.FirstPacket != uint64(i+1) {
			t.Errorf("conn %d is packet %d; ICMP records must come in packet order", i, c.FirstPacket)
		}
	}
	if req != 5 || rep != 5 {
		t.Errorf("%d requests, %d replies; want 5 and 5", req, rep)
	}
}

// TestUDPFlow: dns-udp.pcap is one query and its answer (tshark -e
// udp.length: 64 and 232, i.e. 56 and 224 payload bytes).
func TestUDPFlow(t *testing.T) {
	conns, _ := run(t, oneShard(), "public/dns-udp.pcap")
	c := only(t, conns)
	if c.Proto != ProtoUDP || c.State != SF || c.OrigPort != 43966 || c.RespPort != 53 || c.OrigBytes != 56 ||
		c.RespBytes != 224 || c.OrigPkts != 1 || c.RespPkts != 1 || c.Reason != Shutdown {
		t.Errorf("got %s", connLine(&c))
	}
}

// TestLand: same address and port on both ends.
func TestLand(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.9:139")
	fr := []frame{{data: tcpFrame(t, a, a, tcpSeg{flags: syn, seq: 1}), ts: base0, lt: 1, num: 1}}
	got := only(t, runFramesNoErr(t, fr))
	if !got.Land || got.State != S0 {
		t.Errorf("land %v state %v, want a land S0", got.Land, got.State)
	}
	fr = script(t, cli, srv, c(syn, 1, 0, ""))
	if got := only(t, runFramesNoErr(t, fr)); got.Land {
		t.Error("an ordinary connection is marked land")
	}
}
