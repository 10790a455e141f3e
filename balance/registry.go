package balance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"gorgonia.org/tensor"
)

// Resampler resamples an encoded training matrix (rows x columns,
// float32, row-major) and its labels. It has the method set of the
// trainer's train.Balancer. Every Resampler here is reproducible: the
// same input and the same seeded rng give the same output, bit for bit.
type Resampler interface {
	Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error)
}

// Options configures New.
type Options struct {
	// Strategy is the sampling strategy in ParseStrategy's syntax; empty
	// means "auto". For the hybrids it is the over-sampler's.
	Strategy string
	// Classes are the class names in index order, so that Strategy may
	// name classes (for example "U2R=1000").
	Classes []string
	// K is the number of neighbours: k_neighbors for the SMOTE family (5),
	// n_neighbors for ADASYN (5) and ENN (3); 0 means the default.
	K int
	// M is borderline-SMOTE's m_neighbors; 0 means 10.
	M int
	// KindSel is ENN's rule, "all" (default) or "mode".
	KindSel string
	// OneHotGroups are the one-hot column groups of the encoding
	// (features.Encoder.OneHotGroups); SMOTE-family methods and the GAN
	// keep synthetic rows valid one-hot rows when they are given.
	OneHotGroups [][]int
	// Categorical is the SMOTE family's handling of OneHotGroups: CatNC
	// (default), CatSnap or CatNone.
	Categorical string
	// Workers is the number of goroutines for neighbour searches; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// GAN configures the GAN; zero fields take their defaults.
	GAN GANConfig
	// Warn, when not nil, receives warnings (such as a class too small
	// for K neighbours).
	Warn func(string)
}

// method is a registered method name and its aliases.
type method struct {
	name    string
	aliases []string
}

// methods lists the registered methods.
func methods() []method {
	return []method{
		{"ros", []string{"random-over", "randomoversampler"}},
		{"rus", []string{"random-under", "randomundersampler"}},
		{"smote", nil},
		{"borderline-smote1", []string{"borderline1", "borderline-smote", "bsmote1"}},
		{"borderline-smote2", []string{"borderline2", "bsmote2"}},
		{"adasyn", nil},
		{"enn", []string{"edited-nearest-neighbours"}},
		{"tomek", []string{"tomek-links", "tomeklinks"}},
		{"smote-enn", []string{"smoteenn"}},
		{"smote-tomek", []string{"smotetomek"}},
		{"gan", []string{"wgan", "cgan"}},
	}
}

// Methods returns the names New accepts, in a fixed order (aliases not
// included).
func Methods() []string {
	ms := methods()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.name
	}
	return out
}

// canonical resolves a method name or alias, ignoring case and "_".
func canonical(method string) (string, bool) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(method)), "_", "-")
	for _, m := range methods() {
		if n == m.name || slices.Contains(m.aliases, n) {
			return m.name, true
		}
	}
	return "", false
}

// New returns the resampler of a method (see Methods) configured by opt.
func New(method string, opt Options) (Resampler, error) {
	name, ok := canonical(method)
	if !ok {
		return nil, fmt.Errorf("balance: unknown method %q (want one of %s)", method, strings.Join(Methods(), ", "))
	}
	st, err := ParseStrategy(opt.Strategy, opt.Classes)
	if err != nil {
		return nil, err
	}
	if opt.K < 0 || opt.M < 0 {
		return nil, fmt.Errorf("balance: negative neighbour count (k %d, m %d)", opt.K, opt.M)
	}
	kn := KNN{Workers: opt.Workers}
	smote := SMOTE{Strategy: st, K: opt.K, OneHotGroups: opt.OneHotGroups, Categorical: opt.Categorical, KNN: kn, Warn: opt.Warn}
	switch name {
	case "ros":
		return &ROS{Strategy: st, Warn: opt.Warn}, nil
	case "rus":
		return &RUS{Strategy: st, Warn: opt.Warn}, nil
	case "smote":
		return &smote, nil
	case "borderline-smote1", "borderline-smote2":
		kind := 1
		if name == "borderline-smote2" {
			kind = 2
		}
		return &BorderlineSMOTE{Kind: kind, Strategy: st, K: opt.K, M: opt.M, OneHotGroups: opt.OneHotGroups,
			Categorical: opt.Categorical, KNN: kn, Warn: opt.Warn}, nil
	case "adasyn":
		return &ADASYN{Strategy: st, K: opt.K, OneHotGroups: opt.OneHotGroups, Categorical: opt.Categorical, KNN: kn, Warn: opt.Warn}, nil
	case "enn":
		return &ENN{Strategy: st, K: opt.K, KindSel: opt.KindSel, KNN: kn, Warn: opt.Warn}, nil
	case "tomek":
		return &Tomek{Strategy: st, KNN: kn, Warn: opt.Warn}, nil
	case "smote-enn":
		return &SMOTEENN{SMOTE: smote, ENN: ENN{Strategy: Strategy{Form: All}, KindSel: opt.KindSel, KNN: kn, Warn: opt.Warn}}, nil
	case "smote-tomek":
		return &SMOTETomek{SMOTE: smote, Tomek: Tomek{Strategy: Strategy{Form: All}, KNN: kn, Warn: opt.Warn}}, nil
	case "gan":
		return &GAN{Strategy: st, OneHotGroups: opt.OneHotGroups, Config: opt.GAN, Warn: opt.Warn}, nil
	}
	return nil, fmt.Errorf("balance: method %q is not implemented", name)
}
