package flow

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestParseFTPLine(t *testing.T) {
	cases := []struct {
		line string
		want string // "" when not an announcement
	}{
		{"PORT 141,142,220,235,131,46", "PORT 141.142.220.235:33582"},
		{"port 10,0,0,1,0,21", "PORT 10.0.0.1:21"},
		{"PORT 141,142,220,235,131", ""},
		{"PORT 141,142,220,256,131,46", ""},
		{"PORT 1,2,3,4,5,6,7", "PORT 1.2.3.4:1286"}, // trailing garbage after six numbers is ignored
		{"PORT ,1,2,3,4,5", ""},
		{"PORT 123456,1,2,3,4,5", ""},
		{"227 Entering Passive Mode (199,233,217,249,221,90)", "227 199.233.217.249:56666"},
		{"227 Entering Passive Mode (199,233,217,249,221,90).", "227 199.233.217.249:56666"},
		{"227 =10,1,2,3,4,5", "227 10.1.2.3:1029"},
		{"227-multi line 1,2,3,4,5,6", "227 1.2.3.4:1286"},
		{"2270 (1,2,3,4,5,6)", ""},
		{"227 Entering Passive Mode", ""},
		{"229 Entering Extended Passive Mode (|||57086|)", "229 any:57086"},
		{"229 Entering Extended Passive Mode (!!!6446!)", "229 any:6446"},
		{"229 Entering Extended Passive Mode (|||0|)", ""},
		{"229 Entering Extended Passive Mode (|||70000|)", ""},
		{"229 Entering Extended Passive Mode (||57086|)", ""},
		{"229 (|||123", ""},
		{"EPRT |2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|", "EPRT [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49189"},
		{"EPRT |1|132.235.1.2|6275|", "EPRT 132.235.1.2:6275"},
		{"EPRT |1|::1|6275|", ""},
		{"EPRT |2|132.235.1.2|6275|", ""},
		{"EPRT |3|132.235.1.2|6275|", ""},
		{"EPRT |1|132.235.1.2|6275", ""},
		{"EPRT |1||6275|", "EPRT any:6275"},
		{"EPRT |1|fe80::1%eth0|6275|", ""},
		{"USER anonymous", ""},
		{"230 Login successful.", ""},
		{"", ""},
	}
	for _, tc := range cases {
		a, ok := ParseFTPLine([]byte(tc.line))
		got := ""
		if ok {
			got = fmt.Sprintf("%s %v", a.Kind, netip.AddrPortFrom(a.Addr, a.Port))
			if !a.Addr.IsValid() {
				got = fmt.Sprintf("%s any:%d", a.Kind, a.Port)
			}
		}
		if got != tc.want {
			t.Errorf("ParseFTPLine(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// ftpDataPorts returns the sorted responder ports of the FTP data
// connections and the number of other connections.
func ftpDataPorts(conns []Conn) (ports []uint16, others int) {
	for i := range conns {
		if conns[i].FTPData {
			ports = append(ports, conns[i].RespPort)
		} else {
			others++
		}
	}
	slices.Sort(ports)
	return ports, others
}

// TestFTPDataIPv4: ftp-ipv4.pcap announces two passive data connections
// (227 replies: 199.233.217.249 ports 221*256+90 = 56666 and 56667) and two
// active ones (PORT 141,142,220,235,131,46 = 33582 and ...,147,203 = 37835),
// per tshark -Y "ftp.request.command==PORT || ftp.response.code==227".
func TestFTPDataIPv4(t *testing.T) {
	conns, st := run(t, oneShard(), "public/ftp-ipv4.pcap")
	ports, others := ftpDataPorts(conns)
	if fmt.Sprint(ports) != "[33582 37835 56666 56667]" || others != 1 {
		t.Errorf("ftp-data ports %v and %d others, want [33582 37835 56666 56667] and the control connection\n%s", ports, others, dump(t, conns))
	}
	for i := range conns {
		c := &conns[i]
		if c.FTPData && c.RespPort < 40000 && c.OrigPort != 20 && c.OrigAddr != netip.MustParseAddr("199.233.217.249") {
			t.Errorf("active-mode data connection not from the server: %s", connLine(c))
		}
	}
	if st.FTPExpectations != 4 || st.FTPData != 4 {
		t.Errorf("expectations %d, ftp data %d; want 4 and 4", st.FTPExpectations, st.FTPData)
	}
}

// TestFTPDataIPv6: ftp-ipv6.pcap has three EPSV data connections (229
// replies, ports 57086-57088) and two EPRT ones (ports 49189, 49190).
func TestFTPDataIPv6(t *testing.T) {
	conns, _ := run(t, oneShard(), "public/ftp-ipv6.pcap")
	ports, others := ftpDataPorts(conns)
	if fmt.Sprint(ports) != "[49189 49190 57086 57087 57088]" || others != 1 {
		t.Errorf("ftp-data ports %v and %d others\n%s", ports, others, dump(t, conns))
	}
}

// TestFTPBruteforce: hydra's 30 guesses over 12 control connections; no
// data connection; every PASS answered by 530 (tshark -Y
// "ftp.response.code==530" | wc -l: 30), visible in the content.
func TestFTPBruteforce(t *testing.T) {
	conns, st := run(t, oneShard(), "lab/r2l-ftp-bruteforce.pcap")
	ports, others := ftpDataPorts(conns)
	if len(ports) != 0 || others != 12 || st.FTPExpectations != 0 {
		t.Errorf("ftp-data %v, %d control connections, %d expectations", ports, others, st.FTPExpectations)
	}
	n530, pass := 0, 0
	for i := range conns {
		n530 += bytes.Count(conns[i].Content[1], []byte("\n530 "))
		if bytes.HasPrefix(conns[i].Content[1], []byte("530 ")) {
			n530++
		}
		pass += bytes.Count(conns[i].Content[0], []byte("PASS "))
	}
	if n530 != 30 || pass != 30 {
		t.Errorf("%d 530 replies and %d PASS commands, want 30 and 30", n530, pass)
	}
}

// TestFTPRegistry checks matching rules: the expected originator, expiry,
// consumption, the SYN-ACK fallback and lines split across segments.
func TestFTPRegistry(t *testing.T) {
	server := netip.MustParseAddrPort("10.0.0.2:21")
	client := netip.MustParseAddrPort("10.0.0.1:5000")
	data := netip.MustParseAddrPort("10.0.0.2:6000")
	other := netip.MustParseAddr("10.0.0.3")
	const sec = int64(time.Second)
	reply := func(r *ftpRegistry, text string, ts int64) int {
		p := &Packet{Time: ts, Src: server.Addr(), Dst: client.Addr(), SrcPort: 21, DstPort: client.Port(), Payload: []byte(text)}
		return r.observe(p)
	}
	syn := func(from netip.Addr, to netip.AddrPort, ts int64) *Packet {
		return &Packet{Time: ts, Src: from, Dst: to.Addr(), SrcPort: 7000, DstPort: to.Port(), Flags: FlagSYN}
	}
	pasv := "227 Entering Passive Mode (10,0,0,2,23,112)\r\n"

	r := newFTPRegistry(60 * sec)
	if n := reply(r, pasv, 0); n != 1 {
		t.Fatalf("registered %d", n)
	}
	if r.match(syn(other, data, sec)) {
		t.Error("matched a SYN from a third host")
	}
	if !r.match(syn(client.Addr(), data, sec)) {
		t.Error("did not match the client's SYN")
	}
	if r.match(syn(client.Addr(), data, sec)) {
		t.Error("an expectation matched twice")
	}

	r = newFTPRegistry(60 * sec)
	reply(r, pasv, 0)
	if r.match(syn(client.Addr(), data, 61*sec)) {
		t.Error("matched after expiry")
	}

	r = newFTPRegistry(60 * sec)
	reply(r, pasv, 0)
	sa := &Packet{Time: sec, Src: data.Addr(), Dst: client.Addr(), SrcPort: data.Port(), DstPort: 7000, Flags: FlagSYN | FlagACK}
	if !r.match(sa) {
		t.Error("the SYN-ACK of an announced connection did not match")
	}

	r = newFTPRegistry(60 * sec)
	if n := reply(r, "227 Entering Passive Mode (10,0,0,2,23,112)", 0); n != 0 {
		t.Error("a line without its end was parsed")
	}
	if n := reply(r, "150 ok\r\n227 Entering Passive Mode (10,0,0,2,23,112)\r\n226 done\r\n", 0); n != 1 {
		t.Errorf("multi-line segment registered %d", n)
	}
	// A PORT command sent by the server is not an announcement.
	if n := reply(r, "PORT 10,0,0,1,1,1\r\n", 0); n != 0 {
		t.Error("a PORT from the server was accepted")
	}
	r.max = 1
	if n := reply(r, "227 Entering Passive Mode (10,0,0,2,23,113)\r\n", 0); n != 0 || len(r.m) != 1 {
		t.Errorf("registry grew past its bound: %d entries", len(r.m))
	}
}
