package features

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnids/cnids/flow"
)

// arffServices reads the service vocabulary from the dataset's ARFF
// header.
func arffServices(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(kxSharedDir(t), "datasets", "nsl-kdd", "KDDTrain+_20Percent.arff.gz")
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "@attribute 'service'") {
			continue
		}
		l = l[strings.IndexByte(l, '{')+1 : strings.LastIndexByte(l, '}')]
		var out []string
		for _, f := range strings.Split(l, ",") {
			out = append(out, strings.Trim(strings.TrimSpace(f), "'"))
		}
		return out
	}
	t.Fatalf("%s: no service attribute", path)
	return nil
}

func TestKDDServicesMatchARFF(t *testing.T) {
	got := KDDServices()
	want := arffServices(t)
	if !slices.Equal(got, want) {
		t.Fatalf("KDDServices differs from the ARFF header:\n got %v\nwant %v", got, want)
	}
	if len(got) != NumKDDServices {
		t.Fatalf("%d services", len(got))
	}
	got[0] = "changed"
	if KDDServices()[0] != "aol" {
		t.Error("KDDServices returns shared storage")
	}
	for i, n := range want {
		if KDDServiceIndex(n) != i || Service(i).String() != n {
			t.Errorf("%q: index %d, String %q", n, KDDServiceIndex(n), Service(i).String())
		}
	}
	if KDDServiceIndex("oth_i") != -1 || Service(200).String() != "other" {
		t.Error("unknown service handling")
	}
	named := map[Service]string{
		SvcAuth: "auth", SvcDomain: "domain", SvcDomainU: "domain_u", SvcEcoI: "eco_i", SvcEcrI: "ecr_i",
		SvcExec: "exec", SvcFTP: "ftp", SvcFTPData: "ftp_data", SvcHTTP: "http", SvcHTTP2784: "http_2784",
		SvcHTTP443: "http_443", SvcHTTP8001: "http_8001", SvcIMAP4: "imap4", SvcLogin: "login", SvcOther: "other",
		SvcPmDump: "pm_dump", SvcPOP2: "pop_2", SvcPOP3: "pop_3", SvcPrivate: "private", SvcRedI: "red_i",
		SvcShell: "shell", SvcSMTP: "smtp", SvcSunRPC: "sunrpc", SvcTelnet: "telnet", SvcTimI: "tim_i",
		SvcUrhI: "urh_i", SvcUrpI: "urp_i",
	}
	for s, n := range named {
		if s.String() != n {
			t.Errorf("constant %d is %q, want %q", s, s.String(), n)
		}
	}
}

func conn(proto uint8, sport, dport uint16) *flow.Conn {
	return &flow.Conn{Proto: proto, OrigPort: sport, RespPort: dport}
}

// TestServiceTable checks the documented port table entry by entry.
func TestServiceTable(t *testing.T) {
	tcp := map[uint16]string{
		5: "rje", 7: "echo", 9: "discard", 11: "systat", 13: "daytime", 15: "netstat", 20: "ftp_data", 21: "ftp",
		22: "ssh", 23: "telnet", 25: "smtp", 37: "time", 42: "name", 43: "whois", 53: "domain", 57: "mtp",
		66: "sql_net", 70: "gopher", 71: "remote_job", 74: "remote_job", 79: "finger", 80: "http", 84: "ctf",
		95: "supdup", 101: "hostnames", 102: "iso_tsap", 105: "csnet_ns", 109: "pop_2", 110: "pop_3",
		111: "sunrpc", 113: "auth", 117: "uucp_path", 119: "nntp", 137: "netbios_ns", 138: "netbios_dgm",
		139: "netbios_ssn", 143: "imap4", 150: "sql_net", 175: "vmnet", 179: "bgp", 194: "IRC", 210: "Z39_50",
		245: "link", 389: "ldap", 433: "nnsp", 443: "http_443", 512: "exec", 513: "login", 514: "shell",
		515: "printer", 520: "efs", 530: "courier", 540: "uucp", 543: "klogin", 544: "kshell",
		2784: "http_2784", 5190: "aol", 6000: "X11", 6063: "X11", 6667: "IRC", 8001: "http_8001",
		// Unnamed: private below 1024, other from 1024.
		0: "private", 1: "private", 123: "private", 161: "private", 1023: "private", 1024: "other",
		5999: "other", 6064: "other", 8080: "other", 65535: "other",
	}
	for p, want := range tcp {
		if got := ServiceOf(conn(flow.ProtoTCP, 40000, p)); got != want {
			t.Errorf("tcp/%d = %q, want %q", p, got, want)
		}
	}
	udp := map[uint16]string{53: "domain_u", 69: "tftp_u", 123: "ntp_u", 137: "private", 161: "private",
		7: "private", 1023: "private", 1024: "other", 5353: "other", 9999: "other"}
	for p, want := range udp {
		if got := ServiceOf(conn(flow.ProtoUDP, 40000, p)); got != want {
			t.Errorf("udp/%d = %q, want %q", p, got, want)
		}
	}
	// FTP data: announced, or from port 20 (active mode).
	c := conn(flow.ProtoTCP, 40000, 50123)
	c.FTPData = true
	if ServiceOf(c) != "ftp_data" {
		t.Errorf("announced data connection: %q", ServiceOf(c))
	}
	if got := ServiceOf(conn(flow.ProtoTCP, 20, 50123)); got != "ftp_data" {
		t.Errorf("active-mode data connection: %q", got)
	}
	if got := ServiceOf(conn(flow.ProtoUDP, 20, 50123)); got != "other" {
		t.Errorf("udp from port 20: %q", got)
	}
	// Other IP protocols have no port: other.
	if got := ServiceOf(&flow.Conn{Proto: 47}); got != "other" {
		t.Errorf("GRE: %q", got)
	}
}

