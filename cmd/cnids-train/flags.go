package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/cnids/cnids/balance"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/train"
)

// readOpts are the flags that select how dataset files are read.
type readOpts struct {
	dataset string
	labels  string
	skipBad bool
}

func (r *readOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&r.dataset, "dataset", "nsl-kdd", "dataset family: nsl-kdd, unsw-nb15 or bot-iot")
	fs.StringVar(&r.labels, "labels", "", "label mode: category (default for nsl-kdd, bot-iot), attack_cat (unsw-nb15), binary, attack (nsl-kdd), subcategory (bot-iot)")
	fs.BoolVar(&r.skipBad, "skip-bad", false, "skip bad rows (counted and reported) instead of stopping at the first")
}

func (r *readOpts) options() dataset.Options {
	return dataset.Options{Family: r.dataset, Labels: r.labels, SkipBad: r.skipBad}
}

// read reads dataset files and reports skipped rows on log.
func (r *readOpts) read(paths []string, log io.Writer) (*features.Frame, []model.DatasetFile, error) {
	frame, rep, err := dataset.ReadFiles(paths, r.options())
	if err != nil {
		return nil, nil, err
	}
	if rep.Skipped > 0 || len(rep.Missing) > 0 || len(rep.NonFinite) > 0 {
		fmt.Fprint(log, rep.String())
	}
	files := make([]model.DatasetFile, len(paths))
	for i, p := range paths {
		sum, err := digest(p)
		if err != nil {
			return nil, nil, err
		}
		files[i] = model.DatasetFile{Name: p, SHA256: sum}
	}
	// Rows per file, from the frame's line numbers restarting at each file.
	fi := 0
	prev := int32(-1)
	for _, ln := range frame.Line {
		if ln <= prev && fi+1 < len(files) {
			fi++
		}
		files[fi].Rows++
		prev = ln
	}
	return frame, files, nil
}

