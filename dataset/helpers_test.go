package dataset

import (
	"math"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/cnids/cnids/features"
)

// sharedData returns the path of a file under ../shared/datasets.
func sharedData(t testing.TB, rel string) string { return sharedtest.Path(t, "datasets", rel) }

// symbol returns row i's value of symbolic column j.
func symbol(f *features.Frame, j, i int) string { return f.Vocab[j][f.Codes[j][i]] }

// col returns the index of a schema column, failing the test if absent.
func col(t testing.TB, f *features.Frame, name string) int {
	t.Helper()
	j := f.Schema.Index(name)
	if j < 0 {
		t.Fatalf("schema %s has no column %q", f.Schema.Name, name)
	}
	return j
}

// sameFloat reports whether a and b are equal, NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// compareFrames fails the test at the first difference between the
// feature values of a and b (numbers, symbols by their text) and their
// class indices.
func compareFrames(t testing.TB, a, b *features.Frame) {
	t.Helper()
	if a.Len() != b.Len() {
		t.Fatalf("frames have %d and %d rows", a.Len(), b.Len())
	}
	if !a.Schema.Equal(b.Schema) {
		t.Fatalf("frames have different schemas")
	}
	for j, c := range a.Schema.Columns {
		for i := 0; i < a.Len(); i++ {
			if features.IsSymbolic(c) {
				if x, y := symbol(a, j, i), symbol(b, j, i); x != y {
					t.Fatalf("row %d (lines %d/%d) column %s: %q vs %q", i, a.Line[i], b.Line[i], c.Name, x, y)
				}
			} else if x, y := a.Num[j][i], b.Num[j][i]; !sameFloat(x, y) {
				t.Fatalf("row %d (lines %d/%d) column %s: %v vs %v", i, a.Line[i], b.Line[i], c.Name, x, y)
			}
		}
	}
	for i := range a.Y {
		if a.Y[i] != b.Y[i] {
			t.Fatalf("row %d: class %d vs %d", i, a.Y[i], b.Y[i])
		}
	}
}

// countBy returns the number of rows per class name.
func countBy(f *features.Frame) map[string]int {
	m := map[string]int{}
	for c, n := range f.ClassCounts() {
		if n > 0 {
			m[f.Classes[c]] = n
		}
	}
	return m
}

// attackCounts returns the number of rows per raw label.
func attackCounts(f *features.Frame) map[string]int {
	m := map[string]int{}
	for _, a := range f.Attack {
		m[f.AttackNames[a]]++
	}
	return m
}

// mustRead reads text with the given options, failing on error.
func mustRead(t testing.TB, name, text string, opt Options) (*features.Frame, *Report) {
	t.Helper()
	f, rep, err := Read(strings.NewReader(text), name, opt)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	return f, rep
}

// errHas reports whether err is non-nil and its text contains every sub.
func errHas(err error, subs ...string) bool {
	if err == nil {
		return false
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			return false
		}
	}
	return true
}
