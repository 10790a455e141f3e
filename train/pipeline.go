package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"gorgonia.org/tensor"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
)

// Balancer resamples encoded training rows (rows x columns, float32) and
// their labels. It is applied to training rows only, after encoding and
// before training; never to validation or test rows.
type Balancer interface {
	Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error)
}

// Pipeline is a complete training recipe: encoding, balancing, the
// network, the training loop and the choice of the alert threshold. The
// same recipe serves a single fit and every fold of a cross-validation.
type Pipeline struct {
	// Encoder configures the encoder fitted on the training rows.
	Encoder features.EncoderConfig
	// Arch is the network architecture.
	Arch model.Arch
	// Train configures the training loop; Train.Seed seeds everything.
	Train Config
	// Balance returns the resampler of the encoded training rows, given
	// the fitted encoder (whose OneHotGroups keep synthetic rows valid)
	// and the class names; nil uses the rows as they are.
	Balance func(enc *features.Encoder, classes []string) (Balancer, error)
	// BalanceName names the balancing method for reports and the model
	// file ("none" when Balance is nil).
	BalanceName string
	// ClassWeighting, when "inverse" or "effective", weights the loss by
	// the training class counts (see ClassWeights).
	ClassWeighting string
	// ValidFrac is the stratified fraction of the training rows held out
	// for validation (early stopping and the threshold) when no validation
	// frame is given.
	ValidFrac float64
	// TargetFAR is the false-alarm rate the alert threshold is chosen for,
	// on validation rows. With fewer normal validation rows than
	// MinNormalsForFAR(TargetFAR) the rate cannot be measured, and the
	// threshold is 0.5 instead.
	TargetFAR float64
	// Log receives progress lines; nil is silent.
	Log io.Writer
}

// Outcome is the result of Pipeline.Fit.
type Outcome struct {
	// File is the trained model, ready to save.
	File *model.File
	// History is the training history.
	History History
	// Valid holds the validation metrics (argmax decisions).
	Valid Metrics
	// Operating is the validation operating point of the alert threshold.
	Operating OperatingPoint
	// TrainCounts and BalancedCounts are the training rows per class
	// before and after balancing.
	TrainCounts, BalancedCounts []int
	// BalanceSeconds is the time the resampling took.
	BalanceSeconds float64
	// Stats are the encoder's statistics on the training rows.
	Stats features.TransformStats
}

func (p *Pipeline) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(p.Train.Seed, stream))
}

// Random streams of a run, so that each random choice has its own
// sequence and adding one never shifts another.
const (
	streamSplit = iota + 1
	streamEncoder
	streamBalance
	streamInit
	streamFolds
)

// normalClass returns the index of the benign class: the class named
// "normal" in any capitalisation, else class 0.
func normalClass(classes []string) int {
	for i, c := range classes {
		if c == "normal" || c == "Normal" {
			return i
		}
	}
	return 0
}

// Resample applies b to encoded rows with the random stream that a
// pipeline seeded with seed gives its balancing step, so that a
// stand-alone resampling (cnids-train balance) gives the rows a fit would
// train on.
func Resample(b Balancer, d Data, seed uint64) (*tensor.Dense, []int32, error) {
	x := tensor.New(tensor.WithShape(d.Rows(), d.Width), tensor.WithBacking(d.X))
	return b.Resample(x, d.Y, rand.New(rand.NewPCG(seed, streamBalance)))
}

// Encode transforms a frame with enc into training Data.
func Encode(enc *features.Encoder, f *features.Frame) (Data, features.TransformStats, error) {
	x, st, err := enc.Transform(f)
	if err != nil {
		return Data{}, st, err
	}
	return Data{X: x.Data().([]float32), Y: slices.Clone(f.Y), Width: enc.Width()}, st, nil
}