func digest(path string) (string, error) {
	if path == "-" {
		return "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pipeOpts are the flags of a training recipe, shared by fit and cv.
type pipeOpts struct {
	arch        string
	conv        string
	dense       string
	lstm        int
	dropout     float64
	batchNorm   bool
	scale       string
	log1p       bool
	clip        bool
	selectPct   float64
	cfg         train.Config
	validSplit  float64
	targetFAR   float64
	classWeight string
	threads     int
	progress    bool
	configFile  string
	balance     string
	strategy    string
	kNeighbors  int
	categorical string
	ganSteps    int
}

func (p *pipeOpts) register(fs *flag.FlagSet) {
	d := train.DefaultConfig()
	p.cfg = d
	fs.StringVar(&p.configFile, "config", "", "YAML file of flag settings (keys are flag names)")
	fs.StringVar(&p.arch, "arch", "cnn", "architecture: cnn or cnn-lstm")
	fs.StringVar(&p.conv, "conv", "", "convolution blocks as filters:kernel:pool,... (default 32:3:2,64:3:2)")
	fs.StringVar(&p.dense, "dense", "", "hidden dense widths, comma-separated (default 128)")
	fs.IntVar(&p.lstm, "lstm-hidden", 0, "LSTM hidden size for cnn-lstm (default 64)")
	fs.Float64Var(&p.dropout, "dropout", -1, "dropout after hidden dense layers (default 0.5)")
	fs.BoolVar(&p.batchNorm, "batch-norm", false, "add BatchNorm after each convolution")
	fs.StringVar(&p.scale, "scale", "minmax", "scaling: minmax, standard or none")
	fs.BoolVar(&p.log1p, "log1p", true, "apply log1p to heavy-tailed counts (bytes, durations, counts) before scaling")
	fs.BoolVar(&p.clip, "clip-inputs", true, "clip scaled values to the training range at inference")
	fs.Float64Var(&p.selectPct, "select-percentile", 100, "keep this percentile of encoded columns by mutual information (100 keeps all)")
	fs.IntVar(&p.cfg.Epochs, "epochs", d.Epochs, "maximum epochs")
	fs.IntVar(&p.cfg.Batch, "batch", d.Batch, "mini-batch size")
	fs.StringVar(&p.cfg.Optimizer, "optimizer", d.Optimizer, "optimizer: adam or sgd")
	fs.Float64Var(&p.cfg.LR, "lr", d.LR, "learning rate")
	fs.Float64Var(&p.cfg.Momentum, "momentum", d.Momentum, "SGD momentum")
	fs.Float64Var(&p.cfg.WeightDecay, "weight-decay", 0, "weight decay (decoupled for Adam)")
	fs.Float64Var(&p.cfg.Clip, "clip", 0, "clip the global gradient norm at this value (0: off)")
	fs.StringVar(&p.cfg.Schedule, "schedule", d.Schedule, "learning-rate schedule: none, cosine or plateau")
	fs.IntVar(&p.cfg.Patience, "patience", d.Patience, "stop after this many epochs without validation improvement (0: off)")
	fs.StringVar(&p.cfg.Monitor, "monitor", d.Monitor, "validation value for early stopping: macro-f1 or loss")
	fs.Uint64Var(&p.cfg.Seed, "seed", d.Seed, "seed of every random choice")
	fs.Float64Var(&p.validSplit, "valid-split", 0.2, "stratified fraction of the training rows held out for validation")
	fs.Float64Var(&p.targetFAR, "target-far", 0.01, "false-alarm rate the alert threshold is chosen for, on validation rows")
	fs.StringVar(&p.classWeight, "class-weight", "none", "loss weighting: none, inverse or effective")
	fs.StringVar(&p.balance, "balance", "none", "resample the encoded training rows: none, "+strings.Join(balance.Methods(), ", ")+
		", or class-weight (an inverse-frequency weighted loss instead of resampling)")
	fs.StringVar(&p.strategy, "sampling-strategy", "auto", "imbalanced-learn sampling strategy: auto, minority, not minority, not majority, all, a ratio (two classes), or class=count,... ")
	fs.IntVar(&p.kNeighbors, "k-neighbors", 0, "neighbours of the SMOTE family, ADASYN and ENN (0: their defaults 5, 5 and 3)")
	fs.StringVar(&p.categorical, "categorical", "nc", "one-hot columns of synthetic rows: nc (SMOTE-NC: most frequent among the neighbours), snap (largest entry) or none (interpolated, invalid rows)")
	fs.IntVar(&p.ganSteps, "gan-steps", 0, "GAN training steps (0: the default)")
	fs.IntVar(&p.threads, "threads", 0, "threads (0: all cores)")
	fs.BoolVar(&p.progress, "progress", true, "print training progress on stderr")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// pipeline builds the training recipe from the flags.
func (p *pipeOpts) pipeline(stderr io.Writer) (*train.Pipeline, error) {
	arch, err := model.DefaultArch(p.arch)
	if err != nil {
		return nil, err
	}
	if p.conv != "" {
		arch.Conv = nil
		for _, blk := range strings.Split(p.conv, ",") {
			parts := strings.Split(blk, ":")
			if len(parts) != 3 {
				return nil, fmt.Errorf("--conv block %q: want filters:kernel:pool", blk)
			}
			v, err := parseInts(strings.Join(parts, ","))
			if err != nil {
				return nil, fmt.Errorf("--conv block %q: %w", blk, err)
			}
			arch.Conv = append(arch.Conv, model.ConvBlock{Filters: v[0], Kernel: v[1], Stride: 1, Padding: v[1] / 2, Pool: v[2]})
		}
	}
	if p.dense != "" {
		if arch.Dense, err = parseInts(p.dense); err != nil {
			return nil, fmt.Errorf("--dense: %w", err)
		}
	}
	if p.lstm > 0 {
		if arch.LSTMHidden == 0 {
			return nil, fmt.Errorf("--lstm-hidden needs --arch cnn-lstm")
		}
		arch.LSTMHidden = p.lstm
	}
	if p.dropout >= 0 {
		arch.Dropout = p.dropout
	}
	arch.BatchNorm = arch.BatchNorm || p.batchNorm
	if p.threads < 0 {
		return nil, fmt.Errorf("--threads %d < 0", p.threads)
	}
	threads := p.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Mini-batches are split across goroutines; each calls BLAS single-threaded.
	gemm.SetThreads(1)
	cfg := p.cfg
	cfg.Threads = threads
	if p.progress {
		cfg.Progress = stderr
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			cfg.Terminal = true
		}
	}
	enc := features.EncoderConfig{Scale: p.scale, Log1p: p.log1p, Clip: p.clip}
	if p.selectPct < 100 {
		enc.Select = &features.SelectConfig{Percentile: p.selectPct, Neighbors: 3, Seed: p.cfg.Seed}
	}
	if !(p.validSplit >= 0 && p.validSplit < 1) {
		return nil, fmt.Errorf("--valid-split %v outside [0, 1)", p.validSplit)
	}
	pl := &train.Pipeline{
		Encoder:        enc,
		Arch:           arch,
		Train:          cfg,
		ClassWeighting: p.classWeight,
		BalanceName:    "none",
		ValidFrac:      p.validSplit,
		TargetFAR:      p.targetFAR,
	}
	if p.progress {
		pl.Log = stderr
	}
	if err := p.setBalance(pl, stderr); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "cnids-train: %d threads, BLAS %s\n", threads, gemm.Backend())
	return pl, nil
}

// setBalance configures the pipeline's balancing from --balance and its
// options.
func (p *pipeOpts) setBalance(pl *train.Pipeline, log io.Writer) error {
	switch p.balance {
	case "", "none":
		return nil
	case "class-weight", "class-weights", "cost-sensitive":
		if pl.ClassWeighting == "" || pl.ClassWeighting == "none" {
			pl.ClassWeighting = "inverse"
		}
		return nil
	}
	// Validate the method and the options now, before any data is read;
	// strategies naming classes are checked again with the class names.
	if _, err := balance.New(p.balance, balance.Options{Categorical: p.categorical}); err != nil {
		return fmt.Errorf("--balance: %w", err)
	}
	method, strategy, k, cat, steps := p.balance, p.strategy, p.kNeighbors, p.categorical, p.ganSteps
	pl.BalanceName = method
	pl.Balance = func(enc *features.Encoder, classes []string) (train.Balancer, error) {
		return balance.New(method, balance.Options{
			Strategy: strategy, Classes: classes, K: k, Categorical: cat, OneHotGroups: enc.OneHotGroups(),
			GAN:  balance.GANConfig{Steps: steps},
			Warn: func(msg string) { fmt.Fprintf(log, "cnids-train: balance %s: %s\n", method, msg) },
		})
	}
	return nil
}
