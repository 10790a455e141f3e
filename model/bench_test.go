package model

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/cnids/cnids/internal/gemm"
)

// Benchmarks on the reference shapes: 122 inputs, 5 classes, batch 256.
// Run with -cpu 1,2: shards follow GOMAXPROCS and BLAS runs one thread.

const benchBatch, benchInputs, benchClasses = 256, 122, 5

// benchData is a batch shaped like encoded NSL-KDD rows: 38 numeric
// columns, about half of them zero, then one-hot blocks of 3, 70 and 11.
func benchData(rows int, seed uint64) ([]float32, []int32) {
	rng := newRand(seed)
	x := make([]float32, rows*benchInputs)
	y := make([]int32, rows)
	for n := 0; n < rows; n++ {
		r := x[n*benchInputs : (n+1)*benchInputs]
		for j := 0; j < 38; j++ {
			if rng.IntN(2) == 0 {
				r[j] = float32(rng.Float64())
			}
		}
		r[38+rng.IntN(3)] = 1
		r[41+rng.IntN(70)] = 1
		r[111+rng.IntN(11)] = 1
		y[n] = int32(rng.IntN(benchClasses))
	}
	return x, y
}

func benchNet(b *testing.B, arch string) *Network[float32] {
	a, err := DefaultArch(arch)
	if err != nil {
		b.Fatal(err)
	}
	n, err := Build[float32](a, benchInputs, benchClasses, newRand(1))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func benchPredict(b *testing.B, arch string) {
	gemm.SetThreads(1)
	n := benchNet(b, arch)
	x, _ := benchData(benchBatch, 2)
	ws, err := n.NewParallelWorkspace(benchBatch, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	probs := make([]float32, benchBatch*benchClasses)
	b.Logf("backend %s, %d params, %d FLOP/row", gemm.Backend(), n.NumParams(), n.FLOPs())
	var t timer
	for b.Loop() {
		t.start()
		n.Predict(ws, x, benchBatch, probs)
		t.stop()
	}
	reportRows(b, n, &t)
}

// timer measures the CPU time and the fastest call of a benchmark: on a
// shared machine other processes stretch wall-clock time, and the
// fastest of many calls is the closest to the uncontended speed.
type timer struct {
	c0, cpu time.Duration
	w0      time.Time
	best    time.Duration
}

func (t *timer) start() { t.c0, t.w0 = cpuTime(), time.Now() }

func (t *timer) stop() {
	w := time.Since(t.w0)
	t.cpu += cpuTime() - t.c0
	if t.best == 0 || w < t.best {
		t.best = w
	}
}

func reportRows(b *testing.B, n *Network[float32], t *timer) {
	rows := float64(b.N) * benchBatch / b.Elapsed().Seconds()
	b.ReportMetric(rows, "rows/s")
	b.ReportMetric(rows*float64(n.FLOPs())/1e9, "GFLOP/s")
	b.ReportMetric(float64(b.N)*benchBatch/t.cpu.Seconds(), "rows/cpu-s")
	best := benchBatch / t.best.Seconds()
	b.ReportMetric(best, "best-rows/s")
	b.ReportMetric(best*float64(n.FLOPs())/1e9, "best-GFLOP/s")
}

func benchTrain(b *testing.B, arch string) {
	gemm.SetThreads(1)
	n := benchNet(b, arch)
	x, y := benchData(benchBatch, 3)
	ws, err := n.NewParallelWorkspace(benchBatch, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	opt := NewAdam[float32](AdamConfig{LR: 1e-3})
	rng := newRand(4)
	var t timer
	for b.Loop() {
		t.start()
		n.TrainStep(ws, x, y, benchBatch, SoftmaxCrossEntropy[float32]{}, opt, 0, rng)
		t.stop()
	}
	b.ReportMetric(float64(b.N)*benchBatch/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(b.N)*benchBatch/t.cpu.Seconds(), "samples/cpu-s")
	b.ReportMetric(benchBatch/t.best.Seconds(), "best-samples/s")
}

func BenchmarkPredictCNN(b *testing.B)       { benchPredict(b, "cnn") }
func BenchmarkPredictCNNLSTM(b *testing.B)   { benchPredict(b, "cnn-lstm") }
func BenchmarkTrainStepCNN(b *testing.B)     { benchTrain(b, "cnn") }
func BenchmarkTrainStepCNNLSTM(b *testing.B) { benchTrain(b, "cnn-lstm") }

// BenchmarkPredictCNNUnfused is Predict without fused conv blocks (one
// thread), to show what the fusion saves.
func BenchmarkPredictCNNUnfused(b *testing.B) {
	gemm.SetThreads(1)
	n := unfused(benchNet(b, "cnn"))
	x, _ := benchData(benchBatch, 2)
	ws := n.NewWorkspace(benchBatch)
	probs := make([]float32, benchBatch*benchClasses)
	var t timer
	for b.Loop() {
		t.start()
		n.Predict(ws, x, benchBatch, probs)
		t.stop()
	}
	reportRows(b, n, &t)
}

// cpuTime is the process's user+system CPU time. The benchmarks report
// throughput per CPU-second beside wall-clock throughput, since the
// former is what a loaded shared machine distorts least.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
