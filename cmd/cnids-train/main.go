// Command cnids-train loads intrusion-detection datasets, explores them,
// trains and evaluates the 1-D CNN and CNN+LSTM classifiers, and writes
// the model file that the cnids sensor loads.
//
// Usage:
//
//	cnids-train fit     --dataset D --train FILE [--test FILE] [--valid-split F] --arch cnn|cnn-lstm --out MODEL
//	cnids-train eval    --model MODEL --test FILE [--json]
//	cnids-train cv      --dataset D --train FILE --folds 5 --repeats N [fit flags]
//	cnids-train explore --dataset D [--out DIR] FILE...
//	cnids-train balance --dataset D --method M --in FILE --out FILE.csv
//	cnids-train experiments --dataset D --train FILE [--test FILE] --out DIR
//
// Run a subcommand with -h for its flags. Every subcommand accepts
// --config FILE, a YAML file whose keys are flag names (see
// configs/train.yaml); flags given on the command line win.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cnids/cnids/internal/cli"
)

const usage = `cnids-train: train and evaluate cnids intrusion classifiers

Usage:
  cnids-train fit      train a model and write the model file
  cnids-train eval     evaluate a model file on a labelled dataset file
  cnids-train cv       repeated stratified k-fold cross-validation
  cnids-train explore  class distribution and feature histograms of a dataset
  cnids-train balance  encode and resample a dataset, writing the rows as CSV
  cnids-train experiments  the matrix of architectures x balancing methods, with a report

Run 'cnids-train COMMAND -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"fit":         cmdFit,
		"eval":        cmdEval,
		"cv":          cmdCV,
		"explore":     cmdExplore,
		"balance":     cmdBalance,
		"experiments": cmdExperiments,
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "cnids-train: unknown command %q\n\n%s", name, usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, cli.ErrUsage):
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "cnids-train %s: interrupted\n", name)
		return 130
	default:
		fmt.Fprintf(stderr, "cnids-train %s: %v\n", name, err)
		return 1
	}
}
