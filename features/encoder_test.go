package features

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"
)

// ---- test helpers: a small NSL-KDD reader (the dataset package is not
// ours), golden files.

// sharedDir is the project's shared data folder, beside the repository.
func sharedDir() string {
	if d := os.Getenv("CNIDS_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

var kddClasses = []string{"normal", "DoS", "Probe", "R2L", "U2R"}

// kddCategory maps NSL-KDD labels to classes, as torch-reference.py does.
var kddCategory = func() map[string]int {
	m := map[string]int{"normal": 0}
	for c, names := range map[int]string{
		1: "back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm worm",
		2: "ipsweep nmap portsweep satan mscan saint",
		3: "ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named sendmail snmpgetattack snmpguess xlock xsnoop",
		4: "buffer_overflow loadmodule perl rootkit httptunnel ps sqlattack xterm",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = c
		}
	}
	return m
}()

// parseKDDLine fills r from one 43-field NSL-KDD line and returns its
// class, label and difficulty.
func parseKDDLine(s *Schema, line string, r Row) (class int, label string, difficulty int, err error) {
	fields := strings.Split(line, ",")
	if len(fields) != 43 {
		return 0, "", 0, fmt.Errorf("%d fields, want 43", len(fields))
	}
	for j, c := range s.Columns {
		if IsSymbolic(c) {
			r.Symbols[j] = fields[j]
			continue
		}
		v, err := strconv.ParseFloat(fields[j], 64)
		if err != nil {
			return 0, "", 0, fmt.Errorf("field %d (%s): %w", j+1, c.Name, err)
		}
		r.Values[j] = v
	}
	label = fields[41]
	class, ok := kddCategory[label]
	if !ok {
		return 0, "", 0, fmt.Errorf("field 42: unknown label %q", label)
	}
	difficulty, err = strconv.Atoi(fields[42])
	if err != nil {
		return 0, "", 0, fmt.Errorf("field 43: %w", err)
	}
	return class, label, difficulty, nil
}

// readKDD reads NSL-KDD text (43 comma-separated fields a line).
func readKDD(rd io.Reader, source string) (*Frame, error) {
	s := NSLKDD()
	f := NewFrame(s, kddClasses)
	f.Source = source
	r := NewRow(s)
	sc := bufio.NewScanner(rd)
	line := 0
	for sc.Scan() {
		line++
		class, label, diff, err := parseKDDLine(s, sc.Text(), r)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, line, err)
		}
		f.Append(r, class, label, diff, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return f, nil
}

func readKDDFile(path string) (*Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return readKDD(zr, path)
}

// kddTrain reads KDDTrain+ once per test binary; tests must not modify it.
var kddTrain = sync.OnceValues(func() (*Frame, error) {
	return readKDDFile(filepath.Join(sharedDir(), "datasets", "nsl-kdd", "KDDTrain+.txt.gz"))
})

func loadKDDTrain(tb testing.TB) *Frame {
	tb.Helper()
	f, err := kddTrain()
	if err != nil {
		tb.Fatalf("reading KDDTrain+ (set CNIDS_SHARED to the shared folder if it is not at ../../shared): %v", err)
	}
	if f.Len() != 125973 {
		tb.Fatalf("KDDTrain+ has %d rows, want 125973", f.Len())
	}
	return f
}

// kddEncoder fits the default encoder on KDDTrain+ once.
var kddEncoder = sync.OnceValues(func() (*Encoder, error) {
	f, err := kddTrain()
	if err != nil {
		return nil, err
	}
	return Fit(f, EncoderConfig{}, nil)
})

func loadKDDEncoder(tb testing.TB) (*Frame, *Encoder) {
	tb.Helper()
	f := loadKDDTrain(tb)
	e, err := kddEncoder()
	if err != nil {
		tb.Fatal(err)
	}
	return f, e
}

func readGolden(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("testdata/%s: %v", name, err)
	}
}

func transformData(tb testing.TB, e *Encoder, f *Frame) ([]float32, TransformStats) {
	tb.Helper()
	d, st, err := e.Transform(f)
	if err != nil {
		tb.Fatal(err)
	}
	if got := d.Shape(); !slices.Equal([]int(got), []int{f.Len(), e.Width()}) || d.Dtype() != tensor.Float32 {
		tb.Fatalf("tensor shape %v dtype %v, want (%d, %d) float32", got, d.Dtype(), f.Len(), e.Width())
	}
	return d.Data().([]float32), st
}

func sameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// ---- NSL-KDD layout and torch-reference.py equivalence.

func encTestServices(f *Frame) []string {
	j := f.Schema.Index("service")
	s := slices.Clone(f.Vocab[j])
	slices.Sort(s)
	return s
}

func TestKDDTrainLayout(t *testing.T) {
	f, e := loadKDDEncoder(t)
	if e.Width() != 122 {
		t.Fatalf("width %d, want 122", e.Width())
	}
	names := e.Names()
	var want []string
	for _, c := range NSLKDD().Columns {
		if c.Kind != Categorical {
			want = append(want, c.Name)
		}
	}
	if len(want) != 38 {
		t.Fatalf("%d numeric columns in the schema, want 38", len(want))
	}
	for _, p := range []string{"icmp", "tcp", "udp"} {
		want = append(want, "protocol_type="+p)
	}
	services := encTestServices(f)
	if len(services) != 70 || services[0] != "IRC" || services[1] != "X11" || services[2] != "Z39_50" || services[3] != "aol" {
		t.Fatalf("services %v: want 70 sorted bytewise, upper case first", services)
	}
	for _, s := range services {
		want = append(want, "service="+s)
	}
	for _, fl := range strings.Fields("OTH REJ RSTO RSTOS0 RSTR S0 S1 S2 S3 SF SH") {
		want = append(want, "flag="+fl)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("names\n%v\nwant\n%v", names, want)
	}
	// The Python reference builds the same names independently.
	var golden struct{ Names []string }
	readGolden(t, "mi_kdd.json", &golden)
	if !slices.Equal(names, golden.Names) {
		t.Fatalf("names differ from testdata/mi_kdd.json:\n%v\n%v", names, golden.Names)
	}
	if e.Schema().Name != "nsl-kdd" || !e.Schema().Equal(NSLKDD()) {
		t.Fatal("encoder schema is not NSL-KDD's")
	}

	data, st := transformData(t, e, f)
	if st.Rows != f.Len() || st.Imputed != 0 || st.Clipped != 0 || len(st.Unseen) != 0 {
		t.Fatalf("stats %+v on the training data", st)
	}
	outbound := slices.Index(names, "num_outbound_cmds")
	blocks := [][2]int{{38, 41}, {41, 111}, {111, 122}}
	w := e.Width()
	for i := range f.Len() {
		row := data[i*w : (i+1)*w]
		for j, v := range row[:38] {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("row %d column %s = %v outside [0, 1]", i, names[j], v)
			}
		}
		if row[outbound] != 0 {
			t.Fatalf("row %d num_outbound_cmds = %v, want 0", i, row[outbound])
		}
		for _, b := range blocks {
			ones := 0
			for _, v := range row[b[0]:b[1]] {
				switch v {
				case 1:
					ones++
				case 0:
				default:
					t.Fatalf("row %d: one-hot value %v", i, v)
				}
			}
			if ones != 1 {
				t.Fatalf("row %d: block %s has %d ones", i, names[b[0]], ones)
			}
		}
	}
	// Each training column's min and max map to exactly 0 and 1 (except the
	// constant column).
	for j := range 38 {
		lo, hi := float32(1), float32(0)
		for i := range f.Len() {
			lo, hi = min(lo, data[i*w+j]), max(hi, data[i*w+j])
		}
		if j == outbound {
			if hi != 0 {
				t.Fatalf("constant column max %v", hi)
			}
			continue
		}
		if lo != 0 || hi != 1 {
			t.Fatalf("column %s spans [%v, %v], want [0, 1]", names[j], lo, hi)
		}
	}
}

