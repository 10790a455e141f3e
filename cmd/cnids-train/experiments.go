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
	var res []train.ExperimentResult
	for _, e := range exps {
		r, err := train.RunExperiments(ctx, frame, test, []train.Experiment{e}, *folds, *repeats, stderr)
		if err != nil {
			return err
		}
		res = append(res, r...)
		if err := train.WriteExperimentReport(*out, header, res, frame.Classes); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(*out + "/report.md")
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
}
