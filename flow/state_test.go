package flow

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

const (
	syn    = FlagSYN
	synack = FlagSYN | FlagACK
	ack    = FlagACK
	pa     = FlagPSH | FlagACK
	fa     = FlagFIN | FlagACK
	rst    = FlagRST
	ra     = FlagRST | FlagACK
)

// handshake is SYN (ISN 1000), SYN-ACK (ISN 5000), ACK.
func handshake() []step {
	return []step{c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""), c(ack, 1001, 5001, "")}
}

func seq(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestStateTable drives one synthetic conversation per state of the
// transition table and checks state, history, reason and byte counts.
func TestStateTable(t *testing.T) {
	data := []step{c(pa, 1001, 5001, "hello"), s(pa, 5001, 1006, "world!!")}
	cases := []struct {
		name    string
		steps   []step
		state   State
		history string
		reason  Reason
		orig    uint64 // OrigBytes
		resp    uint64 // RespBytes
	}{
		{"S0 lone SYN", []step{c(syn, 1000, 0, "")}, S0, "S", Shutdown, 0, 0},
		{"S0 retransmitted SYN", []step{c(syn, 1000, 0, ""), c(syn, 1000, 0, "")}, S0, "S", Shutdown, 0, 0},
		{"REJ", []step{c(syn, 1000, 0, ""), s(ra, 0, 1001, "")}, REJ, "Sr", Closed, 0, 0},
		{"RSTOS0", []step{c(syn, 1000, 0, ""), c(rst, 1001, 0, "")}, RSTOS0, "SR", Closed, 0, 0},
		{"RSTO after SYN-ACK (neptune, nmap -sS)", []step{c(syn, 1000, 0, ""), s(synack, 5000, 1001, ""), c(rst, 1001, 0, "")}, RSTO, "ShR", Closed, 0, 0},
		{"RSTO after data", seq(handshake(), data, []step{c(ra, 1006, 5008, "")}), RSTO, "ShADdR", Closed, 5, 7},
		{"RSTR", seq(handshake(), data, []step{s(ra, 5008, 1006, "")}), RSTR, "ShADdr", Closed, 5, 7},
		{"SH", []step{c(syn, 1000, 0, ""), c(fa, 1001, 0, "")}, SH, "SF", Shutdown, 0, 0},
		{"SF", seq(handshake(), data, []step{c(fa, 1006, 5008, ""), s(fa, 5008, 1007, ""), c(ack, 1007, 5009, "")}), SF, "ShADdFf", Closed, 5, 7},
		{"S1 handshake only", handshake(), S1, "ShA", Shutdown, 0, 0},
		{"S1 with data", seq(handshake(), data), S1, "ShADd", Shutdown, 5, 7},
		{"S1 SYN/SYN-ACK without ACK", []step{c(syn, 1000, 0, ""), s(synack, 5000, 1001, "")}, S1, "Sh", Shutdown, 0, 0},
		{"S2", seq(handshake(), data, []step{c(fa, 1006, 5008, "")}), S2, "ShADdF", Shutdown, 5, 7},
		{"S3", seq(handshake(), data, []step{s(fa, 5008, 1006, "")}), S3, "ShADdf", Shutdown, 5, 7},
		// The SYN-ACK comes first from port 80, a likely server port: the
		// other side is the originator (flipped, '^').
		{"RSTRH", []step{s(synack, 5000, 1001, ""), s(rst, 5001, 0, "")}, RSTRH, "^hr", Closed, 0, 0},
		{"SHR", []step{s(synack, 5000, 1001, ""), s(fa, 5001, 1001, "")}, SHR, "^hf", Shutdown, 0, 0},
		{"OTH mid-stream", []step{c(pa, 1001, 5001, "hello"), s(ack, 5001, 1006, "")}, OTH, "Da", Shutdown, 5, 0},
		{"OTH mid-stream both FIN", []step{c(pa, 1001, 5001, "hi"), s(fa, 5001, 1003, ""), c(fa, 1003, 5002, "")}, OTH, "DfF", Closed, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conns, _ := runFrames(t, oneShard(), script(t, cli, srv, tc.steps...))
			got := only(t, conns)
			if got.State != tc.state || got.History != tc.history || got.Reason != tc.reason ||
				got.OrigBytes != tc.orig || got.RespBytes != tc.resp {
				t.Errorf("got %v %q %v bytes %d/%d, want %v %q %v bytes %d/%d",
					got.State, got.History, got.Reason, got.OrigBytes, got.RespBytes,
					tc.state, tc.history, tc.reason, tc.orig, tc.resp)
			}
			if got.OrigAddr != cli.Addr() || got.OrigPort != cli.Port() || got.RespAddr != srv.Addr() || got.RespPort != srv.Port() {
				t.Errorf("originator %v:%d -> %v:%d, want the client %v -> %v", got.OrigAddr, got.OrigPort, got.RespAddr, got.RespPort, cli, srv)
			}
		})
	}
}

