// Command cnids-bench measures cnids: speed against baselines measured in
// the same run, and detection on labelled captures.
//
//	cnids-bench train [--train FILE] [--epochs N] [--threads 1,2]
//	cnids-bench detect --model M [--lab DIR] [--public DIR]
//	cnids-bench sensor --pcap BIG.pcap [--model M]
//	cnids-bench synflood [--sources 1000000] [--max-flows 100000]
//	cnids-bench balance [--train FILE] [--threads N]
//
// sensor replays a large capture (../shared/tools/make-bench-pcap.sh
// builds one) three ways and prints packets/s and connections/s per core
// (work divided by the process's CPU-seconds) with ratios: the bare read
// and decode (the floor), Debian's argus -r (a peer flow sensor that does
// no classification), and the whole cnids pipeline with alerts written
// to io.Discard, with and without the verdict cache.
//
// balance times random over-sampling, SMOTE and ADASYN on the encoded
// KDDTrain+ with cnids and with imbalanced-learn (python3-imblearn), with
// the same thread count in the same run, and compares the row counts.
//
// synflood writes a spoofed-source SYN flood (one SYN from each of N
// addresses) and replays it under a flow cap, reporting peak RSS,
// evictions and alerts.
//
// detect replays every phase of a labelled capture set (a directory with
// labels.csv, like ../shared/pcaps/lab) and every attack-* trace of the
// public corpus through the sensor, and prints per-file flows, alerts and
// alert classes as Markdown tables.
//
// train trains the reference cnn on NSL-KDD with cnids and with PyTorch
// (Debian's python3-torch running ../shared/tools/torch-reference.py, the
// same network, batch, optimiser and input encoding), once per thread
// count, and prints training samples/s for both and their ratio; then it
// measures batched inference rows/s and GFLOP/s on one core for both.
// One thread means GOMAXPROCS=1 and single-threaded BLAS for Go, and
// torch.set_num_threads(1) with OMP_NUM_THREADS=1 and
// OPENBLAS_NUM_THREADS=1 for PyTorch.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/train"
)

func main() {
	cmds := map[string]func([]string, io.Writer) error{
		"train":    benchTrain,
		"detect":   benchDetect,
		"sensor":   benchSensor,
		"synflood": benchSYNFlood,
		"balance":  benchBalance,
		"argus":    benchArgus,
	}
	if len(os.Args) < 2 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: cnids-bench train|detect|sensor|synflood|balance|argus [flags]")
		os.Exit(2)
	}
	if err := cmds[os.Args[1]](os.Args[2:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cnids-bench:", err)
		os.Exit(1)
	}
}

type trainResult struct {
	threads        int
	goRate, pyRate float64 // training samples/s
}

func benchTrain(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cnids-bench train", flag.ContinueOnError)
	trainPath := fs.String("train", "../shared/datasets/nsl-kdd/KDDTrain+.txt.gz", "NSL-KDD training file")
	testPath := fs.String("test", "../shared/datasets/nsl-kdd/KDDTrain+_20Percent.txt.gz", "file PyTorch's reference script evaluates (inference timing only)")
	epochs := fs.Int("epochs", 3, "epochs per run; the first is a warm-up and the rate is the mean of the others")
	threadList := fs.String("threads", fmt.Sprintf("1,%d", runtime.NumCPU()), "thread counts to measure")
	script := fs.String("torch", "../shared/tools/torch-reference.py", "PyTorch reference script ('' skips PyTorch)")
	python := fs.String("python", "/usr/bin/python3", "Python interpreter with torch")
	seed := fs.Uint64("seed", 1, "seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *epochs < 2 {
		return errors.New("--epochs must be at least 2 (the first is a warm-up)")
	}
	var threads []int
	for _, s := range strings.Split(*threadList, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || t < 1 {
			return fmt.Errorf("--threads: bad count %q", s)
		}
		threads = append(threads, t)
	}

	frame, _, err := dataset.ReadFile(*trainPath, dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		return err
	}
	// The reference script's encoding: min-max scaling without log1p, then
	// the one-hot blocks; 122 columns on KDDTrain+.
	enc, err := features.Fit(frame, features.EncoderConfig{Scale: "minmax", Clip: true}, rand.New(rand.NewPCG(*seed, 1)))
	if err != nil {
		return err
	}
	data, _, err := train.Encode(enc, frame)
	if err != nil {
		return err
	}
	arch, _ := model.DefaultArch("cnn")
	fmt.Fprintf(out, "cnids-bench train: %d rows x %d columns, cnn, batch 256, Adam 1e-3, %d epochs per run (first is warm-up)\n", data.Rows(), data.Width, *epochs)
	fmt.Fprintf(out, "Go %s, BLAS %s; CPU: %s\n\n", runtime.Version(), gemm.Backend(), cpuName())

	var results []trainResult
	for _, t := range threads {
		r := trainResult{threads: t}
		if r.goRate, err = goTrain(data, arch, t, *epochs, *seed); err != nil {
			return err
		}
		if *script != "" {
			if r.pyRate, _, err = torchRun(*python, *script, *trainPath, *testPath, t, *epochs); err != nil {
				return err
			}
		}
		results = append(results, r)
	}
	fmt.Fprintln(out, "Training (samples/s, mean of epochs 2..N)")
	fmt.Fprintln(out, "| threads | cnids | PyTorch | cnids / PyTorch |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Fprintf(out, "| %d | %.0f | %s | %s |\n", r.threads, r.goRate, rate(r.pyRate), ratio(r.goRate, r.pyRate))
	}

	// Inference, one core, batched.
	goRows, gflops, err := goInfer(data, arch, enc.Width(), len(frame.Classes), *seed)
	if err != nil {
		return err
	}
	var pyRows float64
	if *script != "" {
		if _, pyRows, err = torchRun(*python, *script, *trainPath, *testPath, 1, 1); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nInference, one core (rows/s)")
	fmt.Fprintln(out, "| cnids | GFLOP/s | PyTorch | cnids / PyTorch |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|")
	fmt.Fprintf(out, "| %.0f | %.1f | %s | %s |\n", goRows, gflops, rate(pyRows), ratio(goRows, pyRows))
	return nil
}

func rate(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func cpuName() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v) + fmt.Sprintf(" (%d cores)", runtime.NumCPU())
		}
	}
	return runtime.GOARCH
}

