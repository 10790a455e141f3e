package model

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"

	"gorgonia.org/tensor"
)

// Workspace holds every buffer a network needs for calls on up to
// MaxBatch samples: activations, their gradients and each layer's
// scratch. A Workspace belongs to one goroutine at a time; any number of
// goroutines may run Predict on one Network, each with its own
// Workspace. After it is made, Forward, Backward, Predict and TrainStep
// allocate nothing (with the OpenBLAS backend of internal/gemm; gonum's
// pure-Go GEMM allocates inside its own calls).
//
// A parallel workspace (NewParallelWorkspace) splits every batch into
// contiguous shards run on their own goroutines, each with its own
// buffers and, in training, its own gradient accumulators, which are
// added into Param.Grad in shard order. Results are then deterministic
// for a given shard count (whatever GOMAXPROCS is), but differ from the
// unsplit computation by float rounding.
type Workspace[T Float] struct {
	net      *Network[T]
	maxBatch int
	shards   []*shard[T]
	logits   []T
	dl       []T // TrainStep's output gradient
	batch    int
	train    bool
	ready    bool
	pool     *workerPool // runs shards 1..; nil for one shard
	// arguments of the current operation
	op       int
	x, probs []T
}

// shard is one slice of the batch with its buffers.
type shard[T Float] struct {
	lo, n   int                // rows of the current call
	acts    [][]T              // per layer: output buffer (nil inside blocks, for views and the last layer)
	dacts   [][]T              // per layer: output gradient buffer (nil likewise)
	scratch [][]T              // per layer
	blocks  []*blockScratch[T] // per op: fused block state
	ins     [][]T              // per layer: input of the last forward
	outs    [][]T              // per layer: output of the last forward
	grads   [][]T              // per network param: own accumulators (parallel only)
	lgrads  [][][]T            // per layer: the gradient slices Backward adds into
	dlogits []T                // current call's output gradient
	dx      []T                // input gradient wanted, or nil
}

// MaxBatch is the largest batch the workspace takes.
func (ws *Workspace[T]) MaxBatch() int { return ws.maxBatch }

// Shards is the number of shards a batch is split into.
func (ws *Workspace[T]) Shards() int { return len(ws.shards) }

// NewWorkspace allocates the buffers for batches of up to maxBatch
// samples (at least 1), unsplit.
func (n *Network[T]) NewWorkspace(maxBatch int) *Workspace[T] {
	ws, err := n.NewParallelWorkspace(maxBatch, 1)
	if err != nil {
		panic(err) // unreachable: one shard is always allowed
	}
	return ws
}

// NewParallelWorkspace allocates a workspace that splits batches into
// shards run in parallel (set gemm.SetThreads(1) so that BLAS does not
// add threads of its own). BatchNorm's training statistics span the whole
// batch, so a network with BatchNorm gets one shard whatever is asked
// (Shards reports it; BLAS threads are then the way to use more cores).
// Call Close when done to stop the shard goroutines.
func (n *Network[T]) NewParallelWorkspace(maxBatch, shards int) (*Workspace[T], error) {
	if shards < 1 {
		return nil, fmt.Errorf("model: %d shards; need at least 1", shards)
	}
	if n.hasBN {
		shards = 1
	}
	maxBatch = max(maxBatch, 1)
	ws := &Workspace[T]{net: n, maxBatch: maxBatch,
		logits: make([]T, maxBatch*n.classes), dl: make([]T, maxBatch*n.classes)}
	rows := (maxBatch + shards - 1) / shards
	for s := 0; s < shards; s++ {
		ws.shards = append(ws.shards, n.newShard(rows, shards > 1))
	}
	if shards > 1 {
		ws.pool = newWorkerPool(shards - 1)
		runtime.AddCleanup(ws, func(p *workerPool) { p.close() }, ws.pool)
	}
	return ws, nil
}