// TestTCPStateFunction checks the pure state function on fact sets,
// including the precedence rules (responder RST before originator RST,
// RST before FIN).
func TestTCPStateFunction(t *testing.T) {
	cases := []struct {
		facts    uint16
		respSent bool
		want     State
	}{
		{factOrigSyn, false, S0},
		{factOrigSyn, true, OTH}, // the responder sent something, but no SYN-ACK or RST
		{factOrigSyn | factRespRst, true, REJ},
		{factOrigSyn | factOrigRst, false, RSTOS0},
		{factOrigSyn | factOrigFin, false, SH},
		{factOrigSyn | factRespSynAck, true, S1},
		{factOrigSyn | factRespSynAck | factOrigFin, true, S2},
		{factOrigSyn | factRespSynAck | factRespFin, true, S3},
		{factOrigSyn | factRespSynAck | factOrigFin | factRespFin, true, SF},
		{factOrigSyn | factRespSynAck | factOrigRst, true, RSTO},
		{factOrigSyn | factRespSynAck | factRespRst, true, RSTR},
		{factOrigSyn | factRespSynAck | factRespRst | factOrigRst, true, RSTR},
		{factOrigSyn | factRespSynAck | factOrigFin | factRespFin | factOrigRst, true, RSTO},
		{factRespSynAck | factRespRst, true, RSTRH},
		{factRespSynAck | factRespRst | factOrigFin, true, RSTR},
		{factRespSynAck | factOrigRst, true, RSTO},
		{factRespSynAck | factRespFin, true, SHR},
		{factRespSynAck | factRespFin | factOrigFin, true, OTH}, // tcp-missing-syn.pcap
		{factRespSynAck, true, OTH},
		{factOrigSynAck, false, OTH},
		{factOrigSynAck | factRespRst, true, OTH},
		{0, true, OTH},
		{factOrigFin | factRespFin, true, OTH},
	}
	for _, tc := range cases {
		if got := tcpState(tc.facts, tc.respSent); got != tc.want {
			t.Errorf("tcpState(%#x, %v) = %v, want %v", tc.facts, tc.respSent, got, tc.want)
		}
	}
}

// TestOriginatorRule checks Zeek's rule for a first packet that is not a
// bare SYN.
func TestOriginatorRule(t *testing.T) {
	hi := netip.MustParseAddrPort("10.0.0.2:40001")
	https := netip.MustParseAddrPort("10.0.0.1:443")
	cases := []struct {
		name     string
		from, to netip.AddrPort
		seg      tcpSeg
		wantOrig netip.AddrPort
	}{
		{"SYN-ACK from a server port: flipped", srv, cli, tcpSeg{flags: synack, seq: 1, ack: 2}, cli},
		{"SYN-ACK between two high ports: sender stays originator", hi, cli, tcpSeg{flags: synack, seq: 1, ack: 2}, hi},
		{"SYN-ACK between two server ports: not flipped", srv, https, tcpSeg{flags: synack, seq: 1, ack: 2}, srv},
		{"ACK between two server ports from the lower: flipped", srv, https, tcpSeg{flags: ack, seq: 1, ack: 2}, https},
		{"ACK between two server ports from the higher: kept", https, srv, tcpSeg{flags: ack, seq: 1, ack: 2}, https},
		{"data from a server port: flipped", srv, cli, tcpSeg{flags: pa, seq: 1, ack: 2, payload: "x"}, cli},
		{"data to a server port: kept", cli, srv, tcpSeg{flags: pa, seq: 1, ack: 2, payload: "x"}, cli},
		{"bare SYN from a server port: kept", srv, cli, tcpSeg{flags: syn, seq: 1}, srv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fr := []frame{{data: tcpFrame(t, tc.from, tc.to, tc.seg), ts: base0, lt: 1, num: 1}}
			got := only(t, runFramesNoErr(t, fr))
			if o := netip.AddrPortFrom(got.OrigAddr, got.OrigPort); o != tc.wantOrig {
				t.Errorf("originator %v, want %v (history %q)", o, tc.wantOrig, got.History)
			}
		})
	}
}

