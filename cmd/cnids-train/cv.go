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

	"github.com/cnids/cnids/train"
)

func cmdCV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train cv", flag.ContinueOnError)
	var ro readOpts
	var po pipeOpts
	ro.register(fs)
	po.register(fs)
	var trainFiles cli.List
	fs.Var(&trainFiles, "train", "dataset file(s) to cross-validate on")
	folds := fs.Int("folds", 5, "number of folds")
	repeats := fs.Int("repeats", 1, "repeats with independent shuffles")
	out := fs.String("out", "", "directory for the report: summary Markdown, JSON and the summed confusion matrix PNG")
	asJSON := fs.Bool("json", false, "print the result as JSON on stdout")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if len(trainFiles) == 0 {
		fmt.Fprintln(stderr, "cnids-train cv: --train FILE is required")
		fs.Usage()
		return cli.ErrUsage
	}
	pl, err := po.pipeline(stderr)
	if err != nil {
		return err
	}
	frame, _, err := ro.read(trainFiles, stderr)
	if err != nil {
		return err
	}
	res, err := pl.CrossValidate(ctx, frame, *folds, *repeats)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeCVReport(*out, res, frame.Classes, pl.Arch.Name); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeCVMarkdown(stdout, res)
}

func writeCVMarkdown(w io.Writer, res *train.CVResult) error {
	fmt.Fprintf(w, "Held-out folds (%d):\n\n", res.Summary.Folds)
	if err := res.Summary.WriteMarkdown(w); err != nil {
		return err
	}
	if res.Hard != nil {
		fmt.Fprintf(w, "\nHeld-out rows of difficulty below 21 (as KDDTest-21 was built):\n\n")
		if err := res.Hard.WriteMarkdown(w); err != nil {
			return err
		}
	}
	return nil
}

func writeCVReport(dir string, res *train.CVResult, classes []string, arch string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "cv-"+arch+".md"))
	if err != nil {
		return err
	}
	if err := writeCVMarkdown(f, res); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cv-"+arch+".json"), b, 0o644); err != nil {
		return err
	}
	return train.PlotConfusionMatrix(filepath.Join(dir, "cv-"+arch+"-confusion.png"), res.Confusion, classes, true)
}