// TestKDDHandComputedRow checks the first KDDTrain+ row against values
// computed by hand from the column ranges of KDDTrain+ (duration max
// 42908, src_bytes max 1379963888, count and srv_count max 511, host
// counts max 255, rates in [0, 1], every minimum 0), as torch-reference.py
// encodes: (x-min)/(max-min), one-hot of the sorted vocabularies.
func TestKDDHandComputedRow(t *testing.T) {
	f, e := loadKDDEncoder(t)
	r := NewRow(f.Schema)
	f.Row(0, &r)
	got := make([]float32, e.Width())
	if u := e.EncodeRow(r, got); u != 0 {
		t.Fatalf("unseen %d", u)
	}
	want := make([]float32, 122)
	names := e.Names()
	set := func(name string, v float64) {
		j := slices.Index(names, name)
		if j < 0 {
			t.Fatalf("no column %s", name)
		}
		want[j] = float32(v)
	}
	// 0,tcp,ftp_data,SF,491,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,0.00,1.00,0.00,0.00,
	// 150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00,normal,20
	set("src_bytes", 491.0/1379963888)
	set("count", 2.0/511)
	set("srv_count", 2.0/511)
	set("same_srv_rate", 1)
	set("dst_host_count", 150.0/255)
	set("dst_host_srv_count", 25.0/255)
	set("dst_host_same_srv_rate", 0.17)
	set("dst_host_diff_srv_rate", 0.03)
	set("dst_host_same_src_port_rate", 0.17)
	set("dst_host_rerror_rate", 0.05)
	want[39] = 1  // protocol_type=tcp (icmp, tcp, udp)
	want[61] = 1  // service=ftp_data
	want[120] = 1 // flag=SF (OTH REJ RSTO RSTOS0 RSTR S0 S1 S2 S3 SF SH)
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("column %d (%s): got %v, want %v", i, names[i], got[i], want[i])
	}
	if names[39] != "protocol_type=tcp" || names[61] != "service=ftp_data" || names[120] != "flag=SF" {
		t.Fatalf("one-hot positions: %s %s %s", names[39], names[61], names[120])
	}
}

