package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnids/cnids/features"
)

// Experiment is one cell of an experiment matrix: a named training recipe
// (an architecture with a balancing method).
type Experiment struct {
	// Arch and Balance name the cell, e.g. "cnn" and "smote".
	Arch, Balance string
	// Pipeline is the recipe.
	Pipeline *Pipeline
}

// ExperimentResult is the outcome of one cell over every fold (or every
// seed, with a test set) it was run on.
type ExperimentResult struct {
	Arch    string `json:"arch"`
	Balance string `json:"balance"`
	// Runs holds the held-out evaluation of each run.
	Runs []FoldResult `json:"runs"`
	// Summary summarises the runs' metrics (mean and sample deviation).
	Summary *CVSummary `json:"summary"`
	// Specificity is the macro specificity over runs.
	Specificity Stat `json:"macro_specificity"`
	// MacroPrecision, MacroRecall, WeightedPrecision and WeightedRecall
	// complete the summary's F1 scores.
	MacroPrecision, MacroRecall, WeightedPrecision, WeightedRecall Stat
	// TrainSeconds and BalanceSeconds are the mean wall time per run of
	// the whole fit and of the resampling alone.
	TrainSeconds, BalanceSeconds float64
	// Confusion is the sum of the runs' confusion matrices.
	Confusion ConfusionMatrix `json:"confusion_matrix"`
}

// RunExperiments runs every experiment on frame. With test nil, each runs
// repeated stratified k-fold cross-validation (the same folds for every
// cell, as the seed is shared); otherwise each is fitted repeats times
// with seeds Seed, Seed+1, ... on frame and evaluated on test. log, when
// not nil, receives a line per finished cell.
func RunExperiments(ctx context.Context, frame, test *features.Frame, exps []Experiment, folds, repeats int, log io.Writer) ([]ExperimentResult, error) {
	if len(exps) == 0 {
		return nil, errors.New("train: no experiments")
	}
	var out []ExperimentResult
	for _, e := range exps {
		t0 := time.Now()
		var runs []FoldResult
		if test == nil {
			cv, err := e.Pipeline.CrossValidate(ctx, frame, folds, repeats)
			if err != nil {
				return out, fmt.Errorf("train: experiment %s/%s: %w", e.Arch, e.Balance, err)
			}
			runs = cv.Folds
		} else {
			for r := range repeats {
				q := *e.Pipeline
				q.Train.Seed += uint64(r)
				t1 := time.Now()
				o, err := q.Fit(ctx, frame, nil)
				if err != nil {
					return out, fmt.Errorf("train: experiment %s/%s: %w", e.Arch, e.Balance, err)
				}
				ev, err := EvaluateFile(o.File, test, q.Train.Threads)
				if err != nil {
					return out, err
				}
				runs = append(runs, FoldResult{Repeat: r + 1, Fold: 1, Eval: ev, History: o.History, TrainCounts: o.TrainCounts,
					BalancedCounts: o.BalancedCounts, BalanceSeconds: o.BalanceSeconds, Seconds: time.Since(t1).Seconds()})
			}
		}
		res, err := summarizeRuns(e, runs, frame.Classes)
		if err != nil {
			return out, err
		}
		out = append(out, res)
		if log != nil {
			fmt.Fprintf(log, "experiment %s/%s: macro-F1 %s, accuracy %s (%d runs, %.0fs)\n", e.Arch, e.Balance,
				res.Summary.MacroF1, res.Summary.Accuracy, len(runs), time.Since(t0).Seconds())
		}
	}
	return out, nil
}