func TestServicePmDump(t *testing.T) {
	call := func(prog, vers, proc uint32) []byte {
		b := make([]byte, 40)
		be := binary.BigEndian
		be.PutUint32(b[0:], 0x80000000|36) // record mark
		be.PutUint32(b[4:], 0x1234)        // xid
		be.PutUint32(b[8:], 0)             // CALL
		be.PutUint32(b[12:], 2)            // RPC version
		be.PutUint32(b[16:], prog)
		be.PutUint32(b[20:], vers)
		be.PutUint32(b[24:], proc)
		return b
	}
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{call(100000, 2, 4), "pm_dump"},
		{call(100000, 4, 4), "pm_dump"},
		{call(100000, 2, 3), "sunrpc"}, // GETPORT
		{call(100003, 2, 4), "sunrpc"}, // not the portmapper
		{call(100000, 2, 4)[:27], "sunrpc"},
		{nil, "sunrpc"},
	} {
		c := conn(flow.ProtoTCP, 700, 111)
		c.Content[0] = tc.b
		if got := ServiceOf(c); got != tc.want {
			t.Errorf("%x: %q, want %q", tc.b, got, tc.want)
		}
	}
}

func TestServiceICMP(t *testing.T) {
	cases := []struct {
		v6        bool
		typ, code uint8
		want      string
	}{
		{false, 8, 0, "eco_i"}, {false, 0, 0, "ecr_i"}, {false, 3, 3, "urp_i"}, {false, 3, 1, "urh_i"},
		{false, 3, 0, "urh_i"}, {false, 3, 13, "urh_i"}, {false, 5, 1, "red_i"}, {false, 11, 0, "tim_i"},
		{false, 11, 1, "tim_i"}, {false, 13, 0, "tim_i"}, {false, 14, 0, "tim_i"}, {false, 4, 0, "other"},
		{false, 12, 0, "other"}, {false, 17, 0, "other"},
		{true, 128, 0, "eco_i"}, {true, 129, 0, "ecr_i"}, {true, 1, 4, "urp_i"}, {true, 1, 3, "urh_i"},
		{true, 3, 0, "tim_i"}, {true, 137, 0, "red_i"}, {true, 135, 0, "other"}, {true, 2, 0, "other"},
	}
	for _, c := range cases {
		proto := flow.ProtoICMP
		if c.v6 {
			proto = flow.ProtoICMPv6
		}
		got := ServiceOf(&flow.Conn{Proto: proto, ICMPType: c.typ, ICMPCode: c.code})
		if got != c.want {
			t.Errorf("icmp v6=%v %d/%d = %q, want %q", c.v6, c.typ, c.code, got, c.want)
		}
	}
}

// TestServiceAlwaysKDD runs every port of TCP and UDP and every ICMP type
// and code through ServiceOf: each name is one of the 70, unnamed ports
// follow the private/other rule, and every name but harvest is produced.
func TestServiceAlwaysKDD(t *testing.T) {
	valid := map[string]bool{}
	for _, s := range KDDServices() {
		valid[s] = true
	}
	seen := map[string]bool{}
	for _, proto := range []uint8{flow.ProtoTCP, flow.ProtoUDP} {
		for p := 0; p <= 65535; p++ {
			got := ServiceOf(conn(proto, 40000, uint16(p)))
			if !valid[got] {
				t.Fatalf("proto %d port %d: %q is not an NSL-KDD service", proto, p, got)
			}
			seen[got] = true
			_, named := tcpService(uint16(p))
			if proto == flow.ProtoUDP {
				_, named = udpService(uint16(p))
			}
			if !named && (got == "private") != (p < 1024) {
				t.Fatalf("proto %d port %d: %q breaks the private/other rule", proto, p, got)
			}
		}
	}
	for _, proto := range []uint8{flow.ProtoICMP, flow.ProtoICMPv6} {
		for ty := 0; ty < 256; ty++ {
			for co := 0; co < 256; co++ {
				got := ServiceOf(&flow.Conn{Proto: proto, ICMPType: uint8(ty), ICMPCode: uint8(co)})
				if !valid[got] {
					t.Fatalf("icmp %d/%d: %q", ty, co, got)
				}
				seen[got] = true
			}
		}
	}
	seen["pm_dump"] = true // by content, TestServicePmDump
	for _, s := range KDDServices() {
		if !seen[s] && s != "harvest" {
			t.Errorf("service %q is never produced", s)
		}
	}
}

