package balance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"gorgonia.org/tensor"

	"github.com/cnids/cnids/model"
)

// GANConfig configures the GAN. Zero fields take the defaults shown.
type GANConfig struct {
	// Noise is the dimension of the generator's noise input (32).
	Noise int
	// Hidden is the width of the two hidden layers of both networks (128).
	Hidden int
	// Steps is the number of training steps, each Critic critic updates
	// and one generator update (2000).
	Steps int
	// Critic is the number of critic updates per step (5).
	Critic int
	// Batch is the number of real rows (and of fake rows) per step (128).
	Batch int
	// LR is Adam's learning rate for both networks (1e-4, with betas 0.5
	// and 0.9 as in WGAN-GP).
	LR float64
	// Lambda weighs the Lipschitz penalty (10).
	Lambda float64
	// Drift weighs the drift penalty mean D(real)^2 that keeps the
	// critic's values near 0 (1e-3).
	Drift float64
	// Temperature is the Gumbel-softmax temperature of the
	// straight-through categorical outputs (0.5).
	Temperature float64
	// MinDistance is the smallest Euclidean distance, in the encoded
	// space, allowed between a synthetic row and a training row of its
	// class (1e-3; negative disables the check): nearer rows are drawn
	// again, so that the GAN does not emit copies of training rows.
	MinDistance float64
	// Log, when not nil, receives progress lines (losses every Steps/10
	// steps and the training time).
	Log func(string)
}

func (c GANConfig) withDefaults() (GANConfig, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Noise, 32)
	def(&c.Hidden, 128)
	def(&c.Steps, 2000)
	def(&c.Critic, 5)
	def(&c.Batch, 128)
	if c.LR == 0 {
		c.LR = 1e-4
	}
	if c.Lambda == 0 {
		c.Lambda = 10
	}
	if c.Drift == 0 {
		c.Drift = 1e-3
	}
	if c.MinDistance == 0 {
		c.MinDistance = 1e-3
	}
	if c.Temperature == 0 {
		c.Temperature = 0.5
	}
	if c.Noise < 1 || c.Hidden < 1 || c.Steps < 1 || c.Critic < 1 || c.Batch < 1 || !(c.Lambda > 0) || c.Drift < 0 || !(c.LR > 0) || !(c.Temperature > 0) {
		return c, fmt.Errorf("balance: invalid GAN configuration %+v", c)
	}
	return c, nil
}

// GAN is a conditional generative adversarial network over the classes
// the strategy raises (see the package documentation for the design):
// one generator and one discriminator, both multilayer perceptrons built
// from the model package's layers, conditioned on the class, trained on
// class-balanced batches of the rows of those classes, then sampled for
// each class's target count. Synthetic rows are valid one-hot rows in
// OneHotGroups, two-valued columns take one of their two values, and
// other columns stay within the training range of the class set.
type GAN struct {
	// Strategy is the sampling strategy (an over-sampler's); the zero
	// value is "auto".
	Strategy Strategy
	// OneHotGroups are the one-hot column groups.
	OneHotGroups [][]int
	// Config configures the networks and the training.
	Config GANConfig
	// Warn, when not nil, receives warnings.
	Warn func(string)
}

// Resample implements the trainer's Balancer. The output is a function
// of the input and the rng's stream (and of the BLAS backend, whose
// rounding the training sees).
func (g *GAN) Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error) {
	m, counts, err := input(x, y)
	if err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, errNilRand
	}
	targets, err := g.Strategy.Targets(counts, OverSampling, g.Warn)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGroups(g.OneHotGroups, m.cols); err != nil {
		return nil, nil, err
	}
	var classes []int
	for c, n := range targets {
		if n > 0 {
			classes = append(classes, c)
		}
	}
	if len(classes) == 0 {
		xo, yo := output(m, y, nil, nil, nil)
		return xo, yo, nil
	}
	gm, err := newGANModel(m, y, classes, g.OneHotGroups, g.Config, rng)
	if err != nil {
		return nil, nil, err
	}
	gm.train(rng)
	var extra []float32
	var extraY []int32
	for ci, c := range classes {
		rows, err := gm.generateFar(ci, targets[c], rng, g.Warn)
		if err != nil {
			return nil, nil, err
		}
		extra = append(extra, rows...)
		for range targets[c] {
			extraY = append(extraY, int32(c))
		}
	}
	xo, yo := output(m, y, nil, extra, extraY)
	return xo, yo, nil
}

