package balance

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// loadGolden reads the committed sample of the encoded KDDTrain+ and
// imbalanced-learn's outputs on it (written by TestImblearnCompare with
// CNIDS_WRITE_GOLDEN=1).
func loadGolden(t *testing.T) (*golden, []float32) {
	t.Helper()
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatal(err)
	}
	mf, err := os.Open(goldenMatrix)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	mz, err := gzip.NewReader(mf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(mz)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*g.Rows*g.Cols || len(g.Y) != g.Rows {
		t.Fatalf("golden matrix has %d bytes and %d labels for %d x %d", len(raw), len(g.Y), g.Rows, g.Cols)
	}
	x := make([]float32, g.Rows*g.Cols)
	for j := range g.Cols {
		for i := range g.Rows {
			x[i*g.Cols+j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(j*g.Rows+i):]))
		}
	}
	return &g, x
}

// TestGoldenKDDSample checks, without Python, that on a stratified
// 10,000-row sample of the encoded KDDTrain+ (every U2R and R2L row)
// the neighbours SMOTE and ADASYN use equal scikit-learn's up to ties
// (and exactly as often as when the golden was made), that ADASYN's g_i,
// the rows ENN and Tomek links remove and the class counts of ROS, RUS,
// SMOTE and ADASYN equal imbalanced-learn's.
func TestGoldenKDDSample(t *testing.T) {
	g, x := loadGolden(t)
	cols, y := g.Cols, g.Y
	m := matrix{x: x, rows: g.Rows, cols: cols}
	nc := 5
	counts := countOf(y, nc)
	rows := classRows(y, nc)
	all := allRows(g.Rows)
	maj, _ := majorityMinority(counts)
	for c := range nc {
		if c == maj {
			continue
		}
		cs := strconv.Itoa(c)
		// SMOTE's within-class neighbours (for U2R and R2L, the whole
		// classes: the same as on the full data).
		nn, err := KNN{}.neighbors(m, rows[c], rows[c], 6)
		if err != nil {
			t.Fatal(err)
		}
		pos := allRows(len(rows[c]))
		cm := gather(m, rows[c])
		tally, _ := compareTables(t, "SMOTE class "+cs, cm, cols, pos, pos, dropFirst(nn, 6), toInt32s(g.SmoteNN[cs]), 5)
		if tally[nnReal] != 0 || tally != g.Verdicts["smote_nn_"+cs] {
			t.Errorf("SMOTE class %d: verdicts %v, golden %v", c, tally, g.Verdicts["smote_nn_"+cs])
		}
		// ADASYN's neighbours among all rows, and g_i.
		nn, err = KNN{}.neighbors(m, all, rows[c], 6)
		if err != nil {
			t.Fatal(err)
		}
		ours := dropFirst(nn, 6)
		tally, _ = compareTables(t, "ADASYN class "+cs, x, cols, rows[c], all, ours, toInt32s(g.AdasynNN[cs]), 5)
		if tally[nnReal] != 0 || tally != g.Verdicts["adasyn_nn_"+cs] {
			t.Errorf("ADASYN class %d: verdicts %v, golden %v", c, tally, g.Verdicts["adasyn_nn_"+cs])
		}
		labels := make([]int32, len(ours))
		for i, p := range ours {
			labels[i] = y[p]
		}
		gi, err := adasynCounts(labels, int32(c), 5, counts[maj]-counts[c])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gi, g.AdasynG[cs]) {
			t.Errorf("ADASYN class %d: g_i differ from imbalanced-learn's", c)
		}
	}
	for name, keep := range map[string]func() ([]int, error){
		"enn":       func() ([]int, error) { return (&ENN{}).keep(m, y, counts) },
		"enn_all":   func() ([]int, error) { return (&ENN{Strategy: Strategy{Form: All}}).keep(m, y, counts) },
		"tomek":     func() ([]int, error) { return (&Tomek{}).keep(m, y, counts) },
		"tomek_all": func() ([]int, error) { return (&Tomek{Strategy: Strategy{Form: All}}).keep(m, y, counts) },
	} {
		k, err := keep()
		if err != nil {
			t.Fatal(err)
		}
		want := g.Removed[name]
		if got := complement(k, g.Rows); !slices.Equal(got, want) {
			t.Errorf("%s removes %d rows %v, imbalanced-learn %d %v", name, len(got), head(got), len(want), head(want))
		} else {
			t.Logf("%s removes the same %d rows as imbalanced-learn", name, len(got))
		}
	}
	xd := dense(x, cols)
	for _, mth := range []string{"ros", "rus", "smote", "adasyn"} {
		want, ok := g.Counts[mth]
		if !ok {
			t.Fatalf("golden has no %s counts", mth)
		}
		rs, err := New(mth, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, yo, err := rs.Resample(xd, y, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		for c, n := range countOf(yo, nc) {
			if want[strconv.Itoa(c)] != n {
				t.Errorf("%s: class %d has %d rows, imbalanced-learn %d", mth, c, n, want[strconv.Itoa(c)])
			}
		}
	}
}

func toInt32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}
