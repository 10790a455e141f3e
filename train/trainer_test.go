package train

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cnids/cnids/model"
)

// smallArch is a cnn small enough to train in a test under -race.
func smallArch() model.Arch {
	return model.Arch{Name: "cnn", Conv: []model.ConvBlock{{Filters: 4, Kernel: 3, Stride: 1, Padding: 1, Pool: 2}},
		Dense: []int{16}, Dropout: 0.2}
}

// synthetic returns n rows of width w in 3 classes: each class raises a
// different block of columns above the noise.
func synthetic(n, w int, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 9))
	d := Data{X: make([]float32, n*w), Y: make([]int32, n), Width: w}
	for i := range n {
		c := int32(i % 3)
		d.Y[i] = c
		for j := range w {
			v := 0.2 * rng.Float32()
			if j/(w/3) == int(c) {
				v += 0.6
			}
			d.X[i*w+j] = v
		}
	}
	return d
}

func quickConfig(seed uint64) Config {
	c := DefaultConfig()
	c.Epochs, c.Batch, c.Seed, c.Threads, c.Patience = 4, 32, seed, 2, 0
	return c
}

func newNet(t *testing.T, w, k int, seed uint64) *model.Network[float32] {
	t.Helper()
	net, err := model.Build[float32](smallArch(), w, k, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func TestFitLearnsAndIsDeterministic(t *testing.T) {
	tr, va := synthetic(600, 12, 1), synthetic(150, 12, 2)
	var states [][][]float32
	for run := 0; run < 2; run++ {
		net := newNet(t, 12, 3, 7)
		hist, err := Fit(context.Background(), net, quickConfig(3), tr, va)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist.Epochs) != 4 || hist.Stopped != "epochs" {
			t.Fatalf("history: %d epochs, stopped by %q", len(hist.Epochs), hist.Stopped)
		}
		m, _, err := Validate(net, va, model.SoftmaxCrossEntropy[float32]{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if m.Accuracy < 0.95 {
			t.Fatalf("validation accuracy %.3f after training, want >= 0.95", m.Accuracy)
		}
		best := hist.Epochs[hist.BestEpoch-1].ValMacroF1
		for _, e := range hist.Epochs {
			if e.ValMacroF1 > best {
				t.Fatalf("best epoch %d has macro-F1 %v but epoch %d has %v", hist.BestEpoch, best, e.Epoch, e.ValMacroF1)
			}
		}
		if math.Abs(best-m.Macro.F1) > 1e-12 {
			t.Fatalf("network holds macro-F1 %v, the best epoch had %v: best weights not restored", m.Macro.F1, best)
		}
		states = append(states, net.StateFloat32())
	}
	for i := range states[0] {
		if !slices.Equal(states[0][i], states[1][i]) {
			t.Fatalf("tensor %d differs between two runs with the same seed", i)
		}
	}
}

func TestResumeEqualsStraightRun(t *testing.T) {
	tr, va := synthetic(300, 12, 1), synthetic(90, 12, 2)
	dir := t.TempDir()

	straight := newNet(t, 12, 3, 5)
	cfg := quickConfig(11)
	cfg.Checkpoint = filepath.Join(dir, "a.ckpt")
	ha, err := Fit(context.Background(), straight, cfg, tr, va)
	if err != nil {
		t.Fatal(err)
	}

	first := newNet(t, 12, 3, 5)
	cfg.Checkpoint = filepath.Join(dir, "b.ckpt")
	cfg.Epochs = 2
	if _, err := Fit(context.Background(), first, cfg, tr, va); err != nil {
		t.Fatal(err)
	}
	// A fresh process: a new network (other initial weights even) resumes.
	resumed := newNet(t, 12, 3, 99)
	cfg.Epochs, cfg.Resume = 4, true
	hb, err := Fit(context.Background(), resumed, cfg, tr, va)
	if err != nil {
		t.Fatal(err)
	}
	if len(hb.Epochs) != 4 || hb.BestEpoch != ha.BestEpoch {
		t.Fatalf("resumed history has %d epochs, best %d; straight run best %d", len(hb.Epochs), hb.BestEpoch, ha.BestEpoch)
	}
	a, b := straight.StateFloat32(), resumed.StateFloat32()
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("tensor %d differs between a straight 4-epoch run and 2+2 epochs with resume", i)
		}
	}
	for i := range ha.Epochs {
		if ha.Epochs[i].TrainLoss != hb.Epochs[i].TrainLoss {
			t.Fatalf("epoch %d loss %v straight, %v resumed", i+1, ha.Epochs[i].TrainLoss, hb.Epochs[i].TrainLoss)
		}
	}
}

func TestResumeRejectsOtherArchitecture(t *testing.T) {
	tr := synthetic(90, 12, 1)
	dir := t.TempDir()
	cfg := quickConfig(1)
	cfg.Epochs, cfg.Checkpoint = 1, filepath.Join(dir, "c.ckpt")
	if _, err := Fit(context.Background(), newNet(t, 12, 3, 1), cfg, tr, Data{Width: 12}); err != nil {
		t.Fatal(err)
	}
	other, err := model.Build[float32](model.Arch{Name: "cnn", Conv: []model.ConvBlock{{Filters: 8, Kernel: 3, Stride: 1, Padding: 1, Pool: 2}}, Dense: []int{16}}, 12, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Epochs = true, 2
	if _, err := Fit(context.Background(), other, cfg, tr, Data{Width: 12}); err == nil {
		t.Fatal("resuming a checkpoint of another architecture succeeded")
	}
}

func TestEarlyStopping(t *testing.T) {
	tr := synthetic(300, 12, 1)
	va := synthetic(90, 12, 2)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range va.Y { // labels unrelated to the inputs: no lasting improvement
		va.Y[i] = int32(rng.IntN(3))
	}
	cfg := quickConfig(2)
	cfg.Epochs, cfg.Patience = 40, 2
	hist, err := Fit(context.Background(), newNet(t, 12, 3, 2), cfg, tr, va)
	if err != nil {
		t.Fatal(err)
	}
	if hist.Stopped != "early-stopping" || len(hist.Epochs) >= 40 || len(hist.Epochs)-hist.BestEpoch != 2 {
		t.Fatalf("stopped by %q after %d epochs, best %d", hist.Stopped, len(hist.Epochs), hist.BestEpoch)
	}
}

func TestFitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fit(ctx, newNet(t, 12, 3, 2), quickConfig(1), synthetic(90, 12, 1), Data{Width: 12})
	if err == nil {
		t.Fatal("no error from a cancelled context")
	}
}

func TestFitBadInput(t *testing.T) {
	net := newNet(t, 12, 3, 2)
	good := synthetic(30, 12, 1)
	cases := map[string]func() (Config, Data, Data){
		"zero epochs": func() (Config, Data, Data) { c := quickConfig(1); c.Epochs = 0; return c, good, Data{Width: 12} },
		"bad width":   func() (Config, Data, Data) { return quickConfig(1), synthetic(30, 9, 1), Data{Width: 12} },
		"label out of range": func() (Config, Data, Data) {
			d := synthetic(30, 12, 1)
			d.Y[3] = 7
			return quickConfig(1), d, Data{Width: 12}
		},
		"weights count": func() (Config, Data, Data) {
			c := quickConfig(1)
			c.ClassWeights = []float64{1, 2}
			return c, good, Data{Width: 12}
		},
		"optimizer": func() (Config, Data, Data) {
			c := quickConfig(1)
			c.Optimizer = "lbfgs"
			return c, good, Data{Width: 12}
		},
		"no rows": func() (Config, Data, Data) { return quickConfig(1), Data{Width: 12}, Data{Width: 12} },
	}
	for name, mk := range cases {
		c, tr, va := mk()
		if _, err := Fit(context.Background(), net, c, tr, va); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestClassWeights(t *testing.T) {
	// inverse: n/(k*n_c) with n = 100, k = 3 present classes.
	w, err := ClassWeights([]int{50, 40, 10, 0}, "inverse")
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{100.0 / 150, 100.0 / 120, 100.0 / 30, 0}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-12 {
			t.Fatalf("inverse weights %v, want %v", w, want)
		}
	}
	// effective: (1-b)/(1-b^n) normalised to sum to k = 2.
	w, err = ClassWeights([]int{1000, 10}, "effective")
	if err != nil {
		t.Fatal(err)
	}
	b := 0.9999
	e0, e1 := (1-b)/(1-math.Pow(b, 1000)), (1-b)/(1-math.Pow(b, 10))
	if math.Abs(w[0]-2*e0/(e0+e1)) > 1e-12 || math.Abs(w[1]-2*e1/(e0+e1)) > 1e-12 || w[1] <= w[0] {
		t.Fatalf("effective weights %v", w)
	}
	if _, err := ClassWeights([]int{0, 0}, "inverse"); err == nil {
		t.Fatal("no error for an empty dataset")
	}
	if _, err := ClassWeights([]int{1, 2}, "sqrt"); err == nil {
		t.Fatal("no error for an unknown method")
	}
}