// Column kinds of the GAN's output head.
const (
	colConst  = iota // one value in the training rows
	colCont          // continuous: sigmoid, mapped to [lo, hi]
	colBinary        // two values: straight-through Bernoulli
	colGroup         // in a one-hot group: straight-through Gumbel-softmax
)

// ganModel is a GAN being trained.
type ganModel struct {
	cfg     GANConfig
	m       matrix
	classes []int   // the classes generated, in conditioning order
	rows    [][]int // training rows of each of them
	// Output head: per column, its kind and range; groups separately.
	kind   []uint8
	lo, hi []float32
	// Per class slot: the sorted values of each continuous column, the
	// values seen in two-valued and one-hot columns (bit 0 lo, bit 1 hi
	// or one), and the class's rows on the unit scale.
	sorted [][][]float32
	seen   [][]uint8
	unit   [][]float32
	groups [][]int
	d      int // columns
	nc     int // conditioning classes

	gen, disc     *model.Network[float32]
	wsG, wsD      *model.Workspace[float32]
	optG, optD    model.Optimizer[float32]
	b             int
	zin, realIn   []float32 // generator input; discriminator input (2b rows)
	soft, fakeU   []float32 // head: soft values (for backward), hard outputs
	dlD, dxD, dlG []float32
	dout          []float32 // gradient with respect to the head's outputs
	cls           []int     // class slots of the batch
}

func newGANModel(m matrix, y []int32, classes []int, groups [][]int, cfg GANConfig, rng *rand.Rand) (*ganModel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &ganModel{cfg: cfg, m: m, classes: classes, groups: groups, d: m.cols, nc: len(classes), b: cfg.Batch}
	nl := 0
	for _, c := range y {
		nl = max(nl, int(c)+1)
	}
	all := classRows(y, nl)
	for _, c := range classes {
		g.rows = append(g.rows, all[c])
	}
	// Column ranges over the training rows.
	inGroup := make([]bool, m.cols)
	for _, gr := range groups {
		for _, j := range gr {
			inGroup[j] = true
		}
	}
	g.kind = make([]uint8, m.cols)
	g.lo = make([]float32, m.cols)
	g.hi = make([]float32, m.cols)
	for j := range m.cols {
		var v0, v1 float32
		values := 0
		for _, rs := range g.rows {
			for _, r := range rs {
				v := m.x[r*m.cols+j]
				switch {
				case values == 0:
					v0, values = v, 1
				case values == 1 && v != v0:
					v1, values = v, 2
				case values == 2 && v != v0 && v != v1:
					values = 3
				}
			}
		}
		g.lo[j], g.hi[j] = min(v0, v1), max(v0, v1)
		switch {
		case inGroup[j]:
			g.kind[j] = colGroup
		case values == 1:
			g.kind[j] = colConst
			g.lo[j], g.hi[j] = v0, v0
		case values == 2:
			g.kind[j] = colBinary
		default:
			g.kind[j] = colCont
		}
	}
	// Per class: sorted values of continuous columns, and the support of
	// two-valued and one-hot columns.
	for _, rs := range g.rows {
		sorted := make([][]float32, m.cols)
		seen := make([]uint8, m.cols) // bit 0: lo (or 0) seen, bit 1: hi (or 1) seen
		for j := range m.cols {
			if g.kind[j] == colCont {
				vs := make([]float32, len(rs))
				for t, r := range rs {
					vs[t] = m.x[r*m.cols+j]
				}
				slices.Sort(vs)
				sorted[j] = vs
			}
		}
		for _, r := range rs {
			for j, v := range m.row(r) {
				switch g.kind[j] {
				case colBinary:
					if v == g.hi[j] {
						seen[j] |= 2
					} else {
						seen[j] |= 1
					}
				case colGroup:
					if v == 1 {
						seen[j] |= 2
					}
				}
			}
		}
		g.sorted = append(g.sorted, sorted)
		g.seen = append(g.seen, seen)
	}
	for ci, rs := range g.rows {
		u := make([]float32, 0, len(rs)*m.cols)
		for _, r := range rs {
			for j, v := range m.row(r) {
				u = append(u, g.scaled(ci, j, v))
			}
		}
		g.unit = append(g.unit, u)
	}
	h := cfg.Hidden
	in := model.Shape{C: 1, L: cfg.Noise + g.nc}
	g.gen, err = mlp("gen", in, h, m.cols, rng)
	if err != nil {
		return nil, err
	}
	g.disc, err = mlp("disc", model.Shape{C: 1, L: m.cols + g.nc}, h, 1, rng)
	if err != nil {
		return nil, err
	}
	g.wsG = g.gen.NewWorkspace(g.b)
	g.wsD = g.disc.NewWorkspace(2 * g.b)
	adam := model.AdamConfig{LR: cfg.LR, Beta1: 0.5, Beta2: 0.9}
	g.optG, g.optD = model.NewAdam[float32](adam), model.NewAdam[float32](adam)
	g.zin = make([]float32, g.b*(cfg.Noise+g.nc))
	g.realIn = make([]float32, 2*g.b*(m.cols+g.nc))
	g.soft = make([]float32, g.b*m.cols)
	g.fakeU = make([]float32, g.b*m.cols)
	g.dlD = make([]float32, 2*g.b)
	g.dxD = make([]float32, g.b*(m.cols+g.nc))
	g.dlG = make([]float32, g.b*m.cols)
	g.dout = make([]float32, g.b*m.cols)
	g.cls = make([]int, g.b)
	return g, nil
}