// goTrain trains the cnn for epochs epochs on threads threads and returns
// the mean training rate of the epochs after the first.
func goTrain(d train.Data, arch model.Arch, threads, epochs int, seed uint64) (float64, error) {
	prev := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(prev)
	gemm.SetThreads(1)
	net, err := model.Build[float32](arch, d.Width, 5, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		return 0, err
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.Patience, cfg.Threads, cfg.Seed = epochs, 0, threads, seed
	hist, err := train.Fit(context.Background(), net, cfg, d, train.Data{Width: d.Width})
	if err != nil {
		return 0, err
	}
	var secs float64
	for _, e := range hist.Epochs[1:] {
		secs += e.Seconds
	}
	return float64(d.Rows()*(len(hist.Epochs)-1)) / secs, nil
}

// goInfer measures batched inference on one core: rows/s and GFLOP/s.
func goInfer(d train.Data, arch model.Arch, width, classes int, seed uint64) (rows, gflops float64, err error) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	gemm.SetThreads(1)
	net, err := model.Build[float32](arch, width, classes, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		return 0, 0, err
	}
	const batch = 256
	ws := net.NewWorkspace(batch)
	probs := make([]float32, batch*classes)
	n := d.Rows() / batch * batch
	var done int
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		for off := 0; off < n; off += batch {
			net.Predict(ws, d.X[off*width:(off+batch)*width], batch, probs)
		}
		done += n
	}
	secs := time.Since(start).Seconds()
	rows = float64(done) / secs
	return rows, rows * float64(net.FLOPs()) / 1e9, nil
}

var (
	epochRe = regexp.MustCompile(`^epoch (\d+) .* ([0-9.]+) samples/s`)
	inferRe = regexp.MustCompile(`^inference (\d+) rows .* ([0-9.]+) rows/s`)
)

// torchRun runs the PyTorch reference script and returns its mean
// training rate over epochs 2..N and its inference rate.
func torchRun(python, script, trainPath, testPath string, threads, epochs int) (trainRate, inferRate float64, err error) {
	cmd := exec.Command(python, script, trainPath, testPath, "--epochs", strconv.Itoa(epochs), "--threads", strconv.Itoa(threads))
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(threads), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads), "MKL_NUM_THREADS="+strconv.Itoa(threads))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w\n%s", python, script, err, stderr.String())
	}
	var rates []float64
	sc := bufio.NewScanner(bytes.NewReader(outb))
	for sc.Scan() {
		if m := epochRe.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			rates = append(rates, v)
		}
		if m := inferRe.FindStringSubmatch(sc.Text()); m != nil {
			inferRate, _ = strconv.ParseFloat(m[2], 64)
		}
	}
	if len(rates) == 0 {
		return 0, 0, fmt.Errorf("%s printed no epoch lines:\n%s", script, outb)
	}
	if len(rates) > 1 {
		rates = rates[1:]
	}
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum / float64(len(rates)), inferRate, nil
}