// TestTorchReferenceEquivalence compares with rows that
// shared/tools/torch-reference.py's own encode() produced (in float32;
// this encoder computes in float64 and rounds once, so values may differ
// by a float32 rounding or two): training rows, and test rows with an
// unseen service and values beyond the training range, which it clips to
// [0, 1] as Clip does.
func TestTorchReferenceEquivalence(t *testing.T) {
	f := loadKDDTrain(t)
	var g struct {
		TrainRows []int       `json:"train_rows"`
		Train     [][]float64 `json:"train"`
		TestLines []string    `json:"test_lines"`
		Test      [][]float64 `json:"test"`
		Lo, Hi    []float64
	}
	readGolden(t, "torch_ref.json", &g)
	e, err := Fit(f, EncoderConfig{Clip: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The learnt ranges are torch-reference's lo and hi.
	for i, c := range e.num {
		if c.Min != g.Lo[i] || c.Max != g.Hi[i] {
			t.Fatalf("column %s range [%v, %v], torch-reference [%v, %v]", c.Name, c.Min, c.Max, g.Lo[i], g.Hi[i])
		}
	}
	const tol = 1.0 / (1 << 22) // two float32 roundings near 1
	check := func(what string, got []float32, want []float64) {
		t.Helper()
		for j := range want {
			if d := math.Abs(float64(got[j]) - want[j]); d > tol {
				t.Fatalf("%s column %d (%s): got %v, torch-reference %v", what, j, e.Names()[j], got[j], want[j])
			}
		}
	}
	r := NewRow(f.Schema)
	got := make([]float32, e.Width())
	for k, line := range g.TrainRows {
		f.Row(line-1, &r)
		e.EncodeRow(r, got)
		check(fmt.Sprintf("train line %d", line), got, g.Train[k])
	}
	wantUnseen := []int{1, 0, 0, 0}
	for k, line := range g.TestLines {
		if _, _, _, err := parseKDDLine(f.Schema, line, r); err != nil {
			t.Fatal(err)
		}
		if u := e.EncodeRow(r, got); u != wantUnseen[k] {
			t.Fatalf("test row %d: unseen %d, want %d", k, u, wantUnseen[k])
		}
		check(fmt.Sprintf("test row %d", k), got, g.Test[k])
	}
	// The flood row (src_bytes 99999999999, count 100000, dst_host_count
	// 300) is clipped to 1 where it exceeds training.
	if _, _, _, err := parseKDDLine(f.Schema, g.TestLines[1], r); err != nil {
		t.Fatal(err)
	}
	e.EncodeRow(r, got)
	for _, name := range []string{"src_bytes", "count", "dst_host_count"} {
		if v := got[slices.Index(e.Names(), name)]; v != 1 {
			t.Fatalf("flood row %s = %v, want 1 (clipped)", name, v)
		}
	}
}

// TestKDDGoldenSample encodes the rows that testdata/mi_reference.py
// encoded with numpy (float64 min-max, rounded once to float32) and
// compares the whole matrix's bytes.
func TestKDDGoldenSample(t *testing.T) {
	f, e := loadKDDEncoder(t)
	var g struct {
		Rows   []int
		SHA256 string
	}
	readGolden(t, "mi_kdd.json", &g)
	idx := make([]int, len(g.Rows))
	for k, line := range g.Rows {
		idx[k] = line - 1
	}
	data, _ := transformData(t, e, f.Subset(idx))
	if got := float32SHA(data); got != g.SHA256 {
		t.Fatalf("sha256 of the encoded sample %s, reference %s", got, g.SHA256)
	}
}

func float32SHA(data []float32) string {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ---- The numeric rule on small hand-computed frames.

// smallSchema has a heavy-tailed numeric column, a plain numeric one, a
// binary one, a categorical one and an identifier.
func smallSchema() *Schema {
	return &Schema{Name: "small", Columns: []Column{
		{Name: "id", Kind: Identifier},
		{Name: "a", Kind: Numeric, HeavyTailed: true},
		{Name: "c", Kind: Categorical},
		{Name: "b", Kind: Numeric},
		{Name: "k", Kind: Numeric},
		{Name: "bin", Kind: Binary},
	}}
}

type smallRow struct {
	a, b float64
	c    string
	bin  float64
	y    int
}

func smallFrame(rows []smallRow) *Frame {
	s := smallSchema()
	f := NewFrame(s, []string{"x", "y"})
	f.Source = "small"
	r := NewRow(s)
	for i, x := range rows {
		r.Values[0] = float64(1000 + i)
		r.Values[1], r.Symbols[2], r.Values[3], r.Values[4], r.Values[5] = x.a, x.c, x.b, 7, x.bin
		f.Append(r, x.y, "l", -1, i+1)
	}
	return f
}

// Training data: a = 1, 3, NaN, 10, 7 (finite sorted 1 3 7 10: median 5);
// b = 2, -4, 6, +Inf, 0 (finite sorted -4 0 2 6: median 1, +Inf -> 6);
// k = 7 always (constant); c in {q, p, r}.
var smallTrain = []smallRow{
	{a: 1, b: 2, c: "q", y: 0},
	{a: 3, b: -4, c: "p", bin: 1, y: 1},
	{a: math.NaN(), b: 6, c: "r", y: 0},
	{a: 10, b: math.Inf(1), c: "q", bin: 1, y: 1},
	{a: 7, b: 0, c: "p", y: 0},
}

func encodeOne(t *testing.T, e *Encoder, a, b float64, c string) ([]float32, int) {
	t.Helper()
	r := NewRow(e.Schema())
	r.Values[1], r.Symbols[2], r.Values[3], r.Values[4] = a, c, b, 7
	dst := make([]float32, e.Width())
	u := e.EncodeRow(r, dst)
	return dst, u
}

func TestSmallMinMax(t *testing.T) {
	f := smallFrame(smallTrain)
	e, err := Fit(f, EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Names(), []string{"a", "b", "k", "bin", "c=p", "c=q", "c=r"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	f32 := func(x float64) float32 { return float32(x) }
	cases := []struct {
		a, b float64
		c    string
		want []float32
		u    int
	}{
		// NaN a -> median 5 -> (5-1)/9; b -> (b+4)/10; k constant -> 0.
		{math.NaN(), 2, "q", []float32{f32(4.0 / 9), f32(0.6), 0, 0, 0, 1, 0}, 0},
		// +Inf -> max, -Inf -> min.
		{math.Inf(1), math.Inf(-1), "r", []float32{1, 0, 0, 0, 0, 0, 1}, 0},
		// Beyond the range, no Clip: extrapolated. Unseen "s": zero block.
		{19, -14, "s", []float32{2, -1, 0, 0, 0, 0, 0}, 1},
		{-8, 1, "p", []float32{-1, f32(0.5), 0, 0, 1, 0, 0}, 0},
	}
	for _, c := range cases {
		got, u := encodeOne(t, e, c.a, c.b, c.c)
		if i := sameBits(got, c.want); i >= 0 || u != c.u {
			t.Errorf("a=%v b=%v c=%q: got %v unseen %d, want %v unseen %d", c.a, c.b, c.c, got, u, c.want, c.u)
		}
	}

	ec, err := Fit(f, EncoderConfig{Clip: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := encodeOne(t, ec, 19, -14, "q")
	if want := []float32{1, 0, 0, 0, 0, 1, 0}; sameBits(got, want) >= 0 {
		t.Fatalf("clipped: got %v, want %v", got, want)
	}
	// Transform counts what it repaired: a test frame with NaN, ±Inf and
	// out-of-range values and an unseen category.
	test := smallFrame([]smallRow{
		{a: math.NaN(), b: 2, c: "q"},
		{a: math.Inf(1), b: math.Inf(-1), c: "r"},
		{a: 19, b: -14, c: "s"},
		{a: 5, b: math.NaN(), c: "zz"},
	})
	data, st, err := ec.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 4 || st.Imputed != 2 || st.Clipped != 4 || !mapsEqual(st.Unseen, map[string]int{"c": 2}) {
		t.Fatalf("stats %+v, want rows 4, imputed 2, clipped 4 (two ±Inf, two out of range), unseen c:2", st)
	}
	want := []float32{
		f32(4.0 / 9), 0.6, 0, 0, 0, 1, 0,
		1, 0, 0, 0, 0, 0, 1,
		1, 0, 0, 0, 0, 0, 0,
		f32(4.0 / 9), 0.5, 0, 0, 0, 0, 0,
	}
	if i := sameBits(data.Data().([]float32), want); i >= 0 {
		t.Fatalf("transform %v, want %v", data.Data(), want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSmallLog1pStandard(t *testing.T) {
	f := smallFrame(smallTrain)
	e, err := Fit(f, EncoderConfig{Scale: ScaleStandard, Log1p: true, Clip: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a is heavy-tailed: training a after imputation = 1 3 5 10 7, logged.
	la := []float64{math.Log1p(1), math.Log1p(3), math.Log1p(5), math.Log1p(10), math.Log1p(7)}
	var ma float64
	for _, v := range la {
		ma += v
	}
	ma /= 5
	var va float64
	for _, v := range la {
		va += (v - ma) * (v - ma)
	}
	sa := math.Sqrt(va / 5)
	// b is not: 2 -4 6 6 0, mean 2, population variance 72/5.
	sb := math.Sqrt(72.0 / 5)
	close := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-6*max(1, math.Abs(want))
	}

	got, _ := encodeOne(t, e, math.NaN(), 2, "p")
	if !close(got[0], (math.Log1p(5)-ma)/sa) || got[1] != 0 || got[2] != 0 || got[4] != 1 {
		t.Fatalf("NaN a, b=mean: got %v", got)
	}
	// Negative a: -log1p(3), below training: clipped to the scaled min.
	got, _ = encodeOne(t, e, -3, 6, "p")
	if !close(got[0], (math.Log1p(1)-ma)/sa) || !close(got[1], 4/sb) {
		t.Fatalf("a=-3, b=6: got %v", got)
	}
	// Without Clip the negative value goes through sign(x)*log1p(|x|).
	en, err := Fit(f, EncoderConfig{Scale: ScaleStandard, Log1p: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = encodeOne(t, en, -3, 1e9, "q")
	if !close(got[0], (-math.Log1p(3)-ma)/sa) || !close(got[1], (1e9-2)/sb) || got[2] != 0 {
		t.Fatalf("a=-3, b=1e9 unclipped: got %v", got)
	}
	// b = +Inf -> 6, the scaled max; k is constant -> 0.
	got, _ = encodeOne(t, e, 1, math.Inf(1), "q")
	if !close(got[0], (math.Log1p(1)-ma)/sa) || !close(got[1], 4/sb) || got[2] != 0 {
		t.Fatalf("b=+Inf: got %v", got)
	}
	// Unscaled: log1p only, the constant stays 7; clip to the training range.
	eu, err := Fit(f, EncoderConfig{Scale: ScaleNone, Log1p: true, Clip: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = encodeOne(t, eu, 3, 100, "q")
	if want := []float32{float32(math.Log1p(3)), 6, 7, 0, 0, 1, 0}; sameBits(got, want) >= 0 {
		t.Fatalf("none: got %v, want %v", got, want)
	}
	// Without Clip, a value beyond float32's range is clamped, never Inf.
	eo, err := Fit(f, EncoderConfig{Scale: ScaleNone}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = encodeOne(t, eo, 1e300, -1e300, "q")
	if got[0] != math.MaxFloat32 || got[1] != -math.MaxFloat32 {
		t.Fatalf("huge values: got %v", got)
	}
}

func TestConstantColumns(t *testing.T) {
	f, _ := loadKDDEncoder(t)
	for _, scale := range []string{ScaleMinMax, ScaleStandard} {
		e, err := Fit(f, EncoderConfig{Scale: scale, Log1p: true, Clip: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		j := slices.Index(e.Names(), "num_outbound_cmds")
		r := NewRow(f.Schema)
		dst := make([]float32, e.Width())
		for _, v := range []float64{0, 5, -5, math.NaN(), math.Inf(1)} {
			f.Row(3, &r)
			r.Values[f.Schema.Index("num_outbound_cmds")] = v
			e.EncodeRow(r, dst)
			if dst[j] != 0 {
				t.Fatalf("%s: constant column with value %v encodes as %v, want 0", scale, v, dst[j])
			}
		}
		// Every training row, through Transform (columns: 0 everywhere).
		data, _ := transformData(t, e, f)
		for i := range f.Len() {
			if v := data[i*e.Width()+j]; v != 0 {
				t.Fatalf("%s: row %d constant column %v", scale, i, v)
			}
		}
	}
}

func TestUnseenAndOther(t *testing.T) {
	f, e := loadKDDEncoder(t)
	names := e.Names()
	r := NewRow(f.Schema)
	f.Row(1, &r) // udp, other, SF
	base := make([]float32, e.Width())
	if u := e.EncodeRow(r, base); u != 0 {
		t.Fatalf("unseen %d for a training row", u)
	}
	if base[slices.Index(names, "service=other")] != 1 {
		t.Fatal(`"other" is a real service and must set its own column`)
	}
	r.Symbols[f.Schema.Index("service")] = "foo"
	got := make([]float32, e.Width())
	if u := e.EncodeRow(r, got); u != 1 {
		t.Fatalf("unseen %d, want 1", u)
	}
	for j := range got {
		want := base[j]
		if strings.HasPrefix(names[j], "service=") {
			want = 0
		}
		if got[j] != want {
			t.Fatalf("column %s = %v, want %v", names[j], got[j], want)
		}
	}
	// Two unseen values in one row count twice.
	r.Symbols[f.Schema.Index("flag")] = "RSTRH"
	if u := e.EncodeRow(r, got); u != 2 {
		t.Fatalf("unseen %d, want 2", u)
	}

	// A frame whose vocabulary has values the training rows lacked.
	test := NewFrame(f.Schema, kddClasses)
	for i := range 5 {
		f.Row(i, &r)
		if i%2 == 0 {
			r.Symbols[f.Schema.Index("service")] = "foo"
		}
		test.Append(r, 0, "normal", 0, i+1)
	}
	_, st, err := e.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(st.Unseen, map[string]int{"service": 3}) {
		t.Fatalf("unseen %v, want service:3", st.Unseen)
	}
}

// TestKDDMissingAndInfinite: on KDDTrain+, NaN becomes the column's
// training median (numpy.median: src_bytes 44, count 14,
// dst_host_same_srv_rate 0.51) and +Inf the training maximum (encoded 1),
// -Inf the minimum (0); the row is otherwise unchanged.
func TestKDDMissingAndInfinite(t *testing.T) {
	f, e := loadKDDEncoder(t)
	names := e.Names()
	r := NewRow(f.Schema)
	f.Row(0, &r)
	base := make([]float32, e.Width())
	e.EncodeRow(r, base)
	set := func(name string, v float64) { r.Values[f.Schema.Index(name)] = v }
	set("src_bytes", math.NaN())
	set("count", math.NaN())
	set("dst_host_same_srv_rate", math.NaN())
	set("dst_bytes", math.Inf(1))
	set("duration", math.Inf(-1))
	set("dst_host_count", math.Inf(1))
	got := make([]float32, e.Width())
	e.EncodeRow(r, got)
	want := slices.Clone(base)
	at := func(name string) int { return slices.Index(names, name) }
	want[at("src_bytes")] = float32(44.0 / 1379963888)
	want[at("count")] = float32(14.0 / 511)
	want[at("dst_host_same_srv_rate")] = float32(0.51)
	want[at("dst_bytes")] = 1
	want[at("duration")] = 0
	want[at("dst_host_count")] = 1
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("column %s: got %v, want %v", names[i], got[i], want[i])
	}
	// The same row through Transform is counted: 3 imputed, 3 clipped.
	test := NewFrame(f.Schema, kddClasses)
	test.Append(r, 0, "normal", 0, 1)
	data, st := transformData(t, e, test)
	if sameBits(data, want) >= 0 || st.Imputed != 3 || st.Clipped != 3 {
		t.Fatalf("transform %v stats %+v", data, st)
	}
}

// TestFitUsesTrainingRowsOnly: a Subset shares its parent's vocabulary,
// but only values present in the subset's rows are learnt.
func TestFitUsesTrainingRowsOnly(t *testing.T) {
	f := smallFrame(smallTrain)
	sub := f.Subset([]int{0, 3}) // c = q, q
	e, err := Fit(sub, EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Names(); !slices.Equal(got, []string{"a", "b", "k", "bin", "c=q"}) {
		t.Fatalf("names %v", got)
	}
	// Row order does not change the encoder.
	rev := f.Subset([]int{4, 3, 2, 1, 0})
	e1, err := Fit(f, EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := Fit(rev, EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(e1)
	b2, _ := json.Marshal(e2)
	if string(b1) != string(b2) {
		t.Fatalf("row order changed the encoder:\n%s\n%s", b1, b2)
	}
}

// ---- EncodeRow against Transform, allocations, concurrency.

func encodeAllRows(t *testing.T, e *Encoder, f *Frame) []float32 {
	t.Helper()
	w := e.Width()
	out := make([]float32, f.Len()*w)
	r := NewRow(f.Schema)
	for i := range f.Len() {
		f.Row(i, &r)
		e.EncodeRow(r, out[i*w:(i+1)*w])
	}
	return out
}

func TestEncodeRowMatchesTransform(t *testing.T) {
	f, e := loadKDDEncoder(t)
	data, _ := transformData(t, e, f)
	if i := sameBits(encodeAllRows(t, e, f), data); i >= 0 {
		t.Fatalf("EncodeRow differs from Transform at value %d", i)
	}
	// With log1p, standard scaling, clipping and selection, on a sample.
	rng := rand.New(rand.NewPCG(3, 4))
	idx := rng.Perm(f.Len())[:8000]
	sub := f.Subset(idx)
	es, err := Fit(sub, EncoderConfig{Scale: ScaleStandard, Log1p: true, Clip: true, Select: &SelectConfig{Percentile: 40, Seed: 9}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	test := f.Subset(rng.Perm(f.Len())[:3000])
	data, _ = transformData(t, es, test)
	if i := sameBits(encodeAllRows(t, es, test), data); i >= 0 {
		t.Fatalf("EncodeRow differs from Transform at value %d", i)
	}
}

func TestEncodeRowAllocs(t *testing.T) {
	f, e := loadKDDEncoder(t)
	r := NewRow(f.Schema)
	f.Row(7, &r)
	r.Values[0] = math.NaN()
	r.Values[4] = math.Inf(1)
	r.Symbols[2] = "not-a-service"
	dst := make([]float32, e.Width())
	if a := testing.AllocsPerRun(200, func() { e.EncodeRow(r, dst) }); a != 0 {
		t.Fatalf("EncodeRow allocates %v times per row", a)
	}
	es, err := Fit(f.Subset(rand.New(rand.NewPCG(1, 1)).Perm(f.Len())[:5000]), EncoderConfig{Log1p: true, Clip: true, Select: &SelectConfig{Percentile: 30}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst = dst[:es.Width()]
	if a := testing.AllocsPerRun(200, func() { es.EncodeRow(r, dst) }); a != 0 {
		t.Fatalf("EncodeRow with selection allocates %v times per row", a)
	}
}

func TestEncodeRowConcurrent(t *testing.T) {
	f, e := loadKDDEncoder(t)
	n := 20000
	want, _ := transformData(t, e, f.Subset(seq(n)))
	w := e.Width()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRow(f.Schema)
			dst := make([]float32, w)
			for i := g; i < n; i += 8 {
				f.Row(i, &r)
				e.EncodeRow(r, dst)
				if sameBits(dst, want[i*w:(i+1)*w]) >= 0 {
					errs <- fmt.Sprintf("goroutine %d row %d differs", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// ---- JSON.

func TestJSONRoundTrip(t *testing.T) {
	f := loadKDDTrain(t)
	sample := f.Subset(rand.New(rand.NewPCG(5, 6)).Perm(f.Len())[:6000])
	test := f.Subset(seq(4000))
	for _, cfg := range []EncoderConfig{
		{},
		{Scale: ScaleStandard, Log1p: true, Clip: true},
		{Scale: ScaleNone, Log1p: true},
		{Log1p: true, Clip: true, Select: &SelectConfig{Percentile: 25, Neighbors: 4, Seed: 11}},
	} {
		e, err := Fit(sample, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var d Encoder
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		b2, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(b2) {
			t.Fatalf("%+v: re-marshalled encoder differs", cfg)
		}
		if !slices.Equal(e.Names(), d.Names()) || e.Width() != d.Width() || !slices.Equal(e.Selected(), d.Selected()) ||
			!slices.Equal(e.Scores(), d.Scores()) || !e.Schema().Equal(d.Schema()) {
			t.Fatalf("%+v: loaded encoder differs in names, width, selection or schema", cfg)
		}
		x1, _ := transformData(t, e, test)
		x2, _ := transformData(t, &d, test)
		if i := sameBits(x1, x2); i >= 0 {
			t.Fatalf("%+v: loaded encoder's output differs at %d: %v vs %v", cfg, i, x1[i], x2[i])
		}
		// Every parameter survived bit for bit.
		for i := range e.num {
			a, c := e.num[i], d.num[i]
			for _, p := range [][2]float64{{a.Median, c.Median}, {a.Min, c.Min}, {a.Max, c.Max}, {a.Shift, c.Shift}, {a.Div, c.Div}, {a.Lo, c.Lo}, {a.Hi, c.Hi}} {
				if math.Float64bits(p[0]) != math.Float64bits(p[1]) {
					t.Fatalf("%+v: column %s parameter %v became %v", cfg, a.Name, p[0], p[1])
				}
			}
		}
	}
}

// validJSON returns a small fitted encoder's JSON as a generic map.
func validJSON(t testing.TB, cfg EncoderConfig) map[string]any {
	t.Helper()
	e, err := Fit(smallFrame(smallTrain), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUnmarshalRejectsCorruption(t *testing.T) {
	num := func(m map[string]any, i int) map[string]any { return m["numeric"].([]any)[i].(map[string]any) }
	cat := func(m map[string]any) map[string]any { return m["categorical"].([]any)[0].(map[string]any) }
	cases := []struct {
		name   string
		cfg    EncoderConfig
		mutate func(m map[string]any)
		want   string
	}{
		{"version", EncoderConfig{}, func(m map[string]any) { m["version"] = 2 }, "version 2"},
		{"no schema", EncoderConfig{}, func(m map[string]any) { delete(m, "schema") }, "no schema"},
		{"scale", EncoderConfig{}, func(m map[string]any) { m["config"].(map[string]any)["scale"] = "log" }, `unknown scale "log"`},
		{"empty scale", EncoderConfig{}, func(m map[string]any) { m["config"].(map[string]any)["scale"] = "" }, "lacks its defaults"},
		{"unknown field", EncoderConfig{}, func(m map[string]any) { m["extra"] = 1 }, "unknown field"},
		{"missing numeric", EncoderConfig{}, func(m map[string]any) { m["numeric"] = m["numeric"].([]any)[:2] }, `no parameters for numeric column "k"`},
		{"extra numeric", EncoderConfig{}, func(m map[string]any) { m["numeric"] = append(m["numeric"].([]any), num(m, 0)) }, "entries for a schema"},
		{"wrong column", EncoderConfig{}, func(m map[string]any) { num(m, 1)["col"] = 1.0 }, `entry names column 1`},
		{"divisor", EncoderConfig{}, func(m map[string]any) { num(m, 0)["div"] = 8.0 }, "minmax shift"},
		{"shift", EncoderConfig{Scale: ScaleNone}, func(m map[string]any) { num(m, 0)["shift"] = 1.0 }, "unscaled column"},
		{"median", EncoderConfig{}, func(m map[string]any) { num(m, 0)["median"] = 11.0 }, "median 11 is outside"},
		{"clip bounds", EncoderConfig{}, func(m map[string]any) { num(m, 1)["hi"] = 0.99 }, "clipping range"},
		{"huge", EncoderConfig{}, func(m map[string]any) { num(m, 0)["max"] = json.Number("1e400") }, "decoding encoder"},
		{"std", EncoderConfig{Scale: ScaleStandard}, func(m map[string]any) { num(m, 1)["div"] = 0.0 }, "standard deviation 0"},
		{"log flag", EncoderConfig{Log1p: true}, func(m map[string]any) { num(m, 0)["log1p"] = false }, "log1p flag"},
		{"vocab order", EncoderConfig{}, func(m map[string]any) { cat(m)["vocab"] = []any{"q", "p", "r"} }, "not sorted and unique"},
		{"vocab dup", EncoderConfig{}, func(m map[string]any) { cat(m)["vocab"] = []any{"p", "p"} }, "not sorted and unique"},
		{"vocab empty", EncoderConfig{}, func(m map[string]any) { cat(m)["vocab"] = []any{} }, "empty vocabulary"},
		{"kind", EncoderConfig{}, func(m map[string]any) {
			m["schema"].(map[string]any)["columns"].([]any)[3].(map[string]any)["kind"] = 9
		}, "unknown kind 9"},
		{"symbolic numeric", EncoderConfig{}, func(m map[string]any) {
			m["schema"].(map[string]any)["columns"].([]any)[3].(map[string]any)["symbolic"] = true
		}, "is symbolic"},
		{"duplicate column", EncoderConfig{}, func(m map[string]any) {
			m["schema"].(map[string]any)["columns"].([]any)[0].(map[string]any)["name"] = "a"
		}, `column "a" twice`},
		{"selected range", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) { m["selected"] = []any{0, 7} }, "outside the 7 candidate"},
		{"selected order", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) { m["selected"] = []any{2, 1} }, "not strictly ascending"},
		{"selected empty", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) { m["selected"] = []any{} }, "keeps no column"},
		{"scores", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) { m["mi_scores"] = []any{0.1} }, "1 scores for 7"},
		{"negative score", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) {
			m["mi_scores"].([]any)[0] = -1.0
		}, "want finite and >= 0"},
		{"selection without config", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) {
			delete(m["config"].(map[string]any), "select")
		}, "selected columns without"},
		{"config without selection", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) {
			delete(m, "selected")
		}, "all present or all absent"},
		{"percentile", EncoderConfig{Select: &SelectConfig{Percentile: 50}}, func(m map[string]any) {
			m["config"].(map[string]any)["select"].(map[string]any)["percentile"] = 0
		}, "outside (0, 100]"},
	}
	for _, c := range cases {
		m := validJSON(t, c.cfg)
		c.mutate(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var e Encoder
		err = json.Unmarshal(b, &e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if e.schema != nil {
			t.Errorf("%s: a failed unmarshal changed the receiver", c.name)
		}
	}
	// Trailing data and syntax errors.
	var e Encoder
	good, _ := json.Marshal(validJSON(t, EncoderConfig{}))
	if err := e.UnmarshalJSON(append(good, []byte(" {}")...)); err == nil || !strings.Contains(err.Error(), "data after") {
		t.Errorf("trailing data: %v", err)
	}
	if err := e.UnmarshalJSON(good[:len(good)/2]); err == nil {
		t.Error("truncated JSON accepted")
	}
	if err := e.UnmarshalJSON(good); err != nil {
		t.Fatalf("the unmodified encoder: %v", err)
	}
	if (&Encoder{}).Validate() == nil {
		t.Error("a zero Encoder validates")
	}
	if _, err := json.Marshal(&Encoder{}); err == nil {
		t.Error("a zero Encoder marshals")
	}
}

// ---- Fit and Transform errors.

func TestFitErrors(t *testing.T) {
	good := smallFrame(smallTrain)
	allNaN := smallFrame([]smallRow{{a: math.NaN(), b: 1, c: "p"}, {a: math.NaN(), b: 2, c: "q"}})
	onlyIDs := NewFrame(&Schema{Name: "ids", Columns: []Column{{Name: "id", Kind: Identifier}}}, []string{"x"})
	onlyIDs.Append(Row{Values: []float64{1}, Symbols: []string{""}}, 0, "l", -1, 1)
	bad := smallFrame(smallTrain)
	bad.Codes[2][1] = 99
	latin1 := smallFrame([]smallRow{{a: 1, b: 1, c: "caf\xe9"}})
	cases := []struct {
		name string
		f    *Frame
		cfg  EncoderConfig
		want string
	}{
		{"scale", good, EncoderConfig{Scale: "zscore"}, `unknown scale "zscore"`},
		{"percentile 0", good, EncoderConfig{Select: &SelectConfig{Percentile: 0}}, "outside (0, 100]"},
		{"percentile 101", good, EncoderConfig{Select: &SelectConfig{Percentile: 101}}, "outside (0, 100]"},
		{"percentile NaN", good, EncoderConfig{Select: &SelectConfig{Percentile: math.NaN()}}, "outside (0, 100]"},
		{"neighbors", good, EncoderConfig{Select: &SelectConfig{Percentile: 10, Neighbors: -1}}, "neighbors -1"},
		{"nil frame", nil, EncoderConfig{}, "nil frame"},
		{"empty", NewFrame(smallSchema(), []string{"x"}), EncoderConfig{}, "has no rows"},
		{"all NaN", allNaN, EncoderConfig{}, `column "a" of small has no finite training value`},
		{"only identifiers", onlyIDs, EncoderConfig{}, "no feature columns"},
		{"bad code", bad, EncoderConfig{}, "outside its vocabulary"},
		{"invalid UTF-8", latin1, EncoderConfig{}, `column "c" value "caf\xe9" is not valid UTF-8`},
	}
	for _, c := range cases {
		_, err := Fit(c.f, c.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestTransformErrors(t *testing.T) {
	e, err := Fit(smallFrame(smallTrain), EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kdd := NewFrame(NSLKDD(), kddClasses)
	if _, _, err := e.Transform(kdd); err == nil || !strings.Contains(err.Error(), `has schema "nsl-kdd"`) {
		t.Errorf("other schema: %v", err)
	}
	if _, _, err := e.Transform(nil); err == nil {
		t.Error("nil frame accepted")
	}
	f := smallFrame(smallTrain)
	if err := e.TransformInto(f, make([]float32, 10), nil); err == nil || !strings.Contains(err.Error(), "destination holds 10 values") {
		t.Errorf("short destination: %v", err)
	}
	if _, _, err := e.Transform(NewFrame(smallSchema(), nil)); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Errorf("empty frame: %v", err)
	}
	// TransformInto adds to the stats it is given.
	st := TransformStats{Rows: 1, Imputed: 1, Unseen: map[string]int{"c": 1}}
	test := smallFrame([]smallRow{{a: math.NaN(), b: 1, c: "zz"}})
	if err := e.TransformInto(test, make([]float32, e.Width()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Rows != 2 || st.Imputed != 2 || st.Unseen["c"] != 2 {
		t.Fatalf("accumulated stats %+v", st)
	}
	// EncodeRow with a mis-sized row is a programming error with a message.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "schema columns") {
			t.Fatalf("panic %v", r)
		}
	}()
	e.EncodeRow(Row{}, make([]float32, e.Width()))
}

// ---- Selection through the encoder.

func TestFitSelection(t *testing.T) {
	f := loadKDDTrain(t)
	sub := f.Subset(rand.New(rand.NewPCG(8, 9)).Perm(f.Len())[:10000])
	cfg := EncoderConfig{Select: &SelectConfig{Percentile: 25, Seed: 1}}
	e, err := Fit(sub, cfg, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	full, err := Fit(sub, EncoderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The scores are MutualInfoClassif's on the encoded training columns,
	// with one-hot and binary columns discrete.
	data, _ := transformData(t, full, sub)
	w := full.Width()
	cols := make([][]float64, w)
	discrete := make([]bool, w)
	for j := range cols {
		cols[j] = make([]float64, sub.Len())
		for i := range sub.Len() {
			cols[j][i] = float64(data[i*w+j])
		}
		name := full.Names()[j]
		discrete[j] = strings.Contains(name, "=") || slices.Contains([]string{"land", "logged_in", "is_host_login", "is_guest_login"}, name)
	}
	scores, err := MutualInfoClassif(cols, sub.Y, discrete, 3, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(scores, e.Scores()) {
		t.Fatalf("encoder scores differ from MutualInfoClassif's:\n%v\n%v", e.Scores(), scores)
	}
	mask, _ := SelectPercentile(scores, 25)
	var sel []int
	for j, k := range mask {
		if k {
			sel = append(sel, j)
		}
	}
	if !slices.Equal(sel, e.Selected()) || e.Width() != len(sel) {
		t.Fatalf("selected %v (width %d), want %v", e.Selected(), e.Width(), sel)
	}
	cand := e.CandidateNames()
	if !slices.Equal(cand, full.Names()) {
		t.Fatal("candidate names differ from the unselected encoder's names")
	}
	for k, j := range sel {
		if e.Names()[k] != cand[j] {
			t.Fatalf("name %d is %s, want %s", k, e.Names()[k], cand[j])
		}
	}
	// The best columns by MI are kept: src_bytes leads on NSL-KDD.
	best := 0
	for j, s := range scores {
		if s > scores[best] {
			best = j
		}
	}
	if !slices.Contains(e.Selected(), best) {
		t.Fatalf("the best column %s is not selected", cand[best])
	}
	t.Logf("selected %v", e.Names())
	// EncodeRow writes the selected columns of the full encoding.
	r := NewRow(f.Schema)
	a, b := make([]float32, full.Width()), make([]float32, e.Width())
	for i := range 500 {
		f.Row(i, &r)
		full.EncodeRow(r, a)
		e.EncodeRow(r, b)
		for k, j := range sel {
			if math.Float32bits(a[j]) != math.Float32bits(b[k]) {
				t.Fatalf("row %d: selected column %d differs", i, k)
			}
		}
	}
	// Without an rng the seed decides, and the result repeats.
	e1, err := Fit(sub, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := Fit(sub, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e1.Scores(), e2.Scores()) || !slices.Equal(e1.Selected(), e2.Selected()) {
		t.Fatal("the same seed gave different selections")
	}
	// Percentile 100 keeps every column.
	eAll, err := Fit(sub, EncoderConfig{Select: &SelectConfig{Percentile: 100}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if eAll.Width() != full.Width() || !slices.Equal(eAll.Names(), full.Names()) {
		t.Fatalf("percentile 100 kept %d columns", eAll.Width())
	}
}

// ---- Fuzzing the loader.

func FuzzEncoderJSON(f *testing.F) {
	for _, cfg := range []EncoderConfig{
		{},
		{Scale: ScaleStandard, Log1p: true, Clip: true},
		{Scale: ScaleNone, Log1p: true},
		{Clip: true, Select: &SelectConfig{Percentile: 50, Seed: 3}},
	} {
		e, err := Fit(smallFrame(smallTrain), cfg, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	values := []float64{0, 1, -1, 0.5, 1e300, -1e300, math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Encoder
		if err := json.Unmarshal(data, &e); err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("a loaded encoder fails Validate: %v", err)
		}
		b, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("a loaded encoder does not marshal: %v", err)
		}
		var d Encoder
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("a re-marshalled encoder does not load: %v", err)
		}
		s := e.Schema()
		r := NewRow(s)
		x, y := make([]float32, e.Width()), make([]float32, d.Width())
		for k := range values {
			for j := range s.Columns {
				r.Values[j] = values[(k+j)%len(values)]
				r.Symbols[j] = ""
			}
			for _, c := range e.cat {
				r.Symbols[c.Col] = c.Vocab[k%len(c.Vocab)]
			}
			if k%3 == 0 {
				for j := range s.Columns {
					r.Symbols[j] = "never-seen"
				}
			}
			ux := e.EncodeRow(r, x)
			uy := d.EncodeRow(r, y)
			if ux != uy || sameBits(x, y) >= 0 {
				t.Fatal("a re-loaded encoder encodes differently")
			}
			for j, v := range x {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("output %d is %v", j, v)
				}
			}
		}
	})
}

// FuzzFitEncode fits encoders on tiny frames with arbitrary training
// values (extreme ranges, NaN, ±Inf, odd symbols) and encodes arbitrary
// rows: Fit either fails with an error or yields an encoder that survives
// a JSON round trip, whose output is finite, within the clipping range
// when clipping, and the same through EncodeRow and Transform.
func FuzzFitEncode(f *testing.F) {
	f.Add(1.0, 10.0, -4.0, 6.0, 3.0, 19.0, "p", uint8(0))
	f.Add(math.MaxFloat64, -math.MaxFloat64, 0.0, 1e-300, 5e-324, math.Inf(1), "", uint8(7))
	f.Add(math.NaN(), 2.0, math.Inf(-1), -3.0, math.NaN(), -1e300, "caf\xe9", uint8(13))
	f.Add(-1e-310, 1e-310, 7.0, 7.0, 0.0, 8.0, "r", uint8(14))
	f.Fuzz(func(t *testing.T, a0, a1, b0, b1, xa, xb float64, sym string, mode uint8) {
		cfg := EncoderConfig{
			Scale: []string{ScaleMinMax, ScaleStandard, ScaleNone}[int(mode)%3],
			Log1p: mode&4 != 0,
			Clip:  mode&8 != 0,
		}
		if mode&16 != 0 {
			cfg.Select = &SelectConfig{Percentile: 50, Seed: uint64(mode)}
		}
		train := smallFrame([]smallRow{
			{a: a0, b: b0, c: "p"},
			{a: a1, b: b1, c: sym, y: 1},
			{a: a0, b: b1, c: "q", bin: 1, y: 1},
			{a: a1, b: b0, c: "q", y: 0},
		})
		e, err := Fit(train, cfg, nil)
		if err != nil {
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("a fitted encoder does not marshal: %v", err)
		}
		var d Encoder
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("a fitted encoder does not load: %v\n%s", err, b)
		}
		test := smallFrame([]smallRow{{a: xa, b: xb, c: sym + "x"}, {a: a1, b: xa, c: sym}, {a: xb, b: a0, c: "q"}})
		want, _, err := e.Transform(test)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := d.Transform(test)
		if err != nil {
			t.Fatal(err)
		}
		wd, gd := want.Data().([]float32), got.Data().([]float32)
		if sameBits(wd, gd) >= 0 {
			t.Fatal("the loaded encoder transforms differently")
		}
		r := NewRow(test.Schema)
		row := make([]float32, e.Width())
		w := e.Width()
		for i := range test.Len() {
			test.Row(i, &r)
			d.EncodeRow(r, row)
			if sameBits(row, wd[i*w:(i+1)*w]) >= 0 {
				t.Fatalf("row %d: EncodeRow %v, Transform %v", i, row, wd[i*w:(i+1)*w])
			}
		}
		for _, o := range e.numOut {
			c := e.num[o.num]
			for i := range test.Len() {
				v := wd[i*w+o.pos]
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("column %s row %d: %v", c.Name, i, v)
				}
				// Unscaled bounds may lie beyond float32's range.
				lo := float32(min(max(c.Lo, -math.MaxFloat32), math.MaxFloat32))
				hi := float32(min(max(c.Hi, -math.MaxFloat32), math.MaxFloat32))
				if cfg.Clip && (v < lo || v > hi) {
					t.Fatalf("column %s row %d: %v outside [%v, %v]", c.Name, i, v, c.Lo, c.Hi)
				}
			}
		}
	})
}

// ---- Benchmarks.

func BenchmarkEncodeRow(b *testing.B) {
	f, e := loadKDDEncoder(b)
	r := NewRow(f.Schema)
	f.Row(0, &r)
	dst := make([]float32, e.Width())
	b.ReportAllocs()
	for b.Loop() {
		e.EncodeRow(r, dst)
	}
}

func BenchmarkTransformKDD(b *testing.B) {
	f, e := loadKDDEncoder(b)
	dst := make([]float32, f.Len()*e.Width())
	for b.Loop() {
		if err := e.TransformInto(f, dst, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitKDD(b *testing.B) {
	f := loadKDDTrain(b)
	for b.Loop() {
		if _, err := Fit(f, EncoderConfig{Log1p: true, Clip: true}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitSelectKDD(b *testing.B) {
	f := loadKDDTrain(b)
	for b.Loop() {
		if _, err := Fit(f, EncoderConfig{Select: &SelectConfig{Percentile: 50, Seed: 1}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOneHotGroups(t *testing.T) {
	f := loadKDDTrain(t)
	enc, err := Fit(f, EncoderConfig{Scale: ScaleMinMax}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := enc.OneHotGroups()
	if len(g) != 3 || len(g[0]) != 3 || len(g[1]) != 70 || len(g[2]) != 11 {
		t.Fatalf("groups sizes: %d groups %v", len(g), func() []int {
			var n []int
			for _, x := range g {
				n = append(n, len(x))
			}
			return n
		}())
	}
	names := enc.Names()
	if names[g[0][0]] != "protocol_type=icmp" || names[g[2][len(g[2])-1]] != "flag=SH" || g[0][0] != 38 {
		t.Fatalf("first group starts at %d (%s), last ends with %s", g[0][0], names[g[0][0]], names[g[2][len(g[2])-1]])
	}
}