// mlp builds in -> h -> ReLU -> h -> ReLU -> out, He-initialised hidden
// layers and a Glorot-initialised output layer.
func mlp(name string, in model.Shape, h, out int, rng *rand.Rand) (*model.Network[float32], error) {
	d1, err := model.NewDense[float32](name+".fc1", in, h)
	if err != nil {
		return nil, err
	}
	d2, err := model.NewDense[float32](name+".fc2", model.Shape{C: h, L: 1}, h)
	if err != nil {
		return nil, err
	}
	d3, err := model.NewDense[float32](name+".fc3", model.Shape{C: h, L: 1}, out)
	if err != nil {
		return nil, err
	}
	d1.Init(model.He, rng)
	d2.Init(model.He, rng)
	d3.Init(model.Glorot, rng)
	hs := model.Shape{C: h, L: 1}
	return model.NewNetwork[float32](in, d1, model.NewReLU[float32](hs), d2, model.NewReLU[float32](hs), d3)
}

// scaled maps a value of column j of a row of class slot ci to the
// generator's unit scale: for a continuous column the class's mid-rank
// empirical distribution function, (#{< v} + #{= v}/2) / n; for a
// two-valued one 0 or 1; one-hot columns stay as they are.
func (g *ganModel) scaled(ci, j int, v float32) float32 {
	switch g.kind[j] {
	case colCont:
		s := g.sorted[ci][j]
		lo, _ := slices.BinarySearch(s, v)
		hi := lo + sort.Search(len(s)-lo, func(i int) bool { return s[lo+i] > v })
		return float32((float64(lo) + float64(hi-lo)/2) / float64(len(s)))
	case colBinary:
		if v == g.hi[j] {
			return 1
		}
		return 0
	case colConst:
		return 0
	}
	return v
}

// quantile maps u in [0, 1] back to the values of column j in class
// slot ci: the class's empirical quantile function, interpolated linearly
// between order statistics.
func (g *ganModel) quantile(ci, j int, u float32) float32 {
	s := g.sorted[ci][j]
	p := float64(u) * float64(len(s)-1)
	i := int(p)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	if i < 0 {
		return s[0]
	}
	f := float32(p - float64(i))
	return s[i] + f*(s[i+1]-s[i])
}

