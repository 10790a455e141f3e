package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cnids/cnids/balance"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/cli"
	"github.com/cnids/cnids/train"
)

// cmdBalance encodes a dataset file, resamples it and writes the encoded
// rows as CSV, so that users can inspect them or take them to other tools.
func cmdBalance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train balance", flag.ContinueOnError)
	var ro readOpts
	var po pipeOpts
	ro.register(fs)
	po.register(fs)
	var in cli.List
	fs.Var(&in, "in", "dataset file(s) to encode and resample")
	method := fs.String("method", "smote", "balancing method: "+strings.Join(balance.Methods(), ", "))
	out := fs.String("out", "-", "CSV file to write (- for stdout)")
	allowInvalid := fs.Bool("allow-invalid-onehot", false, "write rows whose one-hot blocks are not valid (only --categorical none makes them)")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if len(in) == 0 {
		fmt.Fprintln(stderr, "cnids-train balance: --in FILE is required")
		fs.Usage()
		return cli.ErrUsage
	}
	po.balance = *method
	pl, err := po.pipeline(io.Discard)
	if err != nil {
		return err
	}
	frame, _, err := ro.read(in, stderr)
	if err != nil {
		return err
	}
	enc, err := features.Fit(frame, pl.Encoder, nil)
	if err != nil {
		return err
	}
	d, _, err := train.Encode(enc, frame)
	if err != nil {
		return err
	}
	bal, err := pl.Balance(enc, frame.Classes)
	if err != nil {
		return err
	}
	x, y, err := train.Resample(bal, d, po.cfg.Seed)
	if err != nil {
		return err
	}
	if err := balance.ValidOneHot(x, enc.OneHotGroups()); err != nil && !*allowInvalid {
		return fmt.Errorf("resampled rows have invalid one-hot blocks (%w); use --categorical nc or snap, or --allow-invalid-onehot", err)
	}
	var w io.Writer = stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(bw, strings.Join(append(enc.Names(), "class"), ","))
	xs := x.Data().([]float32)
	width := enc.Width()
	var buf []byte
	for i, c := range y {
		buf = buf[:0]
		for _, v := range xs[i*width : (i+1)*width] {
			buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
			buf = append(buf, ',')
		}
		buf = append(buf, frame.Classes[c]...)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	before, after := make([]int, len(frame.Classes)), make([]int, len(frame.Classes))
	for _, c := range frame.Y {
		before[c]++
	}
	for _, c := range y {
		after[c]++
	}
	fmt.Fprintf(stderr, "cnids-train balance %s: %v -> %v rows per class (%s)\n", *method, before, after, strings.Join(frame.Classes, ", "))
	return nil
}