func summarizeRuns(e Experiment, runs []FoldResult, classes []string) (ExperimentResult, error) {
	res := ExperimentResult{Arch: e.Arch, Balance: e.Balance, Runs: runs}
	ms := make([]Metrics, len(runs))
	var err error
	if res.Confusion, err = NewConfusionMatrix(len(classes)); err != nil {
		return res, err
	}
	for i, r := range runs {
		ms[i] = r.Eval.Metrics
		res.TrainSeconds += r.Seconds / float64(len(runs))
		res.BalanceSeconds += r.BalanceSeconds / float64(len(runs))
		if err := res.Confusion.Merge(r.Eval.Metrics.Confusion); err != nil {
			return res, err
		}
	}
	if res.Summary, err = Summarize(ms, classes); err != nil {
		return res, err
	}
	over := func(get func(Metrics) float64) Stat {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = get(m)
		}
		return statOf(xs)
	}
	res.Specificity = over(func(m Metrics) float64 { return m.Macro.Specificity })
	res.MacroPrecision = over(func(m Metrics) float64 { return m.Macro.Precision })
	res.MacroRecall = over(func(m Metrics) float64 { return m.Macro.Recall })
	res.WeightedPrecision = over(func(m Metrics) float64 { return m.Weighted.Precision })
	res.WeightedRecall = over(func(m Metrics) float64 { return m.Weighted.Recall })
	return res, nil
}

// minorityClasses returns the indices of the classes holding less than a
// tenth of the largest class's rows, smallest first (NSL-KDD's U2R and
// R2L).
func minorityClasses(counts []int) []int {
	most := slices.Max(counts)
	var out []int
	for i, c := range counts {
		if c > 0 && c*10 < most {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return counts[a] - counts[b] })
	return out
}

// WriteExperimentReport writes the matrix's report into dir: report.md (a
// table of every cell with mean ± sample standard deviation over runs),
// results.json, a confusion-matrix PNG per cell, a class-distribution PNG
// per balancing method (rows per class before and after resampling, first
// run), and learning curves (first run) per cell. header is written at
// the top of report.md (the command and data that produced it).
func WriteExperimentReport(dir, header string, results []ExperimentResult, classes []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if len(results) == 0 {
		return errors.New("train: empty experiment report")
	}
	counts := results[0].Runs[0].TrainCounts
	minor := minorityClasses(counts)
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n\n")
	b.WriteString("| arch | balance | accuracy | macro precision | macro recall | macro F1 | weighted F1 | macro specificity |")
	for _, c := range minor {
		fmt.Fprintf(&b, " recall %s |", classes[c])
	}
	b.WriteString(" MCC | train s | balance s |\n|---|---|")
	for range 6 + len(minor) + 3 {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range results {
		s := r.Summary
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |", r.Arch, r.Balance, s.Accuracy, r.MacroPrecision,
			r.MacroRecall, s.MacroF1, s.WeightedF1, r.Specificity)
		for _, c := range minor {
			fmt.Fprintf(&b, " %s |", s.PerClass[c].Recall)
		}
		fmt.Fprintf(&b, " %s | %.0f | %.1f |\n", s.MCC, r.TrainSeconds, r.BalanceSeconds)
	}
	fmt.Fprintf(&b, "\nEach cell: mean ± sample standard deviation over %d held-out evaluations. Per-class recall, precision and F1 of every class are in results.json.\n", len(results[0].Runs))
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, r := range results {
		name := r.Arch + "-" + r.Balance
		if err := PlotConfusionMatrix(filepath.Join(dir, "confusion-"+name+".png"), r.Confusion, classes, true); err != nil {
			return err
		}
		if err := PlotLearningCurves(filepath.Join(dir, "learning-"+name+".png"), r.Runs[0].History.Epochs); err != nil {
			return err
		}
		if done[r.Balance] {
			continue
		}
		done[r.Balance] = true
		run := r.Runs[0]
		series, labels := [][]int{run.TrainCounts}, []string{"before"}
		if run.BalancedCounts != nil && !slices.Equal(run.BalancedCounts, run.TrainCounts) {
			series, labels = append(series, run.BalancedCounts), append(labels, "after "+r.Balance)
		}
		if err := PlotClassDistribution(filepath.Join(dir, "classes-"+r.Balance+".png"),
			"Training rows per class, "+r.Balance, classes, series, labels, true); err != nil {
			return err
		}
	}
	return nil
}
