package balance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kind is the kind of a sampler, which decides what a sampling strategy
// means (imbalanced-learn's sampling_type).
type Kind uint8

// The sampler kinds.
const (
	// OverSampling samplers add rows: ROS, SMOTE, ADASYN, GAN and the
	// over-sampling step of the hybrids. A target is the number of rows
	// to generate.
	OverSampling Kind = iota + 1
	// UnderSampling samplers keep a chosen number of rows: RUS. A target
	// is the number of rows to keep.
	UnderSampling
	// CleanSampling samplers remove rows by a rule: ENN and Tomek links.
	// The strategy only says which classes may lose rows.
	CleanSampling
)

// String returns imbalanced-learn's name of the kind.
func (k Kind) String() string {
	switch k {
	case OverSampling:
		return "over-sampling"
	case UnderSampling:
		return "under-sampling"
	case CleanSampling:
		return "clean-sampling"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Form is the syntactic form of a Strategy.
type Form uint8

// The strategy forms, as imbalanced-learn's sampling_strategy values.
const (
	// Auto is "auto": "not majority" for over-samplers, "not minority"
	// for under-samplers and cleaners.
	Auto Form = iota
	// Minority is "minority": only the smallest class (over-samplers).
	Minority
	// Majority is "majority": only the largest class (under-samplers and
	// cleaners).
	Majority
	// NotMinority is "not minority": every class but the smallest.
	NotMinority
	// NotMajority is "not majority": every class but the largest.
	NotMajority
	// All is "all": every class.
	All
	// Ratio is a float in (0, 1], for two-class problems only.
	Ratio
	// Counts gives the wanted number of rows per listed class, as
	// imbalanced-learn's dict (over- and under-samplers).
	Counts
	// Classes lists the classes a cleaner may remove rows from, as
	// imbalanced-learn's list (cleaners only).
	Classes
)

// formNames returns the keywords of the named forms, in Form order.
func formNames() []string {
	return []string{"auto", "minority", "majority", "not minority", "not majority", "all"}
}

// ClassCount is one entry of a Counts strategy.
type ClassCount struct {
	// Class is the class index.
	Class int
	// N is the wanted number of rows of the class after resampling.
	N int
}

// Strategy is a parsed sampling strategy (imbalanced-learn's
// sampling_strategy). The zero value is "auto".
type Strategy struct {
	// Form is the kind of strategy.
	Form Form
	// Ratio is the float of a Ratio strategy.
	Ratio float64
	// Counts are the per-class targets of a Counts strategy, by class.
	Counts []ClassCount
	// Classes are the classes of a Classes strategy, ascending.
	Classes []int
}

// ParseStrategy parses a sampling strategy:
//
//   - a keyword: "auto" (also the empty string), "minority", "majority",
//     "not minority", "not majority", "all" ("not_minority" and
//     "not-minority" are accepted too);
//   - a float ratio in (0, 1], such as "0.5" (two-class problems only);
//   - per-class counts "CLASS=N,CLASS=N", such as "DoS=5000,U2R=1000" or
//     "1=5000,4=1000" (over- and under-samplers);
//   - a list of classes "CLASS,CLASS", such as "DoS,Probe" or "1,2"
//     (cleaners).
//
// A CLASS is a class index, or a class name when classes (the class
// names in index order, as features.Frame.Classes) is given; names match
// exactly first, then ignoring case. A key that is both a name and a
// different index is resolved as the name. Whether the form suits the
// sampler and the data is checked when the targets are computed
// (Targets).
func ParseStrategy(s string, classes []string) (Strategy, error) {
	t := strings.TrimSpace(s)
	key := strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(t))
	key = strings.Join(strings.Fields(key), " ")
	if key == "" {
		return Strategy{Form: Auto}, nil
	}
	for i, n := range formNames() {
		if key == n {
			return Strategy{Form: Form(i)}, nil
		}
	}
	if strings.Contains(t, "=") {
		return parseCounts(t, classes)
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && strings.ContainsAny(t, ".eE") {
		if !(f > 0 && f <= 1) || math.IsNaN(f) {
			return Strategy{}, fmt.Errorf("balance: strategy %q: a ratio must be in (0, 1]", s)
		}
		return Strategy{Form: Ratio, Ratio: f}, nil
	}
	var cl []int
	for i, part := range strings.Split(t, ",") {
		c, err := resolveClass(strings.TrimSpace(part), classes)
		if err != nil {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: %w", s, i+1, err)
		}
		if slices.Contains(cl, c) {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: class %q listed twice", s, i+1, part)
		}
		cl = append(cl, c)
	}
	slices.Sort(cl)
	return Strategy{Form: Classes, Classes: cl}, nil
}

func parseCounts(s string, classes []string) (Strategy, error) {
	var out []ClassCount
	for i, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d (%q) is not CLASS=N", s, i+1, strings.TrimSpace(part))
		}
		c, err := resolveClass(strings.TrimSpace(k), classes)
		if err != nil {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: %w", s, i+1, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: count %q is not an integer", s, i+1, strings.TrimSpace(v))
		}
		if n < 0 {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: count %d is negative", s, i+1, n)
		}
		if slices.ContainsFunc(out, func(cc ClassCount) bool { return cc.Class == c }) {
			return Strategy{}, fmt.Errorf("balance: strategy %q: item %d: class %q given twice", s, i+1, strings.TrimSpace(k))
		}
		out = append(out, ClassCount{Class: c, N: n})
	}
	slices.SortFunc(out, func(a, b ClassCount) int { return a.Class - b.Class })
	return Strategy{Form: Counts, Counts: out}, nil
}

