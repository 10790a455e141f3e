package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cnids/cnids/balance"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/train"
)

// imblearnTiming times imbalanced-learn's samplers on the matrix in
// x.f32/y.i32 and prints "method seconds count count ..." lines.
const imblearnTiming = `
import sys, time, numpy as np
from imblearn.over_sampling import RandomOverSampler, SMOTE, ADASYN
d, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
X = np.fromfile(d + '/x.f32', dtype='<f4').reshape(rows, cols)
y = np.fromfile(d + '/y.i32', dtype='<i4')
for name, s in [('ros', RandomOverSampler(random_state=1)), ('smote', SMOTE(random_state=1)), ('adasyn', ADASYN(random_state=1))]:
    t = time.time(); _, yr = s.fit_resample(X, y); dt = time.time() - t
    print(name, '%.3f' % dt, ' '.join(str(int((yr == c).sum())) for c in range(int(y.max()) + 1)), flush=True)
`

// benchBalance times ROS, SMOTE and ADASYN on the encoded KDDTrain+ with
// cnids and with imbalanced-learn, in the same run and thread count.
func benchBalance(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cnids-bench balance", flag.ContinueOnError)
	trainPath := fs.String("train", "../shared/datasets/nsl-kdd/KDDTrain+.txt.gz", "NSL-KDD training file")
	python := fs.String("python", "/usr/bin/python3", "Python with imblearn ('' skips it)")
	threads := fs.Int("threads", runtime.NumCPU(), "threads for both")
	if err := fs.Parse(args); err != nil {
		return err
	}
	frame, _, err := dataset.ReadFile(*trainPath, dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		return err
	}
	// The encoding of torch-reference.py and imblearn_compare.py: min-max,
	// no log1p; 122 columns.
	enc, err := features.Fit(frame, features.EncoderConfig{Scale: "minmax"}, nil)
	if err != nil {
		return err
	}
	d, _, err := train.Encode(enc, frame)
	if err != nil {
		return err
	}
	prev := runtime.GOMAXPROCS(*threads)
	defer runtime.GOMAXPROCS(prev)
	gemm.SetThreads(1)
	type result struct {
		secs   float64
		counts []int
	}
	goRes := map[string]result{}
	methods := []string{"ros", "smote", "adasyn"}
	for _, m := range methods {
		// imbalanced-learn's defaults: plain interpolation of every column.
		b, err := balance.New(m, balance.Options{Categorical: balance.CatNone, Workers: *threads})
		if err != nil {
			return err
		}
		t0 := time.Now()
		_, y, err := train.Resample(b, d, 1)
		if err != nil {
			return err
		}
		counts := make([]int, len(frame.Classes))
		for _, c := range y {
			counts[c]++
		}
		goRes[m] = result{time.Since(t0).Seconds(), counts}
	}
	pyRes := map[string]result{}
	if *python != "" {
		dir, err := os.MkdirTemp("", "cnids-bench-balance")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := writeLE(filepath.Join(dir, "x.f32"), d.X); err != nil {
			return err
		}
		if err := writeLE(filepath.Join(dir, "y.i32"), d.Y); err != nil {
			return err
		}
		cmd := exec.Command(*python, "-c", imblearnTiming, dir, strconv.Itoa(d.Rows()), strconv.Itoa(d.Width))
		n := strconv.Itoa(*threads)
		cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+n, "OPENBLAS_NUM_THREADS="+n, "MKL_NUM_THREADS="+n)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("imblearn: %w: %s", err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			secs, _ := strconv.ParseFloat(f[1], 64)
			var counts []int
			for _, c := range f[2:] {
				v, _ := strconv.Atoi(c)
				counts = append(counts, v)
			}
			pyRes[f[0]] = result{secs, counts}
		}
	}
	fmt.Fprintf(out, "Balancing the encoded %s (%d rows x %d columns), %d threads, BLAS %s\n\n", filepath.Base(*trainPath), d.Rows(), d.Width, *threads, gemm.Backend())
	fmt.Fprintln(out, "| method | cnids s | imbalanced-learn s | speed-up | rows per class (cnids) | same counts |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---|---|")
	for _, m := range methods {
		g, p := goRes[m], pyRes[m]
		ps, sp, same := "-", "-", "-"
		if p.secs > 0 {
			ps, sp = fmt.Sprintf("%.2f", p.secs), fmt.Sprintf("%.1fx", p.secs/g.secs)
			same = fmt.Sprint(fmt.Sprint(g.counts) == fmt.Sprint(p.counts))
			if same == "false" {
				same += fmt.Sprintf(" (imblearn %v)", p.counts)
			}
		}
		fmt.Fprintf(out, "| %s | %.2f | %s | %s | %v | %s |\n", m, g.secs, ps, sp, g.counts, same)
	}
	return nil
}

func writeLE(path string, data any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := binary.Write(w, binary.LittleEndian, data); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