// noise fills the generator input for batch rows of the given class
// slots: standard normal noise, then the class one-hot.
func (g *ganModel) noise(n int, rng *rand.Rand) {
	w := g.cfg.Noise + g.nc
	for i := range n {
		row := g.zin[i*w : (i+1)*w]
		for t := range g.cfg.Noise {
			row[t] = float32(rng.NormFloat64())
		}
		clear(row[g.cfg.Noise:])
		row[g.cfg.Noise+g.cls[i]] = 1
	}
}

// head turns generator logits into rows on the unit scale (hard values
// in fakeU) and keeps the soft values its backward pass needs: sigmoid
// for continuous columns, straight-through Bernoulli (logistic noise) for
// two-valued ones, straight-through Gumbel-softmax for each group.
func (g *ganModel) head(logits []float32, n int, rng *rand.Rand) {
	d, tau := g.d, g.cfg.Temperature
	for i := range n {
		l := logits[i*d : (i+1)*d]
		seen := g.seen[g.cls[i]]
		soft, hard := g.soft[i*d:(i+1)*d], g.fakeU[i*d:(i+1)*d]
		for j := range d {
			switch g.kind[j] {
			case colConst:
				soft[j], hard[j] = 0, 0
			case colCont:
				s := sigmoid(float64(l[j]))
				soft[j], hard[j] = float32(s), float32(s)
			case colBinary:
				switch seen[j] {
				case 1: // the class only has the low value
					soft[j], hard[j] = 0, 0
				case 2: // only the high value
					soft[j], hard[j] = 1, 1
				default:
					u := uniformOpen(rng)
					s := sigmoid((float64(l[j]) + math.Log(u/(1-u))) / tau)
					soft[j] = float32(s)
					hard[j] = 0
					if s > 0.5 {
						hard[j] = 1
					}
				}
			}
		}
		// Each group: Gumbel-softmax over the categories the class has.
		for _, gr := range g.groups {
			best, at := math.Inf(-1), -1
			var z float64
			for _, j := range gr {
				soft[j], hard[j] = 0, 0
				if seen[j] == 0 {
					continue
				}
				v := (float64(l[j]) - math.Log(-math.Log(uniformOpen(rng)))) / tau
				soft[j] = float32(v)
				if v > best {
					best, at = v, j
				}
			}
			if at < 0 {
				continue // the class's rows all have an empty block
			}
			for _, j := range gr {
				if seen[j] != 0 {
					e := math.Exp(float64(soft[j]) - best)
					soft[j] = float32(e)
					z += e
				}
			}
			for _, j := range gr {
				if seen[j] != 0 {
					soft[j] = float32(float64(soft[j]) / z)
				}
			}
			hard[at] = 1
		}
	}
}

// headBackward maps the gradient with respect to the head's outputs
// (dout, n rows of d) to the gradient with respect to the logits (into
// g.dlG), through the soft values (straight-through).
func (g *ganModel) headBackward(dout []float32, n int) {
	d, tau := g.d, float32(g.cfg.Temperature)
	for i := range n {
		do := dout[i*d : (i+1)*d]
		soft, dl := g.soft[i*d:(i+1)*d], g.dlG[i*d:(i+1)*d]
		for j := range d {
			switch g.kind[j] {
			case colConst:
				dl[j] = 0
			case colCont:
				dl[j] = do[j] * soft[j] * (1 - soft[j])
			case colBinary:
				dl[j] = do[j] * soft[j] * (1 - soft[j]) / tau // 0 when fixed (soft 0 or 1)
			}
		}
		for _, gr := range g.groups {
			var dot float32
			for _, j := range gr {
				dot += soft[j] * do[j]
			}
			for _, j := range gr {
				dl[j] = soft[j] * (do[j] - dot) / tau // 0 outside the class's categories
			}
		}
	}
}

