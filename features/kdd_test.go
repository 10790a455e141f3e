package features

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/cnids/cnids/flow"
)

// kxSharedDir returns ../shared beside the repository root.
func kxSharedDir(t testing.TB) string { return sharedtest.Path(t) }

// kddLine is one line of KDDTrain+.txt split into its 43 fields.
type kddLine struct {
	raw string
	f   []string
}

func (l kddLine) num(i int) float64 {
	v, err := strconv.ParseFloat(l.f[i], 64)
	if err != nil {
		panic(err)
	}
	return v
}

func (l kddLine) int(i int) int { return int(l.num(i)) }

var kxTrainCache struct {
	once  sync.Once
	lines []kddLine
	err   error
}

// kxTrainLines returns the lines of KDDTrain+.txt.gz (read once per test
// binary).
func kxTrainLines(t testing.TB) []kddLine {
	t.Helper()
	path := filepath.Join(kxSharedDir(t), "datasets", "nsl-kdd", "KDDTrain+.txt.gz")
	kxTrainCache.once.Do(func() {
		kxTrainCache.lines, kxTrainCache.err = readKDDGz(path)
	})
	if kxTrainCache.err != nil {
		t.Fatal(kxTrainCache.err)
	}
	return kxTrainCache.lines
}

func readKDDGz(path string) ([]kddLine, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(zr)
	var out []kddLine
	for sc.Scan() {
		s := sc.Text()
		f := strings.Split(s, ",")
		if len(f) != 43 {
			return nil, errors.New(path + ": line " + strconv.Itoa(len(out)+1) + " has " + strconv.Itoa(len(f)) + " fields")
		}
		out = append(out, kddLine{raw: s, f: f})
	}
	return out, sc.Err()
}

// rowOf parses the 41 features of a line into a Row of the NSL-KDD
// schema, the way Frame.Row fills rows.
func rowOf(t testing.TB, l kddLine) Row {
	t.Helper()
	r := NewRow(NSLKDD())
	for i := 0; i < KDDColumns; i++ {
		switch i {
		case kddProtocolType, kddService, kddFlag:
			r.Symbols[i] = l.f[i]
			r.Values[i] = math.NaN()
		default:
			v, err := strconv.ParseFloat(l.f[i], 64)
			if err != nil {
				t.Fatalf("%q: column %d: %v", l.raw, i+1, err)
			}
			r.Values[i] = v
		}
	}
	return r
}

func TestKDDColumnIndices(t *testing.T) {
	s := NSLKDD()
	if len(s.Columns) != KDDColumns {
		t.Fatalf("schema has %d columns, KDDColumns is %d", len(s.Columns), KDDColumns)
	}
	want := map[int]string{
		kddDuration: "duration", kddProtocolType: "protocol_type", kddService: "service", kddFlag: "flag",
		kddSrcBytes: "src_bytes", kddLand: "land", kddHot: "hot", kddLoggedIn: "logged_in",
		kddSuAttempted: "su_attempted", kddNumOutboundCmds: "num_outbound_cmds", kddIsGuestLogin: "is_guest_login",
		kddCount: "count", kddSrvCount: "srv_count", kddSerrorRate: "serror_rate", kddSameSrvRate: "same_srv_rate",
		kddDiffSrvRate: "diff_srv_rate", kddSrvDiffHostRate: "srv_diff_host_rate", kddDstHostCount: "dst_host_count",
		kddDstHostSameSrcPortRate: "dst_host_same_src_port_rate", kddDstHostSrvRerrorRate: "dst_host_srv_rerror_rate",
	}
	for i, n := range want {
		if s.Columns[i].Name != n {
			t.Errorf("column %d is %q, want %q", i, s.Columns[i].Name, n)
		}
	}
	for i, c := range s.Columns {
		if got := isRateColumn(i); got != strings.Contains(c.Name, "rate") {
			t.Errorf("isRateColumn(%d %s) = %v", i, c.Name, got)
		}
	}
}