// Fit trains a model on train. Validation uses valid when it is not nil,
// otherwise a stratified ValidFrac of train (which is then not trained
// on). The encoder is fitted on the training rows only.
func (p *Pipeline) Fit(ctx context.Context, train, valid *features.Frame) (*Outcome, error) {
	if train == nil || train.Len() == 0 {
		return nil, errors.New("train: no training rows")
	}
	start := time.Now()
	if valid == nil && p.ValidFrac > 0 {
		tr, va, err := StratifiedSplit(train.Y, p.ValidFrac, p.rng(streamSplit))
		if err != nil {
			return nil, err
		}
		train, valid = train.Subset(tr), train.Subset(va)
	}
	enc, err := features.Fit(train, p.Encoder, p.rng(streamEncoder))
	if err != nil {
		return nil, err
	}
	tr, stats, err := Encode(enc, train)
	if err != nil {
		return nil, err
	}
	var va Data
	va.Width = enc.Width()
	if valid != nil {
		if !slices.Equal(valid.Classes, train.Classes) {
			return nil, fmt.Errorf("train: validation classes %v differ from training classes %v", valid.Classes, train.Classes)
		}
		if va, _, err = Encode(enc, valid); err != nil {
			return nil, err
		}
	}
	classes := train.Classes
	out := &Outcome{TrainCounts: countClasses(tr.Y, len(classes)), Stats: stats}
	if p.Balance != nil {
		bal, err := p.Balance(enc, classes)
		if err != nil {
			return nil, fmt.Errorf("train: balance (%s): %w", p.BalanceName, err)
		}
		t0 := time.Now()
		xb, yb, err := Resample(bal, tr, p.Train.Seed)
		if err != nil {
			return nil, fmt.Errorf("train: balance (%s): %w", p.BalanceName, err)
		}
		tr = Data{X: xb.Data().([]float32), Y: yb, Width: tr.Width}
		out.BalanceSeconds = time.Since(t0).Seconds()
		p.logf("balance %s: %v -> %v rows per class (%.1fs)", p.BalanceName, out.TrainCounts, countClasses(yb, len(classes)), out.BalanceSeconds)
	}
	out.BalancedCounts = countClasses(tr.Y, len(classes))

	net, err := model.Build[float32](p.Arch, enc.Width(), len(classes), p.rng(streamInit))
	if err != nil {
		return nil, err
	}
	cfg := p.Train
	if p.ClassWeighting != "" && p.ClassWeighting != "none" {
		if cfg.ClassWeights, err = ClassWeights(out.BalancedCounts, p.ClassWeighting); err != nil {
			return nil, err
		}
	}
	p.logf("train %s: %d rows x %d columns, %d validation rows, %d parameters, %.2f MFLOP/row",
		p.Arch.Name, tr.Rows(), tr.Width, va.Rows(), net.NumParams(), float64(net.FLOPs())/1e6)
	hist, err := Fit(ctx, net, cfg, tr, va)
	out.History = hist
	if err != nil {
		return out, err
	}

	normal := normalClass(classes)
	hdr := model.Header{
		Classes:     slices.Clone(classes),
		NormalClass: normal,
		Encoder:     enc,
		Semantics:   features.DatasetSemantics(enc.Schema().Name),
		Training: model.Training{
			Dataset:      enc.Schema().Name,
			TrainRows:    train.Len(),
			ClassCounts:  out.TrainCounts,
			Seed:         p.Train.Seed,
			Balance:      p.balanceName(),
			Optimizer:    orDefault(cfg.Optimizer, "adam"),
			LearningRate: cfg.LR,
			BatchSize:    cfg.Batch,
			Epochs:       len(hist.Epochs),
			BestEpoch:    hist.BestEpoch,
			TargetFAR:    p.TargetFAR,
			Created:      time.Now().UTC(),
			Program:      fmt.Sprintf("cnids-train (%s)", runtime.Version()),
		},
	}
	if p.Balance != nil {
		hdr.Training.BalancedCounts = out.BalancedCounts
	}
	if va.Rows() > 0 {
		hdr.Training.ValidRows = va.Rows()
		probs, err := Predict(net, va, cfg.Threads)
		if err != nil {
			return out, err
		}
		m, err := Evaluate(va.Y, Argmax(probs, len(classes)), probs, len(classes))
		if err != nil {
			return out, err
		}
		if err := m.SetNormalClass(normal); err != nil {
			return out, err
		}
		out.Valid = m
		if hasClass(va.Y, normal) {
			scores, err := AttackScores(nil, probs, len(classes), normal)
			if err != nil {
				return out, err
			}
			isNormal := make([]bool, va.Rows())
			normals := 0
			for i, y := range va.Y {
				isNormal[i] = int(y) == normal
				if isNormal[i] {
					normals++
				}
			}
			th := 0.5
			if need := MinNormalsForFAR(p.TargetFAR); normals >= need {
				if th, _, _, err = ThresholdForFAR(scores, isNormal, p.TargetFAR); err != nil {
					return out, err
				}
			} else {
				p.logf("warning: %d normal validation rows cannot measure a false-alarm rate of %g (that needs %d); the alert threshold is 0.5",
					normals, p.TargetFAR, need)
			}
			if out.Operating, err = DetectionAt(scores, isNormal, th); err != nil {
				return out, err
			}
			hdr.Threshold = th
			hdr.Training.ValidFAR = out.Operating.FalseAlarmRate
			hdr.Training.ValidDetection = out.Operating.DetectionRate
		} else {
			hdr.Threshold = 0.5
		}
		if hdr.Training.Validation, err = json.Marshal(m); err != nil {
			return out, fmt.Errorf("train: encode validation metrics: %w", err)
		}
	} else {
		hdr.Threshold = 0.5
	}
	hdr.Training.Seconds = time.Since(start).Seconds()
	out.File = &model.File{Header: hdr, Net: net}
	return out, nil
}

