package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/cnids/cnids/internal/cli"

	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/train"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train eval", flag.ContinueOnError)
	modelPath := fs.String("model", "", "model file")
	var testFiles cli.List
	fs.Var(&testFiles, "test", "labelled test file(s)")
	labels := fs.String("labels", "", "label mode of the test file (default: the model's)")
	skipBad := fs.Bool("skip-bad", false, "skip bad rows (counted and reported)")
	asJSON := fs.Bool("json", false, "print the evaluation as JSON")
	threads := fs.Int("threads", 0, "threads (0: all cores)")
	predOut := fs.String("predictions", "", "write per-row predictions (line, true, predicted, score, probabilities) as CSV to this file")
	fs.String("config", "", "YAML file of flag settings")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if *modelPath == "" || len(testFiles) == 0 {
		fmt.Fprintln(stderr, "cnids-train eval: --model and --test are required")
		fs.Usage()
		return cli.ErrUsage
	}
	mf, err := model.Load(*modelPath)
	if err != nil {
		return err
	}
	lm := *labels
	if lm == "" {
		lm = mf.Header.Training.Labels
		if lm == "default" {
			lm = ""
		}
	}
	ro := readOpts{dataset: mf.Encoder().Schema().Name, labels: lm, skipBad: *skipBad}
	frame, _, err := ro.read(testFiles, stderr)
	if err != nil {
		return err
	}
	ev, err := train.EvaluateFile(mf, frame, *threads)
	if err != nil {
		return err
	}
	if *predOut != "" {
		if err := writePredictions(*predOut, frame, ev, mf); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ev)
	}
	return printEvaluation(stdout, "Test", ev, mf.Header.Classes)
}