// Close stops the goroutines of a parallel workspace; the workspace must
// not be used afterwards. It is a no-op for an unsplit one.
func (ws *Workspace[T]) Close() {
	if ws.pool != nil {
		ws.pool.close()
	}
}

func (n *Network[T]) newShard(rows int, ownGrads bool) *shard[T] {
	L := len(n.layers)
	s := &shard[T]{
		acts: make([][]T, L), dacts: make([][]T, L), scratch: make([][]T, L),
		blocks: make([]*blockScratch[T], len(n.ops)),
		ins:    make([][]T, L), outs: make([][]T, L), lgrads: make([][][]T, L),
	}
	for oi, o := range n.ops {
		l := n.layers[o.last]
		if _, isView := l.(view); !isView && o.last < L-1 {
			s.acts[o.last] = make([]T, rows*l.Out().Size())
			s.dacts[o.last] = make([]T, rows*l.Out().Size())
		}
		if o.block != nil {
			s.blocks[oi] = o.block.newScratch(rows)
		} else {
			s.scratch[o.first] = make([]T, l.ScratchLen(rows))
		}
	}
	if ownGrads {
		s.grads = make([][]T, len(n.params))
		for i, p := range n.params {
			s.grads[i] = make([]T, len(p.v))
		}
	}
	for i, l := range n.layers {
		np := len(l.Params())
		g := make([][]T, np)
		for j := 0; j < np; j++ {
			if ownGrads {
				g[j] = s.grads[n.pfirst[i]+j]
			} else {
				g[j] = n.params[n.pfirst[i]+j].g
			}
		}
		s.lgrads[i] = g
	}
	return s
}

// split assigns rows [0, batch) to the shards.
func (ws *Workspace[T]) split(batch int) {
	k := len(ws.shards)
	for i, s := range ws.shards {
		s.lo = i * batch / k
		s.n = (i+1)*batch/k - s.lo
	}
}

// Operations a workspace runs on its shards.
const (
	opForward = iota
	opBackward
	opPredict
)

// run performs op on every shard that has rows, in parallel. The
// arguments travel in the workspace's fields rather than in a closure, so
// that nothing is allocated.
func (ws *Workspace[T]) run(op int) {
	ws.op = op
	if ws.pool == nil {
		ws.runShard(0)
		return
	}
	ws.pool.run(len(ws.shards), ws)
}

// runShard performs the current operation on shard i.
func (ws *Workspace[T]) runShard(i int) {
	s := ws.shards[i]
	if s.n == 0 {
		return
	}
	n := ws.net
	in, k := n.in.Size(), n.classes
	xs := ws.x[s.lo*in : (s.lo+s.n)*in]
	ls := ws.logits[s.lo*k : (s.lo+s.n)*k]
	switch ws.op {
	case opForward:
		n.forwardShard(s, xs, ls, ws.train, true)
	case opBackward:
		n.backwardShard(s, ws.train)
	case opPredict:
		n.forwardShard(s, xs, ls, false, false)
		Softmax(ls, s.n, k, ws.probs[s.lo*k:(s.lo+s.n)*k])
	}
}

func (n *Network[T]) checkBatch(ws *Workspace[T], x []T, batch int) {
	if ws == nil || ws.net != n {
		panic("model: workspace belongs to another network")
	}
	if batch < 1 || batch > ws.maxBatch {
		panic(fmt.Sprintf("model: batch of %d outside the workspace's [1, %d]", batch, ws.maxBatch))
	}
	checkLen("input", len(x), batch*n.in.Size())
}

