package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cnids/cnids/internal/cli"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/train"
)

func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train fit", flag.ContinueOnError)
	var ro readOpts
	var po pipeOpts
	ro.register(fs)
	po.register(fs)
	var trainFiles, validFiles, testFiles cli.List
	fs.Var(&trainFiles, "train", "training file(s); repeat or comma-separate for several")
	fs.Var(&validFiles, "valid", "validation file(s) (default: a stratified --valid-split of the training rows)")
	fs.Var(&testFiles, "test", "test file(s), evaluated after training and never used to choose anything")
	out := fs.String("out", "", "model file to write (default cnids-DATASET-ARCH.model)")
	report := fs.String("report", "", "directory for the report: metrics JSON, confusion-matrix and learning-curve PNGs")
	asJSON := fs.Bool("json", false, "print the metrics as JSON on stdout instead of tables")
	ckpt := fs.String("checkpoint", "", "checkpoint file rewritten after every epoch")
	resume := fs.Bool("resume", false, "resume from --checkpoint when it exists")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if len(trainFiles) == 0 {
		fmt.Fprintln(stderr, "cnids-train fit: --train FILE is required")
		fs.Usage()
		return cli.ErrUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	pl, err := po.pipeline(stderr)
	if err != nil {
		return err
	}
	pl.Train.Checkpoint, pl.Train.Resume = *ckpt, *resume
	if *out == "" {
		*out = fmt.Sprintf("cnids-%s-%s.model", ro.dataset, pl.Arch.Name)
	}
	trFrame, files, err := ro.read(trainFiles, stderr)
	if err != nil {
		return err
	}
	var vaFrame *features.Frame
	if len(validFiles) > 0 {
		if vaFrame, _, err = ro.read(validFiles, stderr); err != nil {
			return err
		}
	}
	res, err := pl.Fit(ctx, trFrame, vaFrame)
	if err != nil {
		return err
	}
	hdr := &res.File.Header
	hdr.Training.Files = files
	hdr.Training.Labels = labelsOr(ro.labels, trFrame.Classes)
	if err := res.File.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "cnids-train: wrote %s (%s, %d classes, threshold %.4f at validation FAR %.4f, detection %.4f; best epoch %d of %d, %.0f samples/s)\n",
		*out, pl.Arch.Name, len(hdr.Classes), hdr.Threshold, hdr.Training.ValidFAR, hdr.Training.ValidDetection,
		res.History.BestEpoch, len(res.History.Epochs), res.History.SamplesPerSecond)

	result := fitResult{Model: *out, History: res.History, Validation: res.Valid, Operating: res.Operating}
	if len(testFiles) > 0 {
		teFrame, _, err := ro.read(testFiles, stderr)
		if err != nil {
			return err
		}
		ev, err := train.EvaluateFile(res.File, teFrame, pl.Train.Threads)
		if err != nil {
			return err
		}
		result.Test = ev
	}
	if *report != "" {
		if err := writeFitReport(*report, res, result.Test, hdr.Classes); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	}
	if err := printMetrics(stdout, "Validation ("+fmt.Sprint(res.Valid.Total)+" rows)", res.Valid, hdr.Classes); err != nil {
		return err
	}
	if result.Test != nil {
		return printEvaluation(stdout, "Test", result.Test, hdr.Classes)
	}
	return nil
}

type fitResult struct {
	Model      string               `json:"model"`
	History    train.History        `json:"history"`
	Validation train.Metrics        `json:"validation"`
	Operating  train.OperatingPoint `json:"validation_operating_point"`
	Test       *train.Evaluation    `json:"test,omitempty"`
}

func labelsOr(l string, classes []string) string {
	if l != "" {
		return l
	}
	if len(classes) == 2 {
		return "binary"
	}
	return "default"
}

func writeFitReport(dir string, res *train.Outcome, test *train.Evaluation, classes []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := train.PlotLearningCurves(filepath.Join(dir, "learning-curves.png"), res.History.Epochs); err != nil {
		return err
	}
	if res.Valid.Total > 0 {
		if err := train.PlotConfusionMatrix(filepath.Join(dir, "confusion-validation.png"), res.Valid.Confusion, classes, true); err != nil {
			return err
		}
	}
	if test != nil {
		if err := train.PlotConfusionMatrix(filepath.Join(dir, "confusion-test.png"), test.Metrics.Confusion, classes, true); err != nil {
			return err
		}
	}
	series := [][]int{res.TrainCounts}
	labels := []string{"training rows"}
	if res.File.Header.Training.BalancedCounts != nil {
		series = append(series, res.BalancedCounts)
		labels = append(labels, "after balancing")
	}
	if err := train.PlotClassDistribution(filepath.Join(dir, "class-distribution.png"), "Training class distribution", classes, series, labels, true); err != nil {
		return err
	}
	b, err := json.MarshalIndent(struct {
		History    train.History        `json:"history"`
		Validation train.Metrics        `json:"validation"`
		Operating  train.OperatingPoint `json:"validation_operating_point"`
		Test       *train.Evaluation    `json:"test,omitempty"`
	}{res.History, res.Valid, res.Operating, test}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "metrics.json"), b, 0o644)
}

func printMetrics(w io.Writer, title string, m train.Metrics, classes []string) error {
	r, err := train.NewReport(title, m, classes)
	if err != nil {
		return err
	}
	return r.WriteText(w)
}

func printEvaluation(w io.Writer, title string, ev *train.Evaluation, classes []string) error {
	if err := printMetrics(w, fmt.Sprintf("%s (%d rows)", title, ev.Metrics.Total), ev.Metrics, classes); err != nil {
		return err
	}
	if op := ev.Operating; op != nil {
		fmt.Fprintf(w, "\nAlert threshold %.4f (score = 1 - P(normal)): detection rate %.4f (%d of %d attacks), false-alarm rate %.4f (%d of %d normal)\n",
			op.Threshold, op.DetectionRate, op.Detected, op.Attacks, op.FalseAlarmRate, op.FalseAlarms, op.Normals)
	}
	if st := ev.Stats; st.Imputed+st.Clipped > 0 || len(st.Unseen) > 0 {
		fmt.Fprintf(w, "Encoder: %d missing values imputed, %d values clipped to the training range, unseen symbols %v\n", st.Imputed, st.Clipped, st.Unseen)
	}
	if ev.Hard != nil {
		fmt.Fprintln(w)
		return printMetrics(w, fmt.Sprintf("%s, rows of difficulty < 21 (%d rows)", title, ev.Hard.Total), *ev.Hard, classes)
	}
	return nil
}