// sampleReal fills rows [0, b) of the critic's input with a
// class-balanced batch of real rows (class slots in g.cls).
func (g *ganModel) sampleReal(rng *rand.Rand) {
	b, d, w := g.b, g.d, g.d+g.nc
	for i := range b {
		g.cls[i] = rng.IntN(g.nc)
		t := rng.IntN(len(g.rows[g.cls[i]]))
		row := g.realIn[i*w : (i+1)*w]
		copy(row[:d], g.unit[g.cls[i]][t*d:(t+1)*d])
		clear(row[d:])
		row[d+g.cls[i]] = 1
	}
}

// sampleFake generates b rows for the class slots in g.cls (training
// mode, keeping what the head's backward pass needs) and writes them
// into rows [b, 2b) of the critic's input.
func (g *ganModel) sampleFake(rng *rand.Rand) {
	b, d, w := g.b, g.d, g.d+g.nc
	g.noise(b, rng)
	logits := g.gen.Forward(g.wsG, g.zin, b, true, rng)
	g.head(logits, b, rng)
	for i := range b {
		row := g.realIn[(b+i)*w : (b+i+1)*w]
		copy(row, g.fakeU[i*d:(i+1)*d])
		clear(row[d:])
		row[d+g.cls[i]] = 1
	}
}

// train runs the adversarial training, a Wasserstein GAN whose critic is
// kept 1-Lipschitz by a penalty on difference quotients (see the package
// documentation): per step, Critic updates of the critic on
// class-balanced batches of real rows and as many generated rows of the
// same classes, then one generator update.
func (g *ganModel) train(rng *rand.Rand) {
	b, d, w := g.b, g.d, g.d+g.nc
	start := time.Now()
	var lossD, lossG, pen float64
	for step := range g.cfg.Steps {
		for range g.cfg.Critic {
			g.sampleReal(rng)
			g.sampleFake(rng)
			out := g.disc.Forward(g.wsD, g.realIn, 2*b, true, rng)
			// Loss: mean D(fake) - mean D(real) + lambda * mean
			// max(0, |D(r_i)-D(f_i)|/|r_i-f_i| - 1)^2 + drift * mean D(r)^2.
			lossD, pen = 0, 0
			for i := range b {
				dr, df := float64(out[i]), float64(out[b+i])
				lossD += df - dr
				gr, gf := -1.0, 1.0
				gr += 2 * g.cfg.Drift * dr
				lossD += g.cfg.Drift * dr * dr
				var dist float64
				for j := range d {
					t := float64(g.realIn[i*w+j]) - float64(g.realIn[(b+i)*w+j])
					dist += t * t
				}
				dist = math.Sqrt(dist)
				if dist > 0 {
					q := (dr - df) / dist
					if e := math.Abs(q) - 1; e > 0 {
						pen += g.cfg.Lambda * e * e
						dq := 2 * g.cfg.Lambda * e * math.Copysign(1, q) / dist
						gr += dq
						gf -= dq
					}
				}
				g.dlD[i] = float32(gr / float64(b))
				g.dlD[b+i] = float32(gf / float64(b))
			}
			lossD = (lossD + pen) / float64(b)
			pen /= float64(b)
			g.disc.ZeroGrad()
			g.disc.Backward(g.wsD, g.dlD)
			g.optD.Step(g.disc.Params())
		}
		// Generator: loss -mean D(G(z)), through the critic.
		g.sampleFake(rng)
		fake := g.realIn[b*w : 2*b*w]
		out := g.disc.Forward(g.wsD, fake, b, true, rng)
		lossG = 0
		for i := range b {
			lossG -= float64(out[i])
			g.dlD[i] = float32(-1 / float64(b))
		}
		lossG /= float64(b)
		g.disc.BackwardInput(g.wsD, g.dlD[:b], g.dxD)
		for i := range b {
			copy(g.dout[i*d:(i+1)*d], g.dxD[i*w:i*w+d])
		}
		g.headBackward(g.dout[:b*d], b)
		g.gen.ZeroGrad()
		g.gen.Backward(g.wsG, g.dlG[:b*d])
		g.optG.Step(g.gen.Params())
		if g.cfg.Log != nil && (step+1)%max(1, g.cfg.Steps/10) == 0 {
			g.cfg.Log(fmt.Sprintf("gan step %d/%d: critic loss %.4f (penalty %.4f), generator loss %.4f (%v)",
				step+1, g.cfg.Steps, lossD, pen, lossG, time.Since(start).Round(time.Millisecond)))
		}
	}
	if g.cfg.Log != nil {
		g.cfg.Log(fmt.Sprintf("gan trained: %d steps (%d critic updates each) of %d+%d rows in %v",
			g.cfg.Steps, g.cfg.Critic, b, b, time.Since(start).Round(time.Millisecond)))
	}
}