// maxClass bounds class indices, so that a count table stays small.
const maxClass = 1 << 16

func resolveClass(k string, classes []string) (int, error) {
	if k == "" {
		return 0, errors.New("empty class")
	}
	if i := slices.Index(classes, k); i >= 0 {
		return i, nil
	}
	for i, c := range classes {
		if strings.EqualFold(c, k) {
			return i, nil
		}
	}
	n, err := strconv.Atoi(k)
	if err != nil {
		if len(classes) == 0 {
			return 0, fmt.Errorf("class %q is not an index and no class names were given", k)
		}
		return 0, fmt.Errorf("unknown class %q (classes: %s)", k, strings.Join(classes, ", "))
	}
	if n < 0 || n >= maxClass || (len(classes) > 0 && n >= len(classes)) {
		return 0, fmt.Errorf("class index %d out of range", n)
	}
	return n, nil
}

// String returns the strategy in the form ParseStrategy reads (with
// class indices).
func (s Strategy) String() string {
	switch s.Form {
	case Ratio:
		return strconv.FormatFloat(s.Ratio, 'g', -1, 64)
	case Counts:
		parts := make([]string, len(s.Counts))
		for i, c := range s.Counts {
			parts[i] = fmt.Sprintf("%d=%d", c.Class, c.N)
		}
		return strings.Join(parts, ",")
	case Classes:
		parts := make([]string, len(s.Classes))
		for i, c := range s.Classes {
			parts[i] = strconv.Itoa(c)
		}
		return strings.Join(parts, ",")
	}
	if names := formNames(); int(s.Form) < len(names) {
		return names[s.Form]
	}
	return fmt.Sprintf("Form(%d)", uint8(s.Form))
}

// present returns the classes with at least one row, ascending.
func present(counts []int) []int {
	var out []int
	for c, n := range counts {
		if n > 0 {
			out = append(out, c)
		}
	}
	return out
}

// majorityMinority returns the largest and the smallest present class;
// ties go to the lower class index, as Python's max and min over
// imbalanced-learn's sorted class dictionary.
func majorityMinority(counts []int) (maj, min int) {
	maj, min = -1, -1
	for c, n := range counts {
		if n == 0 {
			continue
		}
		if maj < 0 || n > counts[maj] {
			maj = c
		}
		if min < 0 || n < counts[min] {
			min = c
		}
	}
	return maj, min
}

