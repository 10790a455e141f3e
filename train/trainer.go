package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cnids/cnids/model"
)

// Config configures a training run of Fit.
type Config struct {
	// Epochs is the maximum number of passes over the training rows.
	Epochs int
	// Batch is the mini-batch size.
	Batch int
	// Optimizer is "adam" (the default) or "sgd".
	Optimizer string
	// LR is the initial learning rate.
	LR float64
	// Momentum is SGD's momentum.
	Momentum float64
	// WeightDecay is the optimiser's weight decay (decoupled for Adam).
	WeightDecay float64
	// Clip is the maximum global gradient norm; 0 disables clipping.
	Clip float64
	// Schedule is the learning-rate schedule: "none", "cosine" (decay to
	// LR/100 over Epochs) or "plateau" (halve the rate after Patience/2
	// epochs without improvement of the monitored value).
	Schedule string
	// Patience stops training after this many epochs without improvement
	// of the monitored value; 0 trains all Epochs. The weights of the best
	// epoch are restored either way when validation data is given.
	Patience int
	// Monitor is the validation value that decides the best epoch:
	// "macro-f1" (the default; higher is better) or "loss".
	Monitor string
	// ClassWeights weights each class's loss; nil weighs them equally.
	ClassWeights []float64
	// Seed seeds the shuffling and dropout of the run.
	Seed uint64
	// Threads is the number of goroutines a mini-batch is split across;
	// 0 means GOMAXPROCS.
	Threads int
	// Checkpoint, when set, is a path rewritten after every epoch with the
	// state needed to resume.
	Checkpoint string
	// Resume continues from Checkpoint when it exists.
	Resume bool
	// Progress receives progress output; nil is silent.
	Progress io.Writer
	// Terminal draws a progress bar on Progress instead of epoch lines.
	Terminal bool
}

// DefaultConfig returns the reference training configuration: Adam with
// learning rate 1e-3, batch 256 and 20 epochs with early stopping on
// validation macro-F1 after 5 epochs without improvement.
func DefaultConfig() Config {
	return Config{Epochs: 20, Batch: 256, Optimizer: "adam", LR: 1e-3, Momentum: 0.9,
		Schedule: "none", Patience: 5, Monitor: "macro-f1", Seed: 1}
}

func (c *Config) check() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("train: epochs %d < 1", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("train: batch %d < 1", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train: learning rate %v must be positive", c.LR)
	case c.Clip < 0 || math.IsNaN(c.Clip):
		return fmt.Errorf("train: gradient clip %v < 0", c.Clip)
	case c.Patience < 0:
		return fmt.Errorf("train: patience %d < 0", c.Patience)
	case c.Threads < 0:
		return fmt.Errorf("train: threads %d < 0", c.Threads)
	}
	switch c.Optimizer {
	case "", "adam", "sgd":
	default:
		return fmt.Errorf("train: unknown optimizer %q (want adam or sgd)", c.Optimizer)
	}
	switch c.Schedule {
	case "", "none", "cosine", "plateau":
	default:
		return fmt.Errorf("train: unknown schedule %q (want none, cosine or plateau)", c.Schedule)
	}
	switch c.Monitor {
	case "", "macro-f1", "loss":
	default:
		return fmt.Errorf("train: unknown monitor %q (want macro-f1 or loss)", c.Monitor)
	}
	for i, w := range c.ClassWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("train: class weight %d is %v", i, w)
		}
	}
	return nil
}

// Data is an encoded matrix with its labels: Rows rows of Width float32
// columns, row-major.
type Data struct {
	X     []float32
	Y     []int32
	Width int
}

// Rows returns the number of rows.
func (d Data) Rows() int { return len(d.Y) }

func (d Data) check(what string, width, classes int) error {
	if d.Width != width {
		return fmt.Errorf("train: %s data has %d columns, the network reads %d", what, d.Width, width)
	}
	if len(d.X) != len(d.Y)*d.Width {
		return fmt.Errorf("train: %s data has %d values for %d rows of %d", what, len(d.X), len(d.Y), d.Width)
	}
	return model.CheckLabels(d.Y, classes)
}