func TestKDDFlag(t *testing.T) {
	want := map[flow.State]string{
		flow.OTH: "OTH", flow.S0: "S0", flow.S1: "S1", flow.S2: "S2", flow.S3: "S3", flow.SF: "SF",
		flow.REJ: "REJ", flow.RSTO: "RSTO", flow.RSTR: "RSTR", flow.RSTOS0: "RSTOS0", flow.SH: "SH",
		flow.RSTRH: "OTH", flow.SHR: "OTH", flow.State(200): "OTH",
	}
	arff := map[string]bool{"OTH": true, "REJ": true, "RSTO": true, "RSTOS0": true, "RSTR": true, "S0": true,
		"S1": true, "S2": true, "S3": true, "SF": true, "SH": true}
	for s, w := range want {
		if got := KDDFlag(s); got != w {
			t.Errorf("KDDFlag(%v) = %q, want %q", s, got, w)
		}
		if !arff[KDDFlag(s)] {
			t.Errorf("KDDFlag(%v) = %q is not a dataset flag", s, KDDFlag(s))
		}
	}
}

func TestKDDProtocol(t *testing.T) {
	for p, w := range map[uint8]string{flow.ProtoTCP: "tcp", flow.ProtoUDP: "udp", flow.ProtoICMP: "icmp", flow.ProtoICMPv6: "icmp"} {
		if got, ok := KDDProtocol(p); !ok || got != w {
			t.Errorf("KDDProtocol(%d) = %q, %v", p, got, ok)
		}
	}
	if _, ok := KDDProtocol(47); ok {
		t.Error("GRE has a protocol_type")
	}
}

var (
	hostA = netip.MustParseAddr("10.0.0.1")
	hostB = netip.MustParseAddr("10.0.0.2")
	hostC = netip.MustParseAddr("10.0.0.3")
	src1  = netip.MustParseAddr("192.168.1.1")
)

func tcpConn(dst netip.Addr, dport, sport uint16, end int64, st flow.State) flow.Conn {
	return flow.Conn{OrigAddr: src1, RespAddr: dst, OrigPort: sport, RespPort: dport, Proto: flow.ProtoTCP,
		Start: end, End: end, State: st}
}