func runFramesNoErr(t testing.TB, fr []frame) []Conn {
	t.Helper()
	conns, _ := runFrames(t, oneShard(), fr)
	return conns
}

// TestStatesRealCaptures checks the state counts of real captures against
// what tshark shows in them (commands in the comments).
func TestStatesRealCaptures(t *testing.T) {
	cases := []struct {
		file string
		want map[string]int // "proto state" -> count
	}{
		// tshark -r http-get.pcap: one complete HTTP/1.1 GET with FIN from both.
		{"public/http-get.pcap", map[string]int{"6 SF": 1}},
		// tshark -r tcp-refused.pcapng: SYN, then RST/ACK from the server.
		{"public/tcp-refused.pcapng", map[string]int{"6 REJ": 1}},
		// tshark -r tcp-syn-then-rst.pcap: SYN then RST, both from 1.1.1.1.
		{"public/tcp-syn-then-rst.pcap", map[string]int{"6 RSTOS0": 1}},
		// tshark -r tcp-missing-syn.pcap: starts at the server's SYN-ACK; data, FIN from both.
		{"public/tcp-missing-syn.pcap", map[string]int{"6 OTH": 1}},
		// README table: 1024 SYNs, 5 SYN-ACKs (ports 21 22 23 53 80, answered by
		// nmap with RST), 1019 RST/ACKs from closed ports.
		{"lab/probe-nmap-syn.pcap", map[string]int{"6 RSTO": 5, "6 REJ": 1019}},
		// hping3: every SYN answered by SYN-ACK, which the attacker kernel RSTs.
		{"lab/dos-synflood.pcap", map[string]int{"6 RSTO": 20000}},
		// tshark -r attack-dos-ppa.pcap -Y "tcp.flags==0x002" | wc -l: 100 lone SYNs.
		{"public/attack-dos-ppa.pcap", map[string]int{"6 S0": 100}},
		// vsftpd closes after 3 failures with RST (8 conns) or FIN (4 conns).
		{"lab/r2l-ftp-bruteforce.pcap", map[string]int{"6 RSTR": 8, "6 SF": 4}},
		// tshark -r ipv6-tcp-smtp.pcap: handshake and data, no FIN.
		{"public/ipv6-tcp-smtp.pcap", map[string]int{"6 S1": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			conns, _ := run(t, oneShard(), tc.file)
			got := map[string]int{}
			for i := range conns {
				got[fmt.Sprintf("%d %v", conns[i].Proto, conns[i].State)]++
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("states %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNmapSynOpenPorts checks that the RSTO connections of the SYN scan
// are exactly the five open ports.
func TestNmapSynOpenPorts(t *testing.T) {
	conns, _ := run(t, oneShard(), "lab/probe-nmap-syn.pcap")
	var open []uint16
	for i := range conns {
		if conns[i].State == RSTO {
			open = append(open, conns[i].RespPort)
			if h := conns[i].History; h != "ShR" {
				t.Errorf("port %d history %q, want ShR", conns[i].RespPort, h)
			}
		}
	}
	slices.Sort(open)
	if fmt.Sprint(open) != "[21 22 23 53 80]" {
		t.Errorf("open ports %v, want [21 22 23 53 80]", open)
	}
}