// History is the outcome of Fit.
type History struct {
	// Epochs holds one record per epoch run.
	Epochs []EpochRecord `json:"epochs"`
	// BestEpoch is the epoch whose weights the network holds at the end
	// (the last epoch without validation data).
	BestEpoch int `json:"best_epoch"`
	// Stopped says why training ended: "epochs", "early-stopping" or
	// "cancelled".
	Stopped string `json:"stopped"`
	// Seconds is the wall time of the run.
	Seconds float64 `json:"seconds"`
	// SamplesPerSecond is the training throughput over all epochs.
	SamplesPerSecond float64 `json:"samples_per_second"`
}

// Fit trains net on tr, validating on va after each epoch when va has
// rows, and leaves net with the weights of the best epoch. Cancelling ctx
// stops after the current mini-batch; the network then holds the best
// weights so far and Fit returns the history with ctx's error.
func Fit(ctx context.Context, net *model.Network[float32], cfg Config, tr, va Data) (History, error) {
	if err := cfg.check(); err != nil {
		return History{}, err
	}
	classes := net.Classes()
	if err := tr.check("training", net.Inputs(), classes); err != nil {
		return History{}, err
	}
	if tr.Rows() == 0 {
		return History{}, errors.New("train: no training rows")
	}
	if err := va.check("validation", net.Inputs(), classes); err != nil {
		return History{}, err
	}
	if len(cfg.ClassWeights) != 0 && len(cfg.ClassWeights) != classes {
		return History{}, fmt.Errorf("train: %d class weights for %d classes", len(cfg.ClassWeights), classes)
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	batch := min(cfg.Batch, tr.Rows())
	ws, err := net.NewParallelWorkspace(batch, threads)
	if err != nil {
		return History{}, err
	}
	defer ws.Close()

	var opt model.Optimizer[float32]
	if cfg.Optimizer == "sgd" {
		opt = model.NewSGD[float32](model.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay})
	} else {
		opt = model.NewAdam[float32](model.AdamConfig{LR: cfg.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: cfg.WeightDecay})
	}
	loss := model.SoftmaxCrossEntropy[float32]{}
	if cfg.ClassWeights != nil {
		loss.Weights = make([]float32, classes)
		for i, w := range cfg.ClassWeights {
			loss.Weights[i] = float32(w)
		}
	}

	st := &runState{
		shuffle: rand.NewPCG(cfg.Seed, 0x5eed5eed),
		dropout: rand.NewPCG(cfg.Seed, 0xd20907),
		best:    math.Inf(-1),
		lr:      cfg.LR,
	}
	if cfg.Checkpoint != "" && cfg.Resume {
		if err := st.load(cfg.Checkpoint, net, opt); err != nil && !errors.Is(err, errNoCheckpoint) {
			return History{}, err
		}
	}
	opt.SetLR(st.lr)

	hist := History{Epochs: st.history, BestEpoch: st.bestEpoch}
	higher := cfg.Monitor != "loss"
	shuffleRng := rand.New(st.shuffle)
	dropRng := rand.New(st.dropout)
	order := make([]int, tr.Rows())
	xb := make([]float32, batch*tr.Width)
	yb := make([]int32, batch)
	start := time.Now()
	var seen float64
	pb := newProgress(cfg.Progress, cfg.Terminal, cfg.Epochs, tr.Rows())
	hist.Stopped = "epochs"

	for epoch := st.epoch + 1; epoch <= cfg.Epochs; epoch++ {
		t0 := time.Now()
		for i := range order {
			order[i] = i
		}
		shuffleRng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		var cancelled bool
		for off := 0; off < len(order); off += batch {
			if ctx.Err() != nil {
				cancelled = true
				break
			}
			n := min(batch, len(order)-off)
			for k := 0; k < n; k++ {
				r := order[off+k]
				copy(xb[k*tr.Width:(k+1)*tr.Width], tr.X[r*tr.Width:(r+1)*tr.Width])
				yb[k] = tr.Y[r]
			}
			l := net.TrainStep(ws, xb[:n*tr.Width], yb[:n], n, loss, opt, cfg.Clip, dropRng)
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("train: epoch %d: loss became %v (lower the learning rate or enable --clip)", epoch, l)
			}
			sum += l * float64(n)
			seen += float64(n)
			pb.batch(epoch, off+n, sum/float64(off+n), float64(off+n)/time.Since(t0).Seconds())
		}
		if cancelled {
			hist.Stopped = "cancelled"
			break
		}
		rec := EpochRecord{Epoch: epoch, TrainLoss: sum / float64(len(order)), LR: opt.LR(),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), ValMacroF1: math.NaN()}
		if va.Rows() > 0 {
			m, vl, err := Validate(net, va, loss, threads)
			if err != nil {
				return hist, err
			}
			rec.ValLoss, rec.ValAccuracy, rec.ValMacroF1 = vl, m.Accuracy, m.Macro.F1
		}
		rec.Seconds = time.Since(t0).Seconds()
		st.history = append(st.history, rec)
		hist.Epochs = st.history
		pb.epoch(rec)

		// The monitored value; without validation every epoch is the best.
		val := rec.ValMacroF1
		if !higher {
			val = -rec.ValLoss
		}
		if va.Rows() == 0 || val > st.best {
			st.best, st.bestEpoch, st.stale = val, epoch, 0
			st.bestState = net.StateFloat32()
		} else {
			st.stale++
		}
		hist.BestEpoch = st.bestEpoch
		switch cfg.Schedule {
		case "cosine":
			lo := cfg.LR / 100
			st.lr = lo + 0.5*(cfg.LR-lo)*(1+math.Cos(math.Pi*float64(epoch)/float64(cfg.Epochs)))
		case "plateau":
			if st.stale > 0 && st.stale%max(1, cfg.Patience/2) == 0 {
				st.lr /= 2
			}
		}
		opt.SetLR(st.lr)
		st.epoch = epoch
		if cfg.Checkpoint != "" {
			if err := st.save(cfg.Checkpoint, net, opt); err != nil {
				return hist, err
			}
		}
		if cfg.Patience > 0 && st.stale >= cfg.Patience {
			hist.Stopped = "early-stopping"
			break
		}
	}
	pb.done()
	if st.bestState != nil {
		if err := net.LoadState(st.bestState); err != nil {
			return hist, fmt.Errorf("train: restore best epoch: %w", err)
		}
	}
	hist.Seconds = time.Since(start).Seconds()
	if hist.Seconds > 0 {
		hist.SamplesPerSecond = seen / hist.Seconds
	}
	if hist.Stopped == "cancelled" {
		return hist, ctx.Err()
	}
	return hist, nil
}