func extract(t testing.TB, x *KDDExtractor, c flow.Conn) Row {
	t.Helper()
	r := NewRow(NSLKDD())
	if err := x.Extract(&c, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func newExtractor(t testing.TB) *KDDExtractor {
	t.Helper()
	x, err := NewKDDExtractor(KDDConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestExtractBasic(t *testing.T) {
	x := newExtractor(t)
	c := flow.Conn{OrigAddr: src1, RespAddr: hostA, OrigPort: 40000, RespPort: 80, Proto: flow.ProtoTCP,
		Start: 1e9, End: 1e9 + 2_999_999_999, State: flow.SF, OrigBytes: 232, RespBytes: 8153,
		WrongFragment: 1, Urgent: 2}
	r := extract(t, x, c)
	checks := []struct {
		col  int
		want float64
	}{
		{kddDuration, 2}, {kddSrcBytes, 232}, {kddDstBytes, 8153}, {kddLand, 0}, {kddWrongFragment, 1},
		{kddUrgent, 2}, {kddNumOutboundCmds, 0}, {kddCount, 1}, {kddSrvCount, 1}, {kddSameSrvRate, 1},
		{kddDiffSrvRate, 0}, {kddDstHostCount, 1}, {kddDstHostSrvCount, 1}, {kddDstHostSameSrvRate, 1},
		{kddDstHostSameSrcPortRate, 1},
	}
	for _, ch := range checks {
		if r.Values[ch.col] != ch.want {
			t.Errorf("%s = %v, want %v", NSLKDD().Columns[ch.col].Name, r.Values[ch.col], ch.want)
		}
	}
	if r.Symbols[kddProtocolType] != "tcp" || r.Symbols[kddService] != "http" || r.Symbols[kddFlag] != "SF" {
		t.Errorf("symbols %q %q %q", r.Symbols[kddProtocolType], r.Symbols[kddService], r.Symbols[kddFlag])
	}
	for _, i := range []int{kddProtocolType, kddService, kddFlag} {
		if !math.IsNaN(r.Values[i]) {
			t.Errorf("Values[%d] = %v, want NaN for a symbolic column", i, r.Values[i])
		}
	}
	if r.Symbols[kddDuration] != "" {
		t.Errorf("Symbols[duration] = %q", r.Symbols[kddDuration])
	}

	// Land, ICMPv6 as icmp, RSTRH as OTH.
	l := flow.Conn{OrigAddr: hostA, RespAddr: hostA, OrigPort: 139, RespPort: 139, Proto: flow.ProtoTCP,
		Start: 5e9, End: 5e9, State: flow.RSTRH, Land: true}
	r = extract(t, x, l)
	if r.Values[kddLand] != 1 || r.Symbols[kddFlag] != "OTH" || r.Symbols[kddService] != "netbios_ssn" {
		t.Errorf("land row: land %v flag %q service %q", r.Values[kddLand], r.Symbols[kddFlag], r.Symbols[kddService])
	}
	p := flow.Conn{OrigAddr: netip.MustParseAddr("2001:db8::1"), RespAddr: netip.MustParseAddr("2001:db8::2"),
		Proto: flow.ProtoICMPv6, ICMPType: 128, Start: 6e9, End: 6e9, State: flow.SF, OrigBytes: 64}
	r = extract(t, x, p)
	if r.Symbols[kddProtocolType] != "icmp" || r.Symbols[kddService] != "eco_i" || r.Values[kddSrcBytes] != 64 {
		t.Errorf("icmpv6 row: %q %q %v", r.Symbols[kddProtocolType], r.Symbols[kddService], r.Values[kddSrcBytes])
	}

	// A GRE flow has no row and does not enter the windows.
	g := flow.Conn{OrigAddr: src1, RespAddr: hostA, Proto: 47, Start: 7e9, End: 7e9}
	rr := NewRow(NSLKDD())
	if err := x.Extract(&g, &rr); !errors.Is(err, ErrNotKDD) {
		t.Errorf("GRE: err %v, want ErrNotKDD", err)
	}
	r = extract(t, x, tcpConn(hostA, 80, 40001, 7e9, flow.SF))
	if r.Values[kddCount] != 1 { // the land conn at 5 s went to hostA too, but 2 s ago
		t.Errorf("count after GRE = %v, want 1", r.Values[kddCount])
	}
	bad := Row{Values: make([]float64, 40), Symbols: make([]string, 40)}
	c2 := tcpConn(hostA, 80, 1, 8e9, flow.SF)
	if err := x.Extract(&c2, &bad); err == nil {
		t.Error("a 40-column row was accepted")
	}
	st := x.Stats()
	if st.Conns != 4 || st.NotKDD != 1 || st.OutOfOrder != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestExtractLate(t *testing.T) {
	// A connection whose End lies before the window clock (a timed-out
	// connection, emitted late) is placed at the clock and counted.
	x := newExtractor(t)
	extract(t, x, tcpConn(hostA, 80, 1, 10e9, flow.SF))
	r := extract(t, x, tcpConn(hostA, 80, 2, 5e9, flow.S0))
	if r.Values[kddCount] != 2 || r.Values[kddSerrorRate] != 0.5 {
		t.Errorf("late conn: count %v serror %v, want 2 and 0.5", r.Values[kddCount], r.Values[kddSerrorRate])
	}
	if x.Stats().OutOfOrder != 1 {
		t.Errorf("OutOfOrder = %d", x.Stats().OutOfOrder)
	}
}

func TestNewKDDExtractorConfig(t *testing.T) {
	if _, err := NewKDDExtractor(KDDConfig{MaxWindowEntries: 100}); err == nil {
		t.Error("MaxWindowEntries 100 accepted")
	}
	if _, err := NewKDDExtractor(KDDConfig{HostLoginUsers: []string{""}}); err == nil {
		t.Error("empty host login user accepted")
	}
	if _, err := NewKDDExtractor(KDDConfig{MaxWindowEntries: 4 * KDDCountCap, HostLoginUsers: []string{"root"}}); err != nil {
		t.Error(err)
	}
}

// TestAppendKDDRoundTrip writes every row of KDDTrain+ back as text: the
// line must come out byte for byte as the dataset has it.
func TestAppendKDDRoundTrip(t *testing.T) {
	lines := kxTrainLines(t)
	var buf []byte
	r := NewRow(NSLKDD())
	for n, l := range lines {
		r = rowOfInto(t, l, r)
		var err error
		buf, err = AppendKDDLabeled(buf[:0], &r, l.f[41], l.int(42))
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if string(buf) != l.raw {
			t.Fatalf("line %d:\n got %s\nwant %s", n+1, buf, l.raw)
		}
		buf, err = AppendKDD(buf[:0], &r)
		if err != nil || string(buf)+","+l.f[41]+","+l.f[42] != l.raw {
			t.Fatalf("line %d: 41-column form %s (%v)", n+1, buf, err)
		}
	}
}

func rowOfInto(t testing.TB, l kddLine, r Row) Row {
	t.Helper()
	for i := 0; i < KDDColumns; i++ {
		switch i {
		case kddProtocolType, kddService, kddFlag:
			r.Symbols[i], r.Values[i] = l.f[i], math.NaN()
		default:
			v, err := strconv.ParseFloat(l.f[i], 64)
			if err != nil {
				t.Fatalf("%q: column %d: %v", l.raw, i+1, err)
			}
			r.Values[i], r.Symbols[i] = v, ""
		}
	}
	return r
}

func TestAppendKDDErrors(t *testing.T) {
	r := NewRow(NSLKDD())
	for i := range r.Values {
		r.Values[i] = 0
	}
	r.Symbols[kddProtocolType], r.Symbols[kddService], r.Symbols[kddFlag] = "tcp", "http", "SF"
	if _, err := AppendKDD(nil, &r); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mod  func(r *Row)
	}{
		{"NaN", func(r *Row) { r.Values[kddSrcBytes] = math.NaN() }},
		{"Inf", func(r *Row) { r.Values[kddCount] = math.Inf(1) }},
		{"fraction in integer column", func(r *Row) { r.Values[kddHot] = 1.5 }},
		{"empty symbol", func(r *Row) { r.Symbols[kddService] = "" }},
		{"comma in symbol", func(r *Row) { r.Symbols[kddFlag] = "S,F" }},
		{"short row", func(r *Row) { r.Values = r.Values[:40] }},
	}
	for _, c := range cases {
		rc := Row{Values: append([]float64(nil), r.Values...), Symbols: append([]string(nil), r.Symbols...)}
		c.mod(&rc)
		_, err := AppendKDD(nil, &rc)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.name == "NaN" && !strings.Contains(err.Error(), "column 5 (src_bytes)") {
			t.Errorf("%s: error %q does not name the column", c.name, err)
		}
	}
	if _, err := AppendKDDLabeled(nil, &r, "", 3); err == nil {
		t.Error("empty label accepted")
	}
	if _, err := AppendKDDLabeled(nil, &r, "normal", 22); err == nil {
		t.Error("difficulty 22 accepted")
	}
	b, err := AppendKDDLabeled([]byte("x:"), &r, "neptune", 21)
	if err != nil || !bytes.HasPrefix(b, []byte("x:0,tcp,http,SF,0,")) || !bytes.HasSuffix(b, []byte(",0.00,neptune,21")) {
		t.Errorf("AppendKDDLabeled = %s, %v", b, err)
	}
}

// TestExtractRowIsDatasetRow checks that an extracted row writes as a
// line the dataset's own format accepts: 41 fields, symbols from the
// dataset's vocabularies, integers and two-decimal rates.
func TestExtractRowIsDatasetRow(t *testing.T) {
	x := newExtractor(t)
	conns := []flow.Conn{
		tcpConn(hostA, 80, 40000, 1e9, flow.SF),
		tcpConn(hostA, 23, 40001, 1.5e9, flow.REJ),
		tcpConn(hostB, 9999, 40002, 1.7e9, flow.S0),
		{OrigAddr: src1, RespAddr: hostB, Proto: flow.ProtoICMP, ICMPType: 3, ICMPCode: 3, Start: 2e9, End: 2e9, State: flow.SF, OrigBytes: 78},
		{OrigAddr: src1, RespAddr: hostC, Proto: flow.ProtoUDP, OrigPort: 5353, RespPort: 53, Start: 2e9, End: 2.1e9, State: flow.SF, OrigBytes: 40, RespBytes: 90},
	}
	services := map[string]bool{}
	for _, s := range KDDServices() {
		services[s] = true
	}
	for _, c := range conns {
		r := extract(t, x, c)
		b, err := AppendKDDLabeled(nil, &r, "normal", 21)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Split(string(b), ",")
		if len(f) != 43 {
			t.Fatalf("%s: %d fields", b, len(f))
		}
		if !services[f[2]] {
			t.Errorf("%s: service %q not in the 70", b, f[2])
		}
		for i := 0; i < KDDColumns; i++ {
			if i == kddProtocolType || i == kddService || i == kddFlag {
				continue
			}
			if isRateColumn(i) != strings.Contains(f[i], ".") {
				t.Errorf("%s: column %d is %q", b, i+1, f[i])
			}
		}
		back := rowOf(t, kddLine{raw: string(b), f: f})
		for i := range back.Values {
			if i != kddProtocolType && i != kddService && i != kddFlag && back.Values[i] != r.Values[i] {
				t.Errorf("column %d: wrote %v, read back %v", i+1, r.Values[i], back.Values[i])
			}
		}
	}
}

// ---------------------------------------------------------------------
// Golden checks on real captures, through the flow stage.

// pcapConns turns a shared capture into connections the way the sensor
// does: one flow table (one shard, so that the test is deterministic),
// every packet in file order, then Close; records in the table's order.
func pcapConns(t testing.TB, name string) []flow.Conn {
	t.Helper()
	path := filepath.Join(kxSharedDir(t), "pcaps", name)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	pr, err := pcapgo.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tb, err := flow.NewTable(context.Background(), flow.Config{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out []flow.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range tb.Out() {
			out = append(out, b...)
		}
	}()
	for n := uint64(1); ; n++ {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, n, err)
		}
		if err := tb.Packet(data, pr.LinkType(), ci.Timestamp.UnixNano(), name, n); err != nil {
			t.Fatalf("%s: packet %d: %v", path, n, err)
		}
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	return out
}

// extractAll runs an extractor over conns and returns the rows.
func extractAll(t testing.TB, conns []flow.Conn) []Row {
	t.Helper()
	x := newExtractor(t)
	rows := make([]Row, 0, len(conns))
	for i := range conns {
		r := NewRow(NSLKDD())
		if err := x.Extract(&conns[i], &r); err != nil {
			if errors.Is(err, ErrNotKDD) {
				continue
			}
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// sumColumn adds column col over the rows whose service is svc.
func sumColumn(rows []Row, svc string, col int) (sum float64, n int) {
	for _, r := range rows {
		if r.Symbols[kddService] == svc {
			sum += r.Values[col]
			n++
		}
	}
	return sum, n
}

// TestGoldenBruteForce: the lab's brute-force captures carry 11 telnet
// "Login incorrect" replies, 30 FTP "530 Login incorrect." replies and
// 29 HTTP 401 answers to credentials followed by one 200 (lab README,
// counted there with tshark).
func TestGoldenBruteForce(t *testing.T) {
	rows := extractAll(t, pcapConns(t, "lab/r2l-telnet-bruteforce.pcap"))
	if s, n := sumColumn(rows, "telnet", kddNumFailedLogins); s != 11 || n != 6 {
		t.Errorf("telnet: %v failed logins over %d connections, want 11 over 6", s, n)
	}
	if s, _ := sumColumn(rows, "telnet", kddLoggedIn); s != 0 {
		t.Errorf("telnet: %v logged-in connections, want 0", s)
	}
	rows = extractAll(t, pcapConns(t, "lab/r2l-ftp-bruteforce.pcap"))
	if s, n := sumColumn(rows, "ftp", kddNumFailedLogins); s != 30 || n != 12 {
		t.Errorf("ftp: %v failed logins over %d connections, want 30 over 12", s, n)
	}
	if s, _ := sumColumn(rows, "ftp", kddLoggedIn); s != 0 {
		t.Errorf("ftp: %v logged-in connections", s)
	}
	rows = extractAll(t, pcapConns(t, "lab/r2l-http-bruteforce.pcap"))
	if s, n := sumColumn(rows, "http", kddNumFailedLogins); s != 29 || n != 30 {
		t.Errorf("http: %v failed logins over %d connections, want 29 over 30", s, n)
	}
	if s, _ := sumColumn(rows, "http", kddLoggedIn); s != 1 {
		t.Errorf("http: %v logged-in connections, want 1", s)
	}
}

// TestGoldenNormal: the lab's benign client (README: 5 pings, 20 HTTP
// GETs, a download, one basic-auth success, DNS, 2 anonymous FTP
// downloads, one SSH login).
func TestGoldenNormal(t *testing.T) {
	rows := extractAll(t, pcapConns(t, "lab/normal.pcap"))
	count := map[string]int{}
	for _, r := range rows {
		svc := r.Symbols[kddService]
		count[svc]++
		switch svc {
		case "http":
			if r.Values[kddLoggedIn] != 1 || r.Values[kddNumFailedLogins] != 0 {
				t.Errorf("http row not logged in: %v", r.Values[kddHot:kddIsGuestLogin+1])
			}
		case "ftp":
			if r.Values[kddLoggedIn] != 1 || r.Values[kddIsGuestLogin] != 1 {
				t.Errorf("anonymous ftp: logged_in %v is_guest_login %v", r.Values[kddLoggedIn], r.Values[kddIsGuestLogin])
			}
		case "eco_i", "ecr_i":
			// tshark -r normal.pcap -T fields -e ip.len: 84, so the ICMP
			// message (header and data) is 64 bytes.
			if r.Values[kddSrcBytes] != 64 || r.Values[kddDstBytes] != 0 {
				t.Errorf("%s: src_bytes %v dst_bytes %v", svc, r.Values[kddSrcBytes], r.Values[kddDstBytes])
			}
		case "ssh":
			for c := kddHot; c <= kddIsGuestLogin; c++ {
				if r.Values[c] != 0 {
					t.Errorf("ssh content feature %d = %v", c, r.Values[c])
				}
			}
		}
		if r.Values[kddNumFailedLogins] != 0 {
			t.Errorf("%s: failed logins in benign traffic", svc)
		}
	}
	if count["eco_i"] != 5 || count["ecr_i"] != 5 || count["ftp"] != 2 || count["ftp_data"] < 2 || count["http"] != 22 || count["ssh"] != 1 {
		t.Errorf("services: %v", count)
	}
}

// TestGoldenICMPPings: every ICMP packet is a connection; an echo's
// src_bytes is its 8-byte header plus its data (tshark -r
// icmp-5-pings.pcap -T fields -e ip.len -e data.len: 84 and 48, i.e. 64
// bytes of ICMP: 8 of header, 8 of timestamp, 48 of data).
func TestGoldenICMPPings(t *testing.T) {
	rows := extractAll(t, pcapConns(t, "public/icmp-5-pings.pcap"))
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10", len(rows))
	}
	n := map[string]int{}
	for _, r := range rows {
		n[r.Symbols[kddService]]++
		if r.Symbols[kddProtocolType] != "icmp" || r.Values[kddSrcBytes] != 8+8+48 || r.Values[kddDuration] != 0 || r.Values[kddDstBytes] != 0 {
			t.Errorf("row %v %v", r.Symbols[:4], r.Values[4:6])
		}
	}
	if n["eco_i"] != 5 || n["ecr_i"] != 5 {
		t.Errorf("services %v", n)
	}
}

// TestGoldenIsolated: a capture holding one connection gives count 1,
// same_srv_rate 1.00.
func TestGoldenIsolated(t *testing.T) {
	rows := extractAll(t, pcapConns(t, "lab/theft-exfiltration.pcap"))
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	expect(t, "exfiltration", rows[0], map[string]float64{"count": 1, "srv_count": 1, "same_srv_rate": 1, "diff_srv_rate": 0,
		"dst_host_count": 1, "dst_host_srv_count": 1, "dst_host_same_srv_rate": 1})
	// tshark -qz conv,tcp: 2,197 kB from 10.99.0.2 (2 MiB of data, nc).
	if r := rows[0]; r.Symbols[kddService] != "other" || r.Values[kddSrcBytes] != 2<<20 || r.Symbols[kddFlag] != "SF" {
		t.Errorf("exfiltration row: %v %v", r.Symbols[:4], r.Values[kddSrcBytes])
	}
}

// TestGoldenFloodsAndScans: hping3's SYN flood is answered SYN-ACK and
// reset by the attacker's kernel (RSTO, a reject-set state, as 1,216
// neptune rows): count and srv_count reach 511 with rerror_rate 1.00. The
// nmap SYN scan of 1-1024 ends as satan's rows do: count 511, srv_count
// 1, diff_srv_rate 1.00.
func TestGoldenFloodsAndScans(t *testing.T) {
	rows := extractAll(t, pcapConns(t, "lab/dos-synflood.pcap"))
	if len(rows) != 20000 {
		t.Fatalf("%d rows, want 20000", len(rows))
	}
	full := 0
	for i, r := range rows {
		if r.Symbols[kddFlag] != "RSTO" || r.Symbols[kddService] != "http" || r.Values[kddRerrorRate] != 1 || r.Values[kddSerrorRate] != 0 {
			t.Fatalf("row %d: %v rerror %v serror %v", i, r.Symbols[:4], r.Values[kddRerrorRate], r.Values[kddSerrorRate])
		}
		if r.Values[kddCount] == 511 && r.Values[kddSrvCount] == 511 && r.Values[kddDstHostCount] == 255 {
			full++
		}
	}
	if full < 19000 {
		t.Errorf("%d of 20000 rows at the caps", full)
	}
	rows = extractAll(t, pcapConns(t, "lab/probe-nmap-syn.pcap"))
	if len(rows) != 1024 {
		t.Fatalf("nmap: %d rows, want 1024", len(rows))
	}
	expect(t, "last probe", rows[len(rows)-1], map[string]float64{"count": 511, "diff_srv_rate": 1, "rerror_rate": 1, "dst_host_count": 255})
	private := 0
	for _, r := range rows {
		if r.Symbols[kddService] == "private" {
			private++
		}
	}
	if private < 900 {
		t.Errorf("%d private rows in a scan of ports 1-1024", private)
	}
}

// TestGoldenFTPData: a passive-mode transfer (the data connection goes to
// a high server port announced by 227) is ftp_data.
func TestGoldenFTPData(t *testing.T) {
	conns := pcapConns(t, "public/ftp-ipv4.pcap")
	rows := extractAll(t, conns)
	passive := 0
	for i, r := range rows {
		if r.Symbols[kddService] == "ftp_data" && conns[i].RespPort > 1024 && conns[i].OrigPort != 20 {
			passive++
		}
	}
	if passive < 2 {
		t.Errorf("%d passive ftp_data connections", passive)
	}
}