// Targets converts the strategy into per-class targets for a sampler of
// kind k, given the row count of each class (counts[c] rows of class c;
// classes with no rows are absent, as in imbalanced-learn). The result
// has len(counts) entries, -1 for classes that are not resampled:
//
//   - OverSampling: the number of rows to generate;
//   - UnderSampling: the number of rows to keep;
//   - CleanSampling: the size of the smallest class for each class that
//     may lose rows (imbalanced-learn's value; cleaners only test >= 0).
//
// The rules and errors are imbalanced-learn 0.10's
// check_sampling_strategy. Warnings (a count above the majority's for an
// over-sampler) are passed to warn when it is not nil.
func (s Strategy) Targets(counts []int, k Kind, warn func(string)) ([]int, error) {
	out := make([]int, len(counts))
	for i := range out {
		out[i] = -1
	}
	pres := present(counts)
	if len(pres) <= 1 {
		return nil, fmt.Errorf("balance: the labels need more than 1 class, got %d", len(pres))
	}
	if k != OverSampling && k != UnderSampling && k != CleanSampling {
		return nil, fmt.Errorf("balance: unknown sampler kind %d", k)
	}
	maj, min := majorityMinority(counts)
	nMaj, nMin := counts[maj], counts[min]
	form := s.Form
	if form == Auto {
		if k == OverSampling {
			form = NotMajority
		} else {
			form = NotMinority
		}
	}
	named := func(keep func(c int) bool) {
		for _, c := range pres {
			if !keep(c) {
				continue
			}
			if k == OverSampling {
				out[c] = nMaj - counts[c]
			} else {
				out[c] = nMin
			}
		}
	}
	switch form {
	case Minority:
		if k != OverSampling {
			return nil, fmt.Errorf("balance: strategy \"minority\" cannot be used with an %s sampler", k)
		}
		named(func(c int) bool { return c == min })
	case Majority:
		if k == OverSampling {
			return nil, errors.New("balance: strategy \"majority\" cannot be used with an over-sampler")
		}
		named(func(c int) bool { return c == maj })
	case NotMinority:
		named(func(c int) bool { return c != min })
	case NotMajority:
		named(func(c int) bool { return c != maj })
	case All:
		named(func(int) bool { return true })
	case Ratio:
		if len(pres) != 2 {
			return nil, fmt.Errorf("balance: a ratio strategy (%v) needs exactly 2 classes, got %d; use per-class counts", s.Ratio, len(pres))
		}
		if !(s.Ratio > 0 && s.Ratio <= 1) {
			return nil, fmt.Errorf("balance: ratio %v is outside (0, 1]", s.Ratio)
		}
		switch k {
		case OverSampling:
			for _, c := range pres {
				if c == maj {
					continue
				}
				n := int(float64(nMaj)*s.Ratio - float64(counts[c]))
				if n <= 0 {
					return nil, fmt.Errorf("balance: ratio %v would remove rows from the minority class %d while generating rows; increase the ratio", s.Ratio, c)
				}
				out[c] = n
			}
		case UnderSampling:
			for _, c := range pres {
				if c == min {
					continue
				}
				n := int(float64(nMin) / s.Ratio)
				if n > counts[c] {
					return nil, fmt.Errorf("balance: ratio %v would add rows to class %d while removing rows; increase the ratio", s.Ratio, c)
				}
				out[c] = n
			}
		default:
			return nil, errors.New("balance: cleaning samplers take no ratio; give a list of classes")
		}
	case Counts:
		if k == CleanSampling {
			return nil, errors.New("balance: cleaning samplers take no per-class counts; give a list of classes")
		}
		for _, cc := range s.Counts {
			if cc.Class < 0 || cc.Class >= len(counts) || counts[cc.Class] == 0 {
				return nil, fmt.Errorf("balance: strategy class %d is not present in the data", cc.Class)
			}
			if cc.N < 0 {
				return nil, fmt.Errorf("balance: strategy count %d for class %d is negative", cc.N, cc.Class)
			}
		}
		for _, cc := range s.Counts {
			have := counts[cc.Class]
			if k == OverSampling {
				if cc.N < have {
					return nil, fmt.Errorf("balance: an over-sampler cannot reduce class %d from %d to %d rows", cc.Class, have, cc.N)
				}
				if cc.N > nMaj && warn != nil {
					warn(fmt.Sprintf("after over-sampling, class %d will have %d rows, more than the majority class %d (%d rows)", cc.Class, cc.N, maj, nMaj))
				}
				out[cc.Class] = cc.N - have
			} else {
				if cc.N > have {
					return nil, fmt.Errorf("balance: an under-sampler cannot raise class %d from %d to %d rows", cc.Class, have, cc.N)
				}
				out[cc.Class] = cc.N
			}
		}
	case Classes:
		if k != CleanSampling {
			return nil, fmt.Errorf("balance: a list of classes is only for cleaning samplers, not an %s sampler; give CLASS=N counts", k)
		}
		for _, c := range s.Classes {
			if c < 0 || c >= len(counts) || counts[c] == 0 {
				return nil, fmt.Errorf("balance: strategy class %d is not present in the data", c)
			}
		}
		for _, c := range s.Classes {
			out[c] = nMin
		}
	default:
		return nil, fmt.Errorf("balance: unknown strategy form %d", s.Form)
	}
	return out, nil
}