func (p *Pipeline) balanceName() string {
	if p.Balance == nil {
		if p.ClassWeighting != "" && p.ClassWeighting != "none" {
			return "class-weight:" + p.ClassWeighting
		}
		return "none"
	}
	return orDefault(p.BalanceName, "custom")
}

// MinNormalsForFAR is the number of normal validation rows needed to
// choose a threshold for the false-alarm rate far: enough rows for ten
// false alarms at that rate (1,000 for 1%). With fewer, the highest
// normal score decides the threshold, and an over-confident model puts it
// near 0, where almost every unseen normal flow alerts.
func MinNormalsForFAR(far float64) int {
	if far <= 0 {
		return math.MaxInt
	}
	return int(math.Ceil(10 / far))
}

func (p *Pipeline) logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, format+"\n", args...)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func countClasses(y []int32, k int) []int {
	n := make([]int, k)
	for _, c := range y {
		n[c]++
	}
	return n
}

func hasClass(y []int32, c int) bool {
	for _, v := range y {
		if int(v) == c {
			return true
		}
	}
	return false
}

// Evaluation is the result of evaluating a model on labelled rows.
type Evaluation struct {
	// Metrics are the argmax-decision metrics, with the normal-versus-
	// attack view set.
	Metrics Metrics `json:"metrics"`
	// Operating is the alert decision at the model's threshold; nil when
	// the rows hold no normal row.
	Operating *OperatingPoint `json:"operating_point,omitempty"`
	// Hard holds the metrics on the rows with NSL-KDD difficulty below 21
	// (built like KDDTest-21), when the rows carry difficulty levels.
	Hard *Metrics `json:"hard,omitempty"`
	// Stats are the encoder's counts (unseen symbols, imputed and clipped
	// values) on the rows.
	Stats features.TransformStats `json:"encoder_stats"`
	// Pred and Probs are the per-row predictions and class probabilities.
	Pred  []int32   `json:"-"`
	Probs []float32 `json:"-"`
}

// EvaluateFile evaluates a model on a labelled frame read with the model's
// classes.
func EvaluateFile(f *model.File, frame *features.Frame, threads int) (*Evaluation, error) {
	classes := f.Header.Classes
	if !slices.Equal(frame.Classes, classes) {
		return nil, fmt.Errorf("train: %s is labelled %v, the model predicts %v", frame.Source, frame.Classes, classes)
	}
	d, stats, err := Encode(f.Encoder(), frame)
	if err != nil {
		return nil, err
	}
	probs, err := Predict(f.Net, d, threads)
	if err != nil {
		return nil, err
	}
	k := len(classes)
	pred := Argmax(probs, k)
	ev := &Evaluation{Stats: stats, Pred: pred, Probs: probs}
	if ev.Metrics, err = Evaluate(d.Y, pred, probs, k); err != nil {
		return nil, err
	}
	if err := ev.Metrics.SetNormalClass(f.Header.NormalClass); err != nil {
		return nil, err
	}
	if hasClass(d.Y, f.Header.NormalClass) {
		scores, err := AttackScores(nil, probs, k, f.Header.NormalClass)
		if err != nil {
			return nil, err
		}
		isNormal := make([]bool, len(d.Y))
		for i, y := range d.Y {
			isNormal[i] = int(y) == f.Header.NormalClass
		}
		op, err := DetectionAt(scores, isNormal, f.Header.Threshold)
		if err != nil {
			return nil, err
		}
		ev.Operating = &op
	}
	if frame.Difficulty != nil {
		var yt, yp []int32
		var pr []float32
		for i, dlev := range frame.Difficulty {
			if dlev < 21 {
				yt = append(yt, d.Y[i])
				yp = append(yp, pred[i])
				pr = append(pr, probs[i*k:(i+1)*k]...)
			}
		}
		if len(yt) > 0 {
			h, err := Evaluate(yt, yp, pr, k)
			if err != nil {
				return nil, err
			}
			ev.Hard = &h
		}
	}
	return ev, nil
}