// generateFar generates n rows of class slot ci none of which lies
// within MinDistance (Euclidean) of a training row of the class: rows
// that do are drawn again, up to 10 rounds; rows still too close after
// that are kept, with a warning (a class whose rows are all alike may
// leave the generator nothing else to produce).
func (g *ganModel) generateFar(ci, n int, rng *rand.Rand, warn func(string)) ([]float32, error) {
	d := g.d
	rows := g.generate(make([]float32, 0, n*d), ci, n, rng)
	real := g.rows[ci]
	floor := g.cfg.MinDistance
	if floor <= 0 {
		return rows, nil
	}
	x := make([]float32, 0, (len(real)+n)*d)
	for _, r := range real {
		x = append(x, g.m.row(r)...)
	}
	nr := len(real)
	ref := allRows(nr)
	bad := allRows(n)
	for round := 0; ; round++ {
		x = x[:nr*d]
		q := make([]int, len(bad))
		for t, i := range bad {
			x = append(x, rows[i*d:(i+1)*d]...)
			q[t] = nr + t
		}
		nn, err := KNN{}.Neighbors(x, d, ref, q, 1)
		if err != nil {
			return nil, err
		}
		var still []int
		for t, p := range nn {
			if sqDist64(x[q[t]*d:(q[t]+1)*d], x[int(p)*d:(int(p)+1)*d]) < floor*floor {
				still = append(still, bad[t])
			}
		}
		bad = still
		if len(bad) == 0 {
			return rows, nil
		}
		if round == 10 {
			if warn != nil {
				warn(fmt.Sprintf("GAN: class %d: %d of %d synthetic rows stay within %g of a training row after %d redraws", g.classes[ci], len(bad), n, floor, round))
			}
			return rows, nil
		}
		fresh := g.generate(make([]float32, 0, len(bad)*d), ci, len(bad), rng)
		for t, i := range bad {
			copy(rows[i*d:(i+1)*d], fresh[t*d:(t+1)*d])
		}
	}
}

// sqDist64 is the squared Euclidean distance of two rows in float64.
func sqDist64(a, b []float32) float64 {
	var s float64
	for j := range a {
		t := float64(a[j]) - float64(b[j])
		s += t * t
	}
	return s
}

// generate appends n synthetic rows of class slot ci to dst.
func (g *ganModel) generate(dst []float32, ci, n int, rng *rand.Rand) []float32 {
	d := g.d
	for done := 0; done < n; {
		k := min(g.b, n-done)
		for i := range k {
			g.cls[i] = ci
		}
		g.noise(k, rng)
		logits := g.gen.Forward(g.wsG, g.zin[:k*(g.cfg.Noise+g.nc)], k, false, nil)
		g.head(logits, k, rng)
		for i := range k {
			u := g.fakeU[i*d : (i+1)*d]
			for j := range d {
				switch g.kind[j] {
				case colConst:
					dst = append(dst, g.lo[j])
				case colCont:
					dst = append(dst, g.quantile(ci, j, u[j]))
				case colBinary:
					if u[j] == 1 {
						dst = append(dst, g.hi[j])
					} else {
						dst = append(dst, g.lo[j])
					}
				default:
					dst = append(dst, u[j])
				}
			}
		}
		done += k
	}
	return dst
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1 + e^x), computed stably.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// uniformOpen draws from the open interval (0, 1).
func uniformOpen(rng *rand.Rand) float64 {
	for {
		if u := rng.Float64(); u > 0 {
			return u
		}
	}
}
