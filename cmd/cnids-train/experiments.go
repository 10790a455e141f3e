package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/cli"
	"github.com/cnids/cnids/train"
)

func cmdExperiments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train experiments", flag.ContinueOnError)
	var ro readOpts
	var po pipeOpts
	ro.register(fs)
	po.register(fs)
	var trainFiles, testFiles, archs, methods cli.List
	fs.Var(&trainFiles, "train", "training file(s)")
	fs.Var(&testFiles, "test", "test file(s); without them each cell is cross-validated on the training rows")
	fs.Var(&archs, "archs", "architectures (default cnn,cnn-lstm)")
	fs.Var(&methods, "methods", "balancing methods (default none,ros,smote,borderline-smote1,adasyn,smote-enn,smote-tomek,class-weight,gan)")
	folds := fs.Int("folds", 3, "folds of the stratified k-fold (without --test)")
	repeats := fs.Int("repeats", 2, "repeats of the k-fold, or fits with consecutive seeds with --test")
	out := fs.String("out", "", "report directory (required)")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if len(trainFiles) == 0 || *out == "" {
		fmt.Fprintln(stderr, "cnids-train experiments: --train FILE and --out DIR are required")
		fs.Usage()
		return cli.ErrUsage
	}
	if len(archs) == 0 {
		archs = cli.List{"cnn", "cnn-lstm"}
	}
	if len(methods) == 0 {
		methods = cli.List{"none", "ros", "smote", "borderline-smote1", "adasyn", "smote-enn", "smote-tomek", "class-weight", "gan"}
	}
	frame, _, err := ro.read(trainFiles, stderr)
	if err != nil {
		return err
	}
	var test *features.Frame
	if len(testFiles) > 0 {
		if test, _, err = ro.read(testFiles, stderr); err != nil {
			return err
		}
	}
	var exps []train.Experiment
	for _, a := range archs {
		for _, m := range methods {
			o := po
			o.arch, o.balance = a, m
			o.progress = false
			pl, err := o.pipeline(io.Discard)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", a, m, err)
			}
			exps = append(exps, train.Experiment{Arch: a, Balance: m, Pipeline: pl})
		}
	}
	header := fmt.Sprintf("Experiment matrix on %s (%s, %d rows), seed %d; command:\n\n    cnids-train experiments %s",
		frame.Source, ro.dataset, frame.Len(), po.cfg.Seed, strings.Join(os.Args[2:], " "))
	if test != nil {
		header += fmt.Sprintf("\n\nEvaluated on %s (%d rows), %d fits per cell with consecutive seeds.", test.Source, test.Len(), *repeats)
	} else {
		header += fmt.Sprintf("\n\nEvaluated by %d-fold stratified cross-validation repeated %d times (the same folds for every cell).", *folds, *repeats)
	}
	// Run the cells one at a time and rewrite the report after each, so
	// that an interrupted matrix keeps the cells it finished.
	// A cell whose recipe cannot run on these rows (ADASYN on a class
	// that no other class's rows neighbour, for one) is named in the
	// report with its error, and the matrix goes on; the exit status is
	// then 1.
	var res []train.ExperimentResult
	var failed []string
	for _, e := range exps {
		r, err := train.RunExperiments(ctx, frame, test, []train.Experiment{e}, *folds, *repeats, stderr)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(stderr, "cnids-train experiments: cell %s/%s failed: %v\n", e.Arch, e.Balance, err)
			failed = append(failed, fmt.Sprintf("- %s/%s: %v", e.Arch, e.Balance, err))
		}
		res = append(res, r...)
		h := header
		if len(failed) > 0 {
			h += "\n\nCells that could not run (no row in the table):\n\n" + strings.Join(failed, "\n")
		}
		if len(res) == 0 {
			continue
		}
		if err := train.WriteExperimentReport(*out, h, res, frame.Classes); err != nil {
			return err
		}
	}
	if len(res) == 0 {
		return fmt.Errorf("every cell failed:\n%s", strings.Join(failed, "\n"))
	}
	data, err := os.ReadFile(*out + "/report.md")
	if err != nil {
		return err
	}
	if _, err = stdout.Write(data); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d cells failed (named in %s/report.md)", len(failed), len(exps), *out)
	}
	return nil
}
