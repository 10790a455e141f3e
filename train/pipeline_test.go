package train

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"

	"gorgonia.org/tensor"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
)

// kddSample reads KDDTrain+_20Percent from ../shared and returns a
// stratified sample of about n rows.
func kddSample(t *testing.T, n int) *features.Frame {
	t.Helper()
	path := sharedtest.Path(t, "datasets", "nsl-kdd", "KDDTrain+_20Percent.txt.gz")
	f, _, err := dataset.ReadFile(path, dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	_, keep, err := StratifiedSplit(f.Y, float64(n)/float64(f.Len()), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return f.Subset(keep)
}

func quickPipeline() *Pipeline {
	cfg := quickConfig(3)
	cfg.Epochs, cfg.Batch, cfg.LR = 3, 32, 0.005
	return &Pipeline{
		Encoder:   features.EncoderConfig{Scale: "minmax", Log1p: true, Clip: true},
		Arch:      smallArch(),
		Train:     cfg,
		ValidFrac: 0.25,
		TargetFAR: 0.02,
	}
}

// The model file round-trips: evaluating after Save and Load gives
// bit-identical predictions and probabilities.
func TestPipelineFitSaveLoadRoundTrip(t *testing.T) {
	f := kddSample(t, 3000)
	out, err := quickPipeline().Fit(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := out.File.Header
	if h.Classes[h.NormalClass] != "normal" || h.Threshold <= 0 || h.Threshold >= 1 {
		t.Fatalf("header: normal class %d of %v, threshold %v", h.NormalClass, h.Classes, h.Threshold)
	}
	if out.Operating.FalseAlarmRate > 0.02 {
		t.Fatalf("validation false-alarm rate %v above the 0.02 target", out.Operating.FalseAlarmRate)
	}
	if h.Semantics.Family != "nsl-kdd" || h.Semantics.Compatible(features.KDDSemantics()) != nil {
		t.Fatalf("semantics %+v", h.Semantics)
	}
	if out.Valid.Accuracy < 0.9 {
		t.Fatalf("validation accuracy %.3f", out.Valid.Accuracy)
	}
	path := filepath.Join(t.TempDir(), "m.model")
	if err := out.File.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	before, err := EvaluateFile(out.File, f, 2)
	if err != nil {
		t.Fatal(err)
	}
	after, err := EvaluateFile(loaded, f, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before.Pred, after.Pred) || !slices.Equal(before.Probs, after.Probs) {
		t.Fatal("predictions differ after saving and loading the model")
	}
	if before.Hard == nil || before.Operating == nil {
		t.Fatal("evaluation lacks the difficulty<21 view or the operating point")
	}
	if loaded.Header.Training.Seed != 3 || loaded.Header.Training.ValidRows == 0 || len(loaded.Header.Training.Validation) == 0 {
		t.Fatalf("training metadata lost: %+v", loaded.Header.Training)
	}
}

func TestEvaluateFileRejectsOtherClasses(t *testing.T) {
	f := kddSample(t, 800)
	out, err := quickPipeline().Fit(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := f.Subset([]int{0, 1, 2})
	g.Classes = []string{"normal", "attack"}
	if _, err := EvaluateFile(out.File, g, 1); err == nil {
		t.Fatal("evaluating binary-labelled rows with a 5-class model succeeded")
	}
}

func TestCrossValidateSmall(t *testing.T) {
	f := kddSample(t, 1200)
	p := quickPipeline()
	res, err := p.CrossValidate(context.Background(), f, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) != 6 || res.Summary.Folds != 6 || res.Hard == nil {
		t.Fatalf("%d folds, summary of %d, hard summary %v", len(res.Folds), res.Summary.Folds, res.Hard != nil)
	}
	// Every row is held out once per repeat.
	if got := res.Confusion.Total(); got != int64(2*f.Len()) {
		t.Fatalf("summed confusion matrix counts %d rows, want 2 x %d", got, f.Len())
	}
	if res.Summary.Accuracy.Mean < 0.8 || res.Summary.Accuracy.SD < 0 {
		t.Fatalf("accuracy %v", res.Summary.Accuracy)
	}
}

// duplicate is a trivial Balancer for the hook: it repeats every row.
type duplicate struct{}

func (duplicate) Resample(x *tensor.Dense, y []int32, _ *rand.Rand) (*tensor.Dense, []int32, error) {
	d := x.Data().([]float32)
	xs := append(slices.Clone(d), d...)
	return tensor.New(tensor.WithShape(2*len(y), len(d)/len(y)), tensor.WithBacking(xs)), append(slices.Clone(y), y...), nil
}

func TestPipelineBalancerHook(t *testing.T) {
	f := kddSample(t, 800)
	p := quickPipeline()
	p.BalanceName = "duplicate"
	p.Balance = func(enc *features.Encoder, classes []string) (Balancer, error) {
		if enc.Width() == 0 || len(classes) != 5 {
			t.Errorf("balance factory got width %d, classes %v", enc.Width(), classes)
		}
		return duplicate{}, nil
	}
	out, err := p.Fit(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range out.TrainCounts {
		if out.BalancedCounts[i] != 2*out.TrainCounts[i] {
			t.Fatalf("balanced counts %v, training counts %v", out.BalancedCounts, out.TrainCounts)
		}
	}
	if out.File.Header.Training.Balance != "duplicate" || !slices.Equal(out.File.Header.Training.BalancedCounts, out.BalancedCounts) {
		t.Fatalf("model records balance %q %v", out.File.Header.Training.Balance, out.File.Header.Training.BalancedCounts)
	}
}

// The threshold comes from the false-alarm target only when the
// validation rows hold enough normal rows to measure it; otherwise it is
// 0.5, with a warning.
func TestPipelineThresholdNeedsNormals(t *testing.T) {
	if n := MinNormalsForFAR(0.01); n != 1000 {
		t.Fatalf("MinNormalsForFAR(0.01) = %d, want 1000", n)
	}
	f := kddSample(t, 3000)
	normals := 0
	for _, y := range f.Y {
		if f.Classes[y] == "normal" {
			normals++
		}
	}
	valid := normals / 4 // ValidFrac 0.25, stratified
	for _, far := range []float64{0.2, 0.0005} {
		p := quickPipeline()
		p.TargetFAR = far
		var log strings.Builder
		p.Log = &log
		out, err := p.Fit(context.Background(), f, nil)
		if err != nil {
			t.Fatal(err)
		}
		th := out.File.Header.Threshold
		warned := strings.Contains(log.String(), "cannot measure a false-alarm rate")
		if valid >= MinNormalsForFAR(far) {
			if warned || out.Operating.FalseAlarmRate > far {
				t.Errorf("FAR %g with ~%d normal rows: threshold %v, FAR %v, warned %v", far, valid, th, out.Operating.FalseAlarmRate, warned)
			}
		} else if th != 0.5 || !warned {
			t.Errorf("FAR %g with ~%d normal rows (need %d): threshold %v, warned %v", far, valid, MinNormalsForFAR(far), th, warned)
		}
	}
}