// Forward runs the network on batch samples of x (batch*Inputs() values,
// channel-major per sample) and returns the logits, batch*Classes()
// values valid until the next call on ws. train selects training mode:
// batch statistics in BatchNorm (which also updates its running
// statistics) and dropout masks drawn from rng, which must then be
// non-nil. Inference mode reads parameters only.
func (n *Network[T]) Forward(ws *Workspace[T], x []T, batch int, train bool, rng *rand.Rand) []T {
	n.checkBatch(ws, x, batch)
	ws.split(batch)
	if train {
		for i, l := range n.layers {
			if sm, ok := l.(Sampler[T]); ok {
				if rng == nil {
					panic("model: Forward in training mode needs an rng for dropout")
				}
				for _, s := range ws.shards {
					if s.n > 0 {
						sm.Sample(s.scratch[i], s.n, rng)
					}
				}
			}
		}
	}
	ws.batch, ws.train, ws.ready, ws.x = batch, train, true, x
	ws.run(opForward)
	return ws.logits[:batch*n.classes]
}

// forwardShard runs the ops on one shard; keep is false for Predict,
// after which there is no backward pass.
func (n *Network[T]) forwardShard(s *shard[T], x, logits []T, train, keep bool) {
	in := x
	last := len(n.layers) - 1
	for oi, o := range n.ops {
		out := s.acts[o.last]
		if o.last == last {
			out = logits
		} else if out == nil {
			out = in // a view
		}
		if o.block != nil {
			o.block.forward(in, out, s.n, keep, s.blocks[oi])
		} else {
			n.layers[o.first].Forward(in, out, s.n, train, s.scratch[o.first])
		}
		s.ins[o.first], s.outs[o.last] = in, out
		in = out
	}
}

// gradOut is the buffer for the gradient with respect to layer i's
// output (i = -1: the network input), nil when nothing needs it.
func (n *Network[T]) gradOut(s *shard[T], i int) []T {
	for ; i >= 0; i-- {
		if i == len(n.layers)-1 {
			return s.dlogits
		}
		if s.dacts[i] != nil {
			return s.dacts[i]
		}
		if _, isView := n.layers[i].(view); !isView {
			return nil // inside a block: never asked for
		}
	}
	return s.dx
}

// Backward backpropagates dlogits (batch*Classes() values, the gradient
// of the loss with respect to the logits of the last Forward on ws) and
// adds the parameter gradients into Param.Grad.
func (n *Network[T]) Backward(ws *Workspace[T], dlogits []T) {
	n.BackwardInput(ws, dlogits, nil)
}

// BackwardInput is Backward that also writes the gradient with respect
// to the input into dx (batch*Inputs() values) when dx is not nil.
func (n *Network[T]) BackwardInput(ws *Workspace[T], dlogits, dx []T) {
	if !ws.ready {
		panic("model: Backward without a Forward on this workspace")
	}
	k := n.classes
	checkLen("dlogits", len(dlogits), ws.batch*k)
	if dx != nil {
		checkLen("dx", len(dx), ws.batch*n.in.Size())
	}
	for _, s := range ws.shards {
		s.dlogits = dlogits[s.lo*k : (s.lo+s.n)*k]
		s.dx = nil
		if dx != nil {
			s.dx = dx[s.lo*n.in.Size() : (s.lo+s.n)*n.in.Size()]
		}
	}
	ws.run(opBackward)
	if len(ws.shards) > 1 {
		for pi, p := range n.params {
			g := p.g
			for _, s := range ws.shards {
				if s.n == 0 {
					continue
				}
				for j, v := range s.grads[pi] {
					g[j] += v
				}
			}
		}
	}
}

func (n *Network[T]) backwardShard(s *shard[T], train bool) {
	for _, g := range s.grads {
		clear(g)
	}
	for oi := len(n.ops) - 1; oi >= 0; oi-- {
		o := n.ops[oi]
		dy := n.gradOut(s, o.last)
		if dy == nil {
			return // only views remain below
		}
		dx := n.gradOut(s, o.first-1)
		if o.block != nil {
			o.block.backward(s.ins[o.first], s.outs[o.last], dy, dx, s.n, s.blocks[oi], s.lgrads[o.first])
		} else {
			n.layers[o.first].Backward(s.ins[o.first], s.outs[o.last], dy, dx, s.n, train, s.scratch[o.first], s.lgrads[o.first])
		}
	}
}

