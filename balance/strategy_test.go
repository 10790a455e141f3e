package balance

import (
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string, classes []string) Strategy {
	t.Helper()
	st, err := ParseStrategy(s, classes)
	if err != nil {
		t.Fatalf("ParseStrategy(%q): %v", s, err)
	}
	return st
}

// TestTargets checks every strategy form against hand-computed targets
// (imbalanced-learn's check_sampling_strategy) on counts 10, 5, 2.
func TestTargets(t *testing.T) {
	counts := []int{10, 5, 2}
	cases := []struct {
		strategy string
		kind     Kind
		want     []int // -1: not resampled; nil: an error
	}{
		{"auto", OverSampling, []int{-1, 5, 8}},
		{"", OverSampling, []int{-1, 5, 8}},
		{"not majority", OverSampling, []int{-1, 5, 8}},
		{"minority", OverSampling, []int{-1, -1, 8}},
		{"not minority", OverSampling, []int{0, 5, -1}},
		{"all", OverSampling, []int{0, 5, 8}},
		{"majority", OverSampling, nil},
		{"1=7,2=4", OverSampling, []int{-1, 2, 2}},
		{"1=4", OverSampling, nil}, // below the class size
		{"3=4", OverSampling, nil}, // absent class
		{"0.5", OverSampling, nil}, // a ratio needs two classes
		{"0,1", OverSampling, nil}, // a list is for cleaners
		{"auto", UnderSampling, []int{2, 2, -1}},
		{"not minority", UnderSampling, []int{2, 2, -1}},
		{"majority", UnderSampling, []int{2, -1, -1}},
		{"not majority", UnderSampling, []int{-1, 2, 2}},
		{"all", UnderSampling, []int{2, 2, 2}},
		{"minority", UnderSampling, nil},
		{"0=3,1=5", UnderSampling, []int{3, 5, -1}},
		{"0=11", UnderSampling, nil},
		{"auto", CleanSampling, []int{2, 2, -1}},
		{"all", CleanSampling, []int{2, 2, 2}},
		{"majority", CleanSampling, []int{2, -1, -1}},
		{"0,2", CleanSampling, []int{2, -1, 2}},
		{"minority", CleanSampling, nil},
		{"0=3", CleanSampling, nil},
	}
	for _, c := range cases {
		st := mustParse(t, c.strategy, nil)
		got, err := st.Targets(counts, c.kind, nil)
		if c.want == nil {
			if err == nil {
				t.Errorf("%q %v: got %v, want an error", c.strategy, c.kind, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %v: %v", c.strategy, c.kind, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q %v: got %v, want %v", c.strategy, c.kind, got, c.want)
		}
	}
}

func TestTargetsRatio(t *testing.T) {
	counts := []int{10, 4}
	for _, c := range []struct {
		ratio string
		kind  Kind
		want  []int
	}{
		{"0.5", OverSampling, []int{-1, 1}},  // int(10*0.5 - 4)
		{"1.0", OverSampling, []int{-1, 6}},  // int(10*1 - 4)
		{"0.3", OverSampling, nil},           // int(3 - 4) <= 0
		{"0.5", UnderSampling, []int{8, -1}}, // int(4/0.5)
		{"0.2", UnderSampling, nil},          // int(4/0.2) = 20 > 10
		{"0.5", CleanSampling, nil},
	} {
		got, err := mustParse(t, c.ratio, nil).Targets(counts, c.kind, nil)
		if c.want == nil {
			if err == nil {
				t.Errorf("ratio %s %v: got %v, want an error", c.ratio, c.kind, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ratio %s %v: got %v, %v; want %v", c.ratio, c.kind, got, err, c.want)
		}
	}
}

// TestTargetsTiesAndAbsent: majority and minority ties go to the lower
// class index; classes with no rows take no part.
func TestTargetsTiesAndAbsent(t *testing.T) {
	got, err := Strategy{}.Targets([]int{5, 5, 2, 2}, OverSampling, nil)
	if err != nil || !slices.Equal(got, []int{-1, 0, 3, 3}) {
		t.Errorf("ties, over: got %v %v", got, err)
	}
	got, err = Strategy{}.Targets([]int{5, 5, 2, 2}, UnderSampling, nil)
	if err != nil || !slices.Equal(got, []int{2, 2, -1, 2}) {
		t.Errorf("ties, under: got %v %v", got, err)
	}
	got, err = Strategy{}.Targets([]int{10, 0, 3}, OverSampling, nil)
	if err != nil || !slices.Equal(got, []int{-1, -1, 7}) {
		t.Errorf("absent class: got %v %v", got, err)
	}
	if _, err := (Strategy{}).Targets([]int{0, 7}, OverSampling, nil); err == nil {
		t.Error("one class: no error")
	}
	var warned []string
	got, err = mustParse(t, "1=12", nil).Targets([]int{10, 5}, OverSampling, func(s string) { warned = append(warned, s) })
	if err != nil || !slices.Equal(got, []int{-1, 7}) || len(warned) != 1 {
		t.Errorf("count above the majority: got %v %v, warnings %q", got, err, warned)
	}
}

func TestParseStrategy(t *testing.T) {
	classes := []string{"normal", "DoS", "Probe", "R2L", "U2R"}
	for _, c := range []struct {
		in, want string
	}{
		{"", "auto"},
		{"  Auto ", "auto"},
		{"not_minority", "not minority"},
		{"Not-Majority", "not majority"},
		{"0.25", "0.25"},
		{"DoS=5000,U2R=1000", "1=5000,4=1000"},
		{"u2r=100, dos=200", "1=200,4=100"},
		{"4=10,1=20", "1=20,4=10"},
		{"probe,DoS", "1,2"},
		{"3", "3"},
	} {
		st, err := ParseStrategy(c.in, classes)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if st.String() != c.want {
			t.Errorf("%q: got %q, want %q", c.in, st.String(), c.want)
		}
		// The String form parses back to the same strategy.
		again, err := ParseStrategy(st.String(), classes)
		if err != nil || again.String() != st.String() {
			t.Errorf("%q: round trip gave %q, %v", c.in, again.String(), err)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"1.5", "(0, 1]"},
		{"0.0", "(0, 1]"},
		{"DoS=x", "not an integer"},
		{"DoS=-3", "negative"},
		{"Smurf=3", "unknown class"},
		{"DoS=1,dos=2", "twice"},
		{"DoS,DoS", "twice"},
		{"7=1", "out of range"},
		{"DoS", ""},
	} {
		_, err := ParseStrategy(c.in, classes)
		if c.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.msg)
		}
	}
	if _, err := ParseStrategy("DoS=3", nil); err == nil || !strings.Contains(err.Error(), "no class names") {
		t.Errorf("a name without class names: %v", err)
	}
}
