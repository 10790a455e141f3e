package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cnids/cnids/internal/gemm"
	"gorgonia.org/tensor"
)

func buildT[T Float](t testing.TB, arch string, inputs, classes int, seed uint64) *Network[T] {
	t.Helper()
	a, err := DefaultArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build[T](a, inputs, classes, newRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDefaultArchShapes(t *testing.T) {
	n := buildT[float32](t, "cnn", 122, 5, 1)
	// conv1 32*1*3+32, conv2 64*32*3+64, dense1 128*1920+128, dense2 5*128+5.
	if got, want := n.NumParams(), 128+6208+245888+645; got != want {
		t.Fatalf("cnn has %d parameters, want %d", got, want)
	}
	// 2*(32*122*3 + 64*61*96 + 1920*128 + 128*5).
	if got, want := n.FLOPs(), int64(2*(32*122*3+64*61*96+1920*128+128*5)); got != want {
		t.Fatalf("cnn FLOPs %d, want %d", got, want)
	}
	var names []string
	for _, p := range n.State() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "conv1.weight conv1.bias conv2.weight conv2.bias dense1.weight dense1.bias dense2.weight dense2.bias" {
		t.Fatalf("state order: %s", got)
	}
	if d := n.Layers()[len(n.Layers())-2]; d.In() != (Shape{128, 1}) {
		t.Fatalf("last hidden layer %T", d)
	}
	l := buildT[float32](t, "cnn-lstm", 122, 5, 1)
	// LSTM: 4*64*(64+64+2) = 33280; dense1 128*64+128; dense2 645.
	if got, want := l.NumParams(), 128+6208+33280+8320+645; got != want {
		t.Fatalf("cnn-lstm has %d parameters, want %d", got, want)
	}
	if _, err := DefaultArch("mlp"); err == nil {
		t.Fatal("unknown architecture accepted")
	}
	// Weights decay, biases do not.
	for _, p := range n.Params() {
		if p.Decay != strings.HasSuffix(p.Name, "weight") {
			t.Fatalf("%s: Decay %v", p.Name, p.Decay)
		}
	}
}

func TestInitialisation(t *testing.T) {
	n := buildT[float64](t, "cnn-lstm", 122, 5, 7)
	for _, p := range n.Params() {
		v := p.Data()
		var bound float64
		switch p.Name {
		case "conv1.weight":
			bound = math.Sqrt(6.0 / 3) // He, fan-in 1*3
		case "conv2.weight":
			bound = math.Sqrt(6.0 / 96)
		case "dense1.weight":
			bound = math.Sqrt(6.0 / 64)
		case "dense2.weight":
			bound = math.Sqrt(6.0 / (128 + 5)) // Glorot
		case "lstm.weight_ih":
			bound = math.Sqrt(6.0 / (64 + 64))
		case "lstm.weight_hh":
			bound = math.Sqrt(6.0 / (64 + 64))
		case "lstm.bias_ih":
			for j, x := range v {
				if want := map[bool]float64{true: 1, false: 0}[j >= 64 && j < 128]; x != want {
					t.Fatalf("lstm.bias_ih[%d] = %v, want %v", j, x, want)
				}
			}
			continue
		default:
			for _, x := range v {
				if x != 0 {
					t.Fatalf("%s is not zero", p.Name)
				}
			}
			continue
		}
		var m, sq float64
		for _, x := range v {
			if math.Abs(x) > bound {
				t.Fatalf("%s: %v outside ±%v", p.Name, x, bound)
			}
			m += x
			sq += x * x
		}
		m /= float64(len(v))
		// Uniform(-b, b): variance b²/3.
		if vr := sq/float64(len(v)) - m*m; math.Abs(vr-bound*bound/3) > 0.15*bound*bound/3 {
			t.Fatalf("%s: variance %v, want about %v", p.Name, vr, bound*bound/3)
		}
	}
	// Same seed, same weights; another seed, others.
	a, b, c := buildT[float32](t, "cnn", 122, 5, 3), buildT[float32](t, "cnn", 122, 5, 3), buildT[float32](t, "cnn", 122, 5, 4)
	if !sameState(a, b) || sameState(a, c) {
		t.Fatal("initialisation is not determined by the seed")
	}
}

func sameState[T Float](a, b *Network[T]) bool {
	for i, p := range a.State() {
		for j, v := range p.Data() {
			if b.State()[i].Data()[j] != v {
				return false
			}
		}
	}
	return true
}

func TestBuildValidation(t *testing.T) {
	cnn, _ := DefaultArch("cnn")
	cases := []struct {
		mutate          func(*Arch)
		inputs, classes int
		want            string
	}{
		{func(a *Arch) {}, 3, 5, "conv block 2: pooling by 2 needs at least 2 positions, has 1 (input of 3 features is reduced too often)"},
		{func(a *Arch) {}, 122, 1, "1 classes is outside [2, 65536]"},
		{func(a *Arch) {}, 0, 5, "0 input features"},
		{func(a *Arch) { a.Conv[0].Kernel = 200 }, 122, 5, "conv block 1: kernel 200 is longer than its input of 122 positions plus 2*1 padding"},
		{func(a *Arch) { a.Conv[1].Stride = 0 }, 122, 5, "conv block 2: stride 0 is outside [1, 65536]"},
		{func(a *Arch) { a.Dropout = 1 }, 122, 5, "dropout 1 is outside [0, 1)"},
		{func(a *Arch) { a.Dense = []int{0} }, 122, 5, "dense layer 1: width 0"},
		{func(a *Arch) { a.LSTMHidden = 8 }, 122, 5, `architecture "cnn" must not have an LSTM`},
		{func(a *Arch) { a.Name = "cnn-lstm" }, 122, 5, `architecture "cnn-lstm" needs lstm_hidden > 0`},
		{func(a *Arch) { a.Name = "x"; a.LSTMSequence = true }, 122, 5, "lstm_sequence is set without an LSTM"},
		{func(a *Arch) { a.Dense = []int{65536, 65536} }, 122, 5, "parameters, more than the limit"},
	}
	for _, c := range cases {
		a := cnn
		a.Conv = append([]ConvBlock(nil), cnn.Conv...)
		c.mutate(&a)
		_, err := Build[float32](a, c.inputs, c.classes, newRand(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
		if err2 := a.Validate(c.inputs, c.classes); (err2 == nil) != (err == nil) {
			t.Errorf("Validate and Build disagree: %v / %v", err2, err)
		}
	}
	if _, err := Build[float32](cnn, 122, 5, nil); err == nil {
		t.Error("nil rng accepted")
	}
	// The smallest input the cnn takes is 4 (4 -> 2 -> 1).
	if _, err := Build[float32](cnn, 4, 2, newRand(1)); err != nil {
		t.Error(err)
	}
}

// TestFusedMatchesLayers: the fused conv blocks compute exactly what the
// layers compute one by one, forward and backward, in training (dropout)
// and inference, including windows with ties (all-zero rows).
func TestFusedMatchesLayers(t *testing.T) {
	for _, arch := range []string{"cnn", "cnn-lstm"} {
		t.Run(arch, func(t *testing.T) {
			testFusedMatches[float32](t, arch, 0)
			testFusedMatches[float64](t, arch, 0)
		})
	}
	// Overlapping and gapped pools, a conv without pool, stride 2:
	// equal up to the order of summation of the bias gradient.
	a := Arch{Name: "x", Conv: []ConvBlock{{5, 3, 1, 1, 3}, {4, 2, 2, 0, 0}, {3, 3, 1, 2, 2}}, Dense: []int{6}, Dropout: 0.2}
	n := mustBuild[float64](t, a, 40, 3)
	compareFused(t, n, 1e-12)
}

func mustBuild[T Float](t *testing.T, a Arch, inputs, classes int) *Network[T] {
	t.Helper()
	n, err := Build[T](a, inputs, classes, newRand(2))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testFusedMatches[T Float](t *testing.T, arch string, tol float64) {
	n := buildT[T](t, arch, 122, 5, 9)
	for _, p := range n.Params() { // non-zero biases
		if !p.Decay {
			for i := range p.Data() {
				p.Data()[i] = T(0.05 * float64(i%7-3))
			}
		}
	}
	compareFused(t, n, tol)
}

func compareFused[T Float](t *testing.T, n *Network[T], tol float64) {
	t.Helper()
	if len(n.ops) == len(n.layers) {
		t.Fatal("nothing was fused")
	}
	p := unfused(n)
	batch := 7
	x := make([]T, batch*n.Inputs())
	rng := newRand(11)
	for i := range x[n.Inputs():] { // row 0 stays zero: ties everywhere
		if rng.IntN(3) == 0 {
			x[n.Inputs()+i] = T(rng.Float64())
		}
	}
	for _, train := range []bool{false, true} {
		n.ZeroGrad()
		w1 := n.NewWorkspace(batch)
		l1 := append([]T(nil), n.Forward(w1, x, batch, train, newRand(5))...)
		d := make([]T, len(l1))
		for i := range d {
			d[i] = T(float64(i%5) - 2)
		}
		dx1 := make([]T, len(x))
		n.BackwardInput(w1, d, dx1)
		g1 := n.gradsFloat64()
		n.ZeroGrad()
		w2 := p.NewWorkspace(batch)
		l2 := p.Forward(w2, x, batch, train, newRand(5))
		dx2 := make([]T, len(x))
		p.BackwardInput(w2, d, dx2)
		g2 := n.gradsFloat64()
		cmp := func(what string, a, b []T) {
			for i := range a {
				if math.Abs(float64(a[i])-float64(b[i])) > tol*(1+math.Abs(float64(b[i]))) {
					t.Fatalf("train=%v %s[%d]: fused %v, layers %v", train, what, i, a[i], b[i])
				}
			}
		}
		cmp("logits", l1, l2)
		cmp("dx", dx1, dx2)
		for i := range g1 {
			for j := range g1[i] {
				if math.Abs(g1[i][j]-g2[i][j]) > tol*(1+math.Abs(g2[i][j])) {
					t.Fatalf("train=%v grad %s[%d]: fused %v, layers %v", train, n.Params()[i].Name, j, g1[i][j], g2[i][j])
				}
			}
		}
	}
}

// gradsFloat64 copies the gradients (test helper).
func (n *Network[T]) gradsFloat64() [][]float64 {
	out := make([][]float64, len(n.params))
	for i, p := range n.params {
		out[i] = make([]float64, len(p.g))
		for j, v := range p.g {
			out[i][j] = float64(v)
		}
	}
	return out
}

// TestShardsMatchUnsplit: a parallel workspace gives the same logits and
// (up to rounding) the same gradients as an unsplit one, for uneven
// splits and batches smaller than the shard count.
func TestShardsMatchUnsplit(t *testing.T) {
	n := buildT[float64](t, "cnn-lstm", 122, 5, 3)
	for _, c := range []struct{ batch, shards int }{{10, 2}, {7, 3}, {2, 4}} {
		x := make([]float64, c.batch*122)
		rng := newRand(uint64(c.batch))
		for i := range x {
			x[i] = rng.Float64()
		}
		d := make([]float64, c.batch*5)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		run := func(ws *Workspace[float64]) ([]float64, []float64, [][]float64) {
			n.ZeroGrad()
			l := append([]float64(nil), n.Forward(ws, x, c.batch, true, newRand(8))...)
			dx := make([]float64, len(x))
			n.BackwardInput(ws, d, dx)
			return l, dx, n.gradsFloat64()
		}
		l1, dx1, g1 := run(n.NewWorkspace(c.batch))
		ws, err := n.NewParallelWorkspace(c.batch, c.shards)
		if err != nil {
			t.Fatal(err)
		}
		l2, dx2, g2 := run(ws)
		ws.Close()
		for i := range l1 {
			if !near(l1[i], l2[i], 1e-12) {
				t.Fatalf("%+v: logit %d %v vs %v", c, i, l1[i], l2[i])
			}
		}
		for i := range dx1 {
			if !near(dx1[i], dx2[i], 1e-10) {
				t.Fatalf("%+v: dx %d %v vs %v", c, i, dx1[i], dx2[i])
			}
		}
		for i := range g1 {
			for j := range g1[i] {
				if !near(g1[i][j], g2[i][j], 1e-10) {
					t.Fatalf("%+v: grad %s[%d] %v vs %v", c, n.Params()[i].Name, j, g1[i][j], g2[i][j])
				}
			}
		}
	}
	bn := Arch{Name: "bn", Conv: []ConvBlock{{4, 3, 1, 1, 2}}, BatchNorm: true}
	nb := mustBuild[float32](t, bn, 16, 3)
	if ws, err := nb.NewParallelWorkspace(8, 2); err != nil || ws.Shards() != 1 {
		t.Fatalf("BatchNorm network: %v, %d shards (want 1)", err, ws.Shards())
	}
	if _, err := nb.NewParallelWorkspace(8, 0); err == nil {
		t.Fatal("0 shards accepted")
	}
}

// TestConcurrentPredict: 8 goroutines predicting at once on one network
// get exactly the serial results (run with -race).
func TestConcurrentPredict(t *testing.T) {
	for _, arch := range []string{"cnn", "cnn-lstm"} {
		n := buildT[float32](t, arch, 122, 5, 4)
		const batch, rounds = 16, 2
		inputs := make([][]float32, 8*rounds)
		want := make([][]float32, len(inputs))
		serial := n.NewWorkspace(batch)
		for i := range inputs {
			inputs[i], _ = benchData(batch, uint64(i))
			want[i] = make([]float32, batch*5)
			n.Predict(serial, inputs[i], batch, want[i])
		}
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ws := n.NewWorkspace(batch)
				probs := make([]float32, batch*5)
				for r := 0; r < rounds; r++ {
					i := g*rounds + r
					n.Predict(ws, inputs[i], batch, probs)
					for j := range probs {
						if probs[j] != want[i][j] {
							errs <- arch + ": concurrent result differs from serial"
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
	}
}

func TestPredictAllocatesNothing(t *testing.T) {
	if !gemm.Native() {
		t.Skip("gonum's pure-Go GEMM allocates inside every call; the guarantee holds with OpenBLAS")
	}
	for _, arch := range []string{"cnn", "cnn-lstm"} {
		n := buildT[float32](t, arch, 122, 5, 4)
		const b = 16
		x, y := benchData(b, 1)
		probs := make([]float32, b*5)
		ws := n.NewWorkspace(b)
		n.Predict(ws, x, b, probs)
		if a := testing.AllocsPerRun(5, func() { n.Predict(ws, x, b, probs) }); a != 0 {
			t.Errorf("%s: Predict allocates %v times per call", arch, a)
		}
		pws, err := n.NewParallelWorkspace(b, 2)
		if err != nil {
			t.Fatal(err)
		}
		n.Predict(pws, x, b, probs)
		if a := testing.AllocsPerRun(5, func() { n.Predict(pws, x, b, probs) }); a != 0 {
			t.Errorf("%s: parallel Predict allocates %v times per call", arch, a)
		}
		// Training steps too, once the optimiser has its state.
		opt := NewAdam[float32](AdamConfig{LR: 1e-3})
		rng := newRand(1)
		loss := SoftmaxCrossEntropy[float32]{Weights: []float32{1, 2, 3, 4, 5}}
		for _, w := range []*Workspace[float32]{ws, pws} {
			n.TrainStep(w, x, y, b, loss, opt, 1, rng)
			if a := testing.AllocsPerRun(3, func() { n.TrainStep(w, x, y, b, loss, opt, 1, rng) }); a != 0 {
				t.Errorf("%s: TrainStep allocates %v times per step (%d shards)", arch, a, w.Shards())
			}
		}
		pws.Close()
	}
}

func TestPredictDense(t *testing.T) {
	n := buildT[float32](t, "cnn", 122, 5, 4)
	x, _ := benchData(10, 3)
	ws := n.NewWorkspace(4) // smaller than the batch: PredictDense chunks
	want := make([]float32, 50)
	n.Predict(n.NewWorkspace(10), x, 10, want)
	for _, shape := range [][]int{{10, 122}, {10, 1, 122}} {
		got, err := n.PredictDense(ws, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x)))
		if err != nil {
			t.Fatal(err)
		}
		if s := got.Shape(); len(s) != 2 || s[0] != 10 || s[1] != 5 {
			t.Fatalf("shape %v", s)
		}
		for i, v := range got.Data().([]float32) {
			if math.Abs(float64(v-want[i])) > 1e-6 {
				t.Fatalf("prob %d: %v vs %v", i, v, want[i])
			}
		}
	}
	for _, bad := range []*tensor.Dense{
		tensor.New(tensor.WithShape(10, 121), tensor.WithBacking(x[:1210])),
		tensor.New(tensor.WithShape(2, 122), tensor.WithBacking(make([]float64, 244))),
	} {
		if _, err := n.PredictDense(ws, bad); err == nil {
			t.Fatalf("accepted %v %v", bad.Shape(), bad.Dtype())
		} else {
			t.Log(err)
		}
	}
	// Probabilities sum to 1.
	for r := 0; r < 10; r++ {
		var s float64
		for _, p := range want[r*5 : r*5+5] {
			s += float64(p)
		}
		if math.Abs(s-1) > 1e-6 {
			t.Fatalf("row %d sums to %v", r, s)
		}
	}
}

func TestLoadState(t *testing.T) {
	src := buildT[float64](t, "cnn", 122, 5, 1)
	dst := buildT[float32](t, "cnn", 122, 5, 2)
	st := src.StateFloat32()
	if err := dst.LoadState(st); err != nil {
		t.Fatal(err)
	}
	for i, p := range dst.State() {
		for j, v := range p.Data() {
			if v != float32(src.State()[i].Data()[j]) {
				t.Fatalf("%s[%d] not loaded", p.Name, j)
			}
		}
	}
	before := dst.StateFloat32()
	bad := func(mut func([][]float32) [][]float32, want string) {
		t.Helper()
		s := mut(src.StateFloat32())
		err := dst.LoadState(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want %q", err, want)
		}
		for i, p := range dst.StateFloat32() {
			for j := range p {
				if p[j] != before[i][j] {
					t.Fatal("a failed load changed the network")
				}
			}
		}
	}
	bad(func(s [][]float32) [][]float32 { return s[:7] }, "state has 7 tensors, the network needs 8")
	bad(func(s [][]float32) [][]float32 { s[2] = s[2][:10]; return s }, "tensor 2 (conv2.weight) has 10 values, want 6144")
	bad(func(s [][]float32) [][]float32 { s[7][4] = float32(math.NaN()); return s }, "tensor 7 (dense2.bias) value 4 is NaN")
	bad(func(s [][]float32) [][]float32 { s[0][0] = float32(math.Inf(1)); return s }, "value 0 is +Inf")

	// BatchNorm buffers travel with the state, after the parameters.
	a := Arch{Name: "bn", Conv: []ConvBlock{{4, 3, 1, 1, 2}}, BatchNorm: true, Dense: []int{3}}
	b1, b2 := mustBuild[float32](t, a, 16, 3), mustBuild[float32](t, a, 16, 3)
	x := make([]float32, 4*16)
	for i := range x {
		x[i] = float32(i % 5)
	}
	b1.Forward(b1.NewWorkspace(4), x, 4, true, newRand(1)) // moves the running stats
	if err := b2.LoadState(b1.StateFloat32()); err != nil {
		t.Fatal(err)
	}
	st = b1.StateFloat32()
	st[len(st)-1][2] = -1
	if err := b2.LoadState(st); err == nil || !strings.Contains(err.Error(), "(bn1.running_var) value 2 is a negative variance") {
		t.Fatalf("negative running variance: %v", err)
	}
	if len(b2.Buffers()) != 2 || b2.Buffers()[0].Name != "bn1.running_mean" || !sameState(b1, b2) {
		t.Fatal("buffers not carried over")
	}
	if b2.Buffers()[0].Data()[0] == 0 {
		t.Fatal("running mean did not move")
	}
	if err := CopyState(dst, buildT[float32](t, "cnn-lstm", 122, 5, 1)); err == nil {
		t.Fatal("copied between different architectures")
	}
	if err := dst.CopyParamsFrom(buildT[float32](t, "cnn", 122, 5, 9)); err != nil {
		t.Fatal(err)
	}
}

func TestNewNetworkErrors(t *testing.T) {
	d1 := must(NewDense[float32]("d", Shape{4, 1}, 3))
	d2 := must(NewDense[float32]("d", Shape{3, 1}, 2))
	if _, err := NewNetwork(Shape{4, 1}, d1, d2); err == nil || !strings.Contains(err.Error(), `"d.weight" is used twice`) {
		t.Fatalf("duplicate names: %v", err)
	}
	if _, err := NewNetwork(Shape{5, 1}, d1); err == nil || !strings.Contains(err.Error(), "takes 4x1, previous output is 5x1") {
		t.Fatalf("shape mismatch: %v", err)
	}
	if _, err := NewNetwork[float32](Shape{5, 1}); err == nil {
		t.Fatal("empty network")
	}
}

func TestForwardPanicsClearly(t *testing.T) {
	n := buildT[float32](t, "cnn", 122, 5, 1)
	ws := n.NewWorkspace(4)
	expect := func(want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.Contains(s, want) {
				t.Fatalf("panic %v, want %q", r, want)
			}
		}()
		f()
	}
	x := make([]float32, 4*122)
	expect("batch of 5 outside the workspace's [1, 4]", func() { n.Forward(ws, make([]float32, 5*122), 5, false, nil) })
	expect("input has 121 values, need 122", func() { n.Forward(ws, x[:121], 1, false, nil) })
	expect("needs an rng for dropout", func() { n.Forward(ws, x, 4, true, nil) })
	expect("workspace belongs to another network", func() { buildT[float32](t, "cnn", 122, 5, 1).Predict(ws, x, 4, make([]float32, 20)) })
	expect("Backward without a Forward", func() { n.Backward(n.NewWorkspace(1), make([]float32, 5)) })
}

var _ = rand.New