// Predict writes the softmax probabilities of batch samples of x into
// probs (batch*Classes() values), in inference mode. It reads the
// network's parameters only, so goroutines may call it at once on one
// Network, each with its own Workspace; it allocates nothing (see
// Workspace).
func (n *Network[T]) Predict(ws *Workspace[T], x []T, batch int, probs []T) {
	n.checkBatch(ws, x, batch)
	checkLen("probs", len(probs), batch*n.classes)
	ws.split(batch)
	ws.ready = false
	ws.x, ws.probs = x, probs
	ws.run(opPredict)
	ws.x, ws.probs = nil, nil
}

// PredictDense is Predict on tensors: x is (batch, Inputs()) or (batch,
// C, L) and the result is a new (batch, Classes()) tensor. It checks the
// shapes and element type and returns an error naming them.
func (n *Network[T]) PredictDense(ws *Workspace[T], x *tensor.Dense) (*tensor.Dense, error) {
	data, err := sliceOf[T](x)
	if err != nil {
		return nil, fmt.Errorf("model: predict input: %w", err)
	}
	sh := x.Shape()
	var batch int
	switch {
	case len(sh) == 2 && sh[1] == n.in.Size():
		batch = sh[0]
	case len(sh) == 3 && sh[1] == n.in.C && sh[2] == n.in.L:
		batch = sh[0]
	default:
		return nil, fmt.Errorf("model: predict input has shape %v, want (batch, %d) or (batch, %d, %d)", sh, n.in.Size(), n.in.C, n.in.L)
	}
	probs := make([]T, batch*n.classes)
	for lo := 0; lo < batch; lo += ws.maxBatch {
		b := min(ws.maxBatch, batch-lo)
		n.Predict(ws, data[lo*n.in.Size():(lo+b)*n.in.Size()], b, probs[lo*n.classes:(lo+b)*n.classes])
	}
	return tensor.New(tensor.WithShape(batch, n.classes), tensor.WithBacking(probs)), nil
}

// TrainStep runs one training step on batch samples: zero the gradients,
// forward in training mode (dropout from rng), the loss against labels y,
// backward, clip the global gradient norm to clip (when clip > 0) and one
// optimiser step. It returns the loss.
func (n *Network[T]) TrainStep(ws *Workspace[T], x []T, y []int32, batch int, loss SoftmaxCrossEntropy[T], opt Optimizer[T], clip float64, rng *rand.Rand) float64 {
	n.ZeroGrad()
	logits := n.Forward(ws, x, batch, true, rng)
	dl := ws.dl[:batch*n.classes]
	l := loss.Loss(logits, y, batch, dl)
	n.Backward(ws, dl)
	if clip > 0 {
		ClipGradNorm(n.params, clip)
	}
	opt.Step(n.params)
	return l
}

// shardRunner performs the current operation of a workspace on one shard.
type shardRunner interface{ runShard(i int) }

// workerPool runs shards 1..n on persistent goroutines.
type workerPool struct {
	jobs []chan shardRunner
	done chan struct{}
	once sync.Once
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{jobs: make([]chan shardRunner, n), done: make(chan struct{}, n)}
	for i := range p.jobs {
		ch := make(chan shardRunner)
		p.jobs[i] = ch
		go func() {
			for r := range ch {
				r.runShard(i + 1)
				p.done <- struct{}{}
			}
		}()
	}
	return p
}

// run performs shard 0 on the calling goroutine and shards 1..n-1 on the
// workers, and waits for all.
func (p *workerPool) run(n int, r shardRunner) {
	for i := 1; i < n; i++ {
		p.jobs[i-1] <- r
	}
	r.runShard(0)
	for i := 1; i < n; i++ {
		<-p.done
	}
}

func (p *workerPool) close() {
	p.once.Do(func() {
		for _, ch := range p.jobs {
			close(ch)
		}
	})
}