// FoldResult is the outcome of one cross-validation fold.
type FoldResult struct {
	// Repeat and Fold number the fold (from 1).
	Repeat int `json:"repeat"`
	Fold   int `json:"fold"`
	// Eval is the evaluation on the held-out fold.
	Eval *Evaluation `json:"eval"`
	// History is the fold's training history.
	History History `json:"history"`
	// TrainCounts and BalancedCounts are the fold's training rows per
	// class before and after balancing; BalanceSeconds the time balancing
	// took.
	TrainCounts    []int   `json:"train_counts"`
	BalancedCounts []int   `json:"balanced_counts"`
	BalanceSeconds float64 `json:"balance_seconds"`
	// Seconds is the fold's wall time.
	Seconds float64 `json:"seconds"`
}

// CVResult is the outcome of CrossValidate.
type CVResult struct {
	// Folds holds every fold's result in order.
	Folds []FoldResult `json:"folds"`
	// Summary summarises the held-out metrics over folds.
	Summary *CVSummary `json:"summary"`
	// Hard summarises the metrics on each fold's rows of difficulty below
	// 21, when the data has difficulty levels.
	Hard *CVSummary `json:"hard,omitempty"`
	// Confusion is the sum of the folds' confusion matrices.
	Confusion ConfusionMatrix `json:"confusion_matrix"`
}

// CrossValidate runs repeated stratified k-fold cross-validation of the
// pipeline on frame: each fold is held out once, the pipeline is fitted on
// the others (with its own stratified validation split for early stopping
// and the threshold), and the held-out fold is evaluated.
func (p *Pipeline) CrossValidate(ctx context.Context, frame *features.Frame, folds, repeats int) (*CVResult, error) {
	if repeats < 1 {
		return nil, fmt.Errorf("train: cross-validation repeats %d < 1", repeats)
	}
	plan, err := RepeatedStratifiedKFold(frame.Y, folds, repeats, p.rng(streamFolds))
	if err != nil {
		return nil, err
	}
	res := &CVResult{}
	if res.Confusion, err = NewConfusionMatrix(len(frame.Classes)); err != nil {
		return nil, err
	}
	var all, hard []Metrics
	for r, rep := range plan {
		for k := range rep {
			t0 := time.Now()
			trIdx, err := TrainIndices(k, rep)
			if err != nil {
				return nil, err
			}
			q := *p
			q.Train.Seed = p.Train.Seed + uint64(r*len(rep)+k)*7919
			q.Train.Checkpoint = ""
			p.logf("fold %d/%d of repeat %d/%d: %d training rows, %d held out", k+1, len(rep), r+1, len(plan), len(trIdx), len(rep[k]))
			out, err := q.Fit(ctx, frame.Subset(trIdx), nil)
			if err != nil {
				return nil, fmt.Errorf("train: fold %d of repeat %d: %w", k+1, r+1, err)
			}
			ev, err := EvaluateFile(out.File, frame.Subset(rep[k]), p.Train.Threads)
			if err != nil {
				return nil, err
			}
			if err := res.Confusion.Merge(ev.Metrics.Confusion); err != nil {
				return nil, err
			}
			all = append(all, ev.Metrics)
			if ev.Hard != nil {
				hard = append(hard, *ev.Hard)
			}
			fr := FoldResult{Repeat: r + 1, Fold: k + 1, Eval: ev, History: out.History, TrainCounts: out.TrainCounts,
				BalancedCounts: out.BalancedCounts, BalanceSeconds: out.BalanceSeconds, Seconds: time.Since(t0).Seconds()}
			res.Folds = append(res.Folds, fr)
			p.logf("fold %d/%d of repeat %d: accuracy %.4f macro-F1 %.4f (%.0fs)", k+1, len(rep), r+1,
				ev.Metrics.Accuracy, ev.Metrics.Macro.F1, fr.Seconds)
		}
	}
	if res.Summary, err = Summarize(all, frame.Classes); err != nil {
		return nil, err
	}
	if len(hard) == len(all) {
		if res.Hard, err = Summarize(hard, frame.Classes); err != nil {
			return nil, err
		}
	}
	return res, nil
}
