package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/cnids/cnids/internal/cli"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/train"
)

func cmdExplore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids-train explore", flag.ContinueOnError)
	var ro readOpts
	ro.register(fs)
	fs.String("config", "", "YAML file of flag settings")
	out := fs.String("out", "", "directory for the PNG charts (default explore-DATASET)")
	bins := fs.Int("bins", 30, "histogram bins")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "cnids-train explore: give one or more dataset files")
		fs.Usage()
		return cli.ErrUsage
	}
	frame, _, err := ro.read(fs.Args(), stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = "explore-" + ro.dataset
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	counts := frame.ClassCounts()
	n := frame.Len()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "%s: %d rows, %d feature columns\n\nClass distribution:\n", frame.Source, n, len(frame.Schema.Columns))
	fmt.Fprintln(tw, "class\trows\tshare\t")
	for i, c := range frame.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%.4f%%\t\n", c, counts[i], 100*float64(counts[i])/float64(max(n, 1)))
	}
	tw.Flush()

	// Raw labels (attack names), most frequent first.
	raw := make([]int, len(frame.AttackNames))
	for _, a := range frame.Attack {
		raw[a]++
	}
	order := make([]int, len(raw))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(raw[b], raw[a]) })
	fmt.Fprintf(stdout, "\nLabels (%d):\n", len(raw))
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\trows\tclass\t")
	for _, i := range order {
		cls := ""
		for r, a := range frame.Attack {
			if int(a) == i {
				cls = frame.Classes[frame.Y[r]]
				break
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", frame.AttackNames[i], raw[i], cls)
	}
	tw.Flush()

	// Categorical columns: vocabulary sizes.
	fmt.Fprintln(stdout, "\nSymbolic columns:")
	for j, c := range frame.Schema.Columns {
		if c.Kind == features.Categorical {
			fmt.Fprintf(stdout, "  %s: %d distinct values\n", c.Name, len(frame.Vocab[j]))
		}
	}

	classPNG := filepath.Join(*out, "class-distribution.png")
	if err := train.PlotClassDistribution(classPNG, "Class distribution of "+filepath.Base(frame.Source),
		frame.Classes, [][]int{counts}, []string{"rows"}, true); err != nil {
		return err
	}
	// Histograms of the numeric columns; heavy-tailed ones on a log1p axis.
	var names []string
	var cols [][]float64
	for j, c := range frame.Schema.Columns {
		if c.Kind != features.Numeric && c.Kind != features.Binary {
			continue
		}
		col := frame.Num[j]
		name := c.Name
		if c.HeavyTailed {
			name = "log1p(" + c.Name + ")"
			t := make([]float64, len(col))
			for i, v := range col {
				t[i] = math.Copysign(math.Log1p(math.Abs(v)), v)
			}
			col = t
		}
		names = append(names, name)
		cols = append(cols, col)
	}
	histPNG := filepath.Join(*out, "feature-histograms.png")
	if err := train.PlotHistograms(histPNG, "Feature histograms of "+filepath.Base(frame.Source), names, cols, *bins); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nWrote %s and %s\n", classPNG, histPNG)
	return nil
}