// TestServiceMapAgainstData checks the service map against KDDTrain+:
// every service of the data is one of the 70 and is produced for the
// row's protocol; ICMP services agree with the ICMP rows' sizes; and the
// label mix behind the private/other rule is what the documentation says.
func TestServiceMapAgainstData(t *testing.T) {
	lines := kxTrainLines(t)
	valid := map[string]bool{}
	for _, s := range KDDServices() {
		valid[s] = true
	}
	// Names the map produces per protocol.
	produced := map[string]map[string]bool{"tcp": {}, "udp": {}, "icmp": {}}
	for p := 0; p <= 65535; p++ {
		produced["tcp"][ServiceOf(conn(flow.ProtoTCP, 40000, uint16(p)))] = true
		produced["udp"][ServiceOf(conn(flow.ProtoUDP, 40000, uint16(p)))] = true
	}
	produced["tcp"]["pm_dump"] = true
	for ty := 0; ty < 256; ty++ {
		for co := 0; co < 256; co++ {
			produced["icmp"][ServiceOf(&flow.Conn{Proto: flow.ProtoICMP, ICMPType: uint8(ty), ICMPCode: uint8(co)})] = true
		}
	}
	type pl struct{ proto, svc, label string }
	mix := map[pl]int{}
	icmpMin := map[string]int{}
	for n, l := range lines {
		proto, svc := l.f[1], l.f[2]
		if !valid[svc] {
			t.Fatalf("line %d: service %q is not one of the 70", n+1, svc)
		}
		if !produced[proto][svc] && svc != "harvest" {
			t.Errorf("line %d: %s/%s is never produced by ServiceOf", n+1, proto, svc)
		}
		mix[pl{proto, svc, l.f[41]}]++
		if proto == "icmp" {
			if l.int(0) != 0 || l.int(5) != 0 {
				t.Errorf("line %d: icmp row with duration %s dst_bytes %s", n+1, l.f[0], l.f[5])
			}
			if m, ok := icmpMin[svc]; !ok || l.int(4) < m {
				icmpMin[svc] = l.int(4)
			}
		}
	}
	// ICMP: an echo is at least its 8-byte header; an unreachable quotes
	// an IP header and 8 bytes (36 bytes in all).
	want := map[string]int{"eco_i": 8, "ecr_i": 8, "urh_i": 36, "urp_i": 37, "red_i": 91, "tim_i": 91}
	for svc, m := range want {
		if icmpMin[svc] < m || icmpMin[svc] > 4*m {
			t.Errorf("icmp %s: smallest src_bytes %d, expected about %d", svc, icmpMin[svc], m)
		}
	}
	if len(icmpMin) != 6 {
		t.Errorf("icmp services in the data: %v, want exactly the six of the table", icmpMin)
	}
	// The evidence for private (< 1024) and other (>= 1024): nmap scanned
	// 1-1024 and never produced other; neptune floods low ports.
	if mix[pl{"tcp", "private", "nmap"}] != 221 || mix[pl{"tcp", "other", "nmap"}] != 0 ||
		mix[pl{"udp", "private", "nmap"}] != 247 || mix[pl{"udp", "other", "nmap"}] != 0 {
		t.Errorf("nmap private/other: %d %d %d %d", mix[pl{"tcp", "private", "nmap"}], mix[pl{"tcp", "other", "nmap"}],
			mix[pl{"udp", "private", "nmap"}], mix[pl{"udp", "other", "nmap"}])
	}
	if mix[pl{"tcp", "private", "neptune"}] != 15079 || mix[pl{"tcp", "other", "neptune"}] != 58 ||
		mix[pl{"tcp", "private", "normal"}] != 4 {
		t.Errorf("neptune/normal tcp private/other: %d %d %d", mix[pl{"tcp", "private", "neptune"}],
			mix[pl{"tcp", "other", "neptune"}], mix[pl{"tcp", "private", "normal"}])
	}
}
