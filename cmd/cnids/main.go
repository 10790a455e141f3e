// Command cnids is a network intrusion detection sensor: it captures
// packets from an interface or replays capture files, assembles
// connections, computes their NSL-KDD features, their BoT-IoT (Argus)
// flow features, or both, classifies them with a 1-D CNN per feature
// family and writes alerts as JSON lines.
//
// Usage:
//
//	cnids replay [flags] FILE...          replay pcap/pcapng files ("-" is stdin)
//	cnids sniff -i IFACE [-f BPF] [flags] capture live traffic
//	cnids extract [flags] FILE...         write NSL-KDD or BoT-IoT feature rows as CSV
//
// --features selects the families: nsl-kdd (the default), bot-iot, or
// nsl-kdd,bot-iot for both in one pass. --model is the NSL-KDD model (or,
// with bot-iot alone, the BoT-IoT model) and --bot-iot-model the BoT-IoT
// model beside it; each defaults to its family's embedded cnn. Every
// alert names its family and model (alert.family, alert.model).
//
// Run a command with -h for its flags. Every command accepts --config
// FILE, a YAML file whose keys are flag names (configs/cnids.yaml
// documents them); flags on the command line win.
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

const usage = `cnids: network intrusion detection sensor

Usage:
  cnids replay [flags] FILE...          replay capture files and print alerts (JSON lines)
  cnids sniff -i IFACE [-f BPF] [flags] capture live traffic and print alerts
  cnids extract [flags] FILE...         write NSL-KDD or BoT-IoT feature rows of capture files as CSV
  cnids serve [--listen ADDR] [flags]   serve the web console (classify, alerts, model)
  cnids users add|list|disable|enable|remove [--data DIR] [NAME]   manage the console's users

Feature families (replay, sniff; extract takes one):
  --features nsl-kdd                    NSL-KDD's 41 features, --model or the embedded NSL-KDD cnn (default)
  --features bot-iot                    BoT-IoT's Argus flow features, --model (or --bot-iot-model)
                                        or the embedded BoT-IoT cnn
  --features nsl-kdd,bot-iot            both in one pass: --model for NSL-KDD, --bot-iot-model for
                                        BoT-IoT (--threshold, --bot-iot-threshold likewise); each alert
                                        names its family and model
  cnids extract --features bot-iot [--labels labels.csv] FILE... > rows.csv
                                        rows in the public BoT-IoT column order (46 with labels)

Run 'cnids COMMAND -h' for the flags of a command.
`

// errFailedInputs reports a run that finished but could not read every
// input; the exit status is then 1.
var errFailedInputs = errors.New("some inputs could not be read")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status: 0 on
// success, 1 on an error or an unreadable input, 2 on a usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"replay":  cmdReplay,
		"sniff":   cmdSniff,
		"extract": cmdExtract,
		"serve":   cmdServe,
		"users":   cmdUsers,
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "cnids: unknown command %q\n\n%s", name, usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, cli.ErrUsage):
		return 2
	case errors.Is(err, errFailedInputs):
		return 1
	default:
		fmt.Fprintf(stderr, "cnids %s: %v\n", name, err)
		return 1
	}
}