// Predict returns the class probabilities of every row of d (rows x
// classes, row-major), computed in batches on threads goroutines.
func Predict(net *model.Network[float32], d Data, threads int) ([]float32, error) {
	if d.Width != net.Inputs() {
		return nil, fmt.Errorf("train: data has %d columns, the network reads %d", d.Width, net.Inputs())
	}
	if len(d.X) != d.Rows()*d.Width {
		return nil, fmt.Errorf("train: data has %d values for %d rows of %d", len(d.X), d.Rows(), d.Width)
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	k := net.Classes()
	probs := make([]float32, d.Rows()*k)
	const chunk = 1024
	ws, err := net.NewParallelWorkspace(chunk, threads)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	for off := 0; off < d.Rows(); off += chunk {
		n := min(chunk, d.Rows()-off)
		net.Predict(ws, d.X[off*d.Width:(off+n)*d.Width], n, probs[off*k:(off+n)*k])
	}
	return probs, nil
}

// Argmax returns the most probable class of each row of probs (rows x k);
// ties go to the lower class index.
func Argmax(probs []float32, k int) []int32 {
	out := make([]int32, len(probs)/k)
	for i := range out {
		row := probs[i*k : (i+1)*k]
		best := 0
		for j := 1; j < k; j++ {
			if row[j] > row[best] {
				best = j
			}
		}
		out[i] = int32(best)
	}
	return out
}

// Validate evaluates net on d: the metrics (with PR-AUC) and the mean
// loss under loss's class weights.
func Validate(net *model.Network[float32], d Data, loss model.SoftmaxCrossEntropy[float32], threads int) (Metrics, float64, error) {
	probs, err := Predict(net, d, threads)
	if err != nil {
		return Metrics{}, 0, err
	}
	k := net.Classes()
	m, err := Evaluate(d.Y, Argmax(probs, k), probs, k)
	if err != nil {
		return Metrics{}, 0, err
	}
	// Cross-entropy from probabilities, weighted as the training loss is.
	var num, den float64
	for i, y := range d.Y {
		w := 1.0
		if loss.Weights != nil {
			w = float64(loss.Weights[y])
		}
		p := math.Max(float64(probs[i*k+int(y)]), 1e-12)
		num -= w * math.Log(p)
		den += w
	}
	vl := 0.0
	if den > 0 {
		vl = num / den
	}
	return m, vl, nil
}

// progress draws a progress bar on a terminal or prints a line per epoch.
type progress struct {
	w        io.Writer
	term     bool
	epochs   int
	rows     int
	lastDraw time.Time
}

func newProgress(w io.Writer, term bool, epochs, rows int) *progress {
	return &progress{w: w, term: term, epochs: epochs, rows: rows}
}

func (p *progress) batch(epoch, done int, loss, rate float64) {
	if p.w == nil || !p.term || time.Since(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = time.Now()
	const width = 30
	fill := width * done / p.rows
	fmt.Fprintf(p.w, "\repoch %d/%d [%s%s] %3d%% loss %.4f %.0f samples/s ", epoch, p.epochs,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*done/p.rows, loss, rate)
}

func (p *progress) epoch(r EpochRecord) {
	if p.w == nil {
		return
	}
	if p.term {
		fmt.Fprint(p.w, "\r\033[K")
	}
	line := fmt.Sprintf("epoch %d/%d loss %.4f", r.Epoch, p.epochs, r.TrainLoss)
	if !math.IsNaN(r.ValLoss) {
		line += fmt.Sprintf(" val_loss %.4f val_acc %.4f val_macro_f1 %.4f", r.ValLoss, r.ValAccuracy, r.ValMacroF1)
	}
	line += fmt.Sprintf(" lr %.3g %.1fs %.0f samples/s", r.LR, r.Seconds, float64(p.rows)/r.Seconds)
	fmt.Fprintln(p.w, line)
}

func (p *progress) done() {}

// ClassWeights returns per-class loss weights for class counts: "inverse"
// gives n/(k*n_c) (scikit-learn's "balanced"), "effective" gives the
// effective-number weights (1-beta)/(1-beta^n_c) of Cui et al. (2019)
// with beta = 0.9999, normalised to sum to k. Classes without rows get
// weight 0.
func ClassWeights(counts []int, method string) ([]float64, error) {
	k := len(counts)
	total := 0
	present := 0
	for _, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("train: negative class count %d", c)
		}
		total += c
		if c > 0 {
			present++
		}
	}
	if present == 0 {
		return nil, errors.New("train: class weights of an empty dataset")
	}
	w := make([]float64, k)
	switch method {
	case "inverse", "balanced":
		for i, c := range counts {
			if c > 0 {
				w[i] = float64(total) / (float64(present) * float64(c))
			}
		}
	case "effective":
		const beta = 0.9999
		sum := 0.0
		for i, c := range counts {
			if c > 0 {
				w[i] = (1 - beta) / (1 - math.Pow(beta, float64(c)))
				sum += w[i]
			}
		}
		for i := range w {
			w[i] *= float64(present) / sum
		}
	default:
		return nil, fmt.Errorf("train: unknown class-weight method %q (want inverse or effective)", method)
	}
	return slices.Clip(w), nil
}
