package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/internal/cli"
	"github.com/cnids/cnids/sensor"
)

func cmdExtract(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids extract", flag.ContinueOnError)
	var o sensorOpts
	o.registerFlow(fs)
	format := fs.String("format", "csv", "csv (a header, optional tuple columns; bot-iot: the public BoT-IoT columns) or kdd (NSL-KDD text: 41 features, label, difficulty; readable by cnids-train)")
	withTuple := fs.Bool("with-tuple", false, "csv: add time and 5-tuple columns before the features")
	labelsPath := fs.String("labels", "", "labels file (phases with time ranges and addresses, like ../shared/pcaps/lab/labels.csv): add label columns "+
		"(nsl-kdd: label, phase; bot-iot: attack, category, subcategory from botiot_category and botiot_subcategory, skipping phases BoT-IoT has no class for)")
	unmatched := fs.String("unmatched", "normal", "with --labels, the label of connections no phase matches: normal (Normal for bot-iot), or skip")
	perFile := fs.Bool("per-file", false, "reset flows and windows between files")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "cnids extract: give one or more capture files")
		fs.Usage()
		return cli.ErrUsage
	}
	fams, err := parseFamilies(o.family, false)
	if err != nil {
		fmt.Fprintf(stderr, "cnids extract: %v\n", err)
		return cli.ErrUsage
	}
	if fams[0] == sensor.FamilyBotIoT {
		switch {
		case *format != "csv":
			fmt.Fprintf(stderr, "cnids extract: --format %s is NSL-KDD's; --features bot-iot writes CSV in the public BoT-IoT column order\n", *format)
			return cli.ErrUsage
		case *withTuple:
			fmt.Fprintln(stderr, "cnids extract: --with-tuple is NSL-KDD's; BoT-IoT rows carry stime, ltime, saddr, sport, daddr and dport already")
			return cli.ErrUsage
		}
	}
	if *format != "csv" && *format != "kdd" {
		return fmt.Errorf("--format %q: want csv or kdd", *format)
	}
	if *unmatched != "normal" && *unmatched != "skip" {
		return fmt.Errorf("--unmatched %q: want normal or skip", *unmatched)
	}
	if *format == "kdd" && *labelsPath == "" {
		return errors.New("--format kdd needs --labels (the NSL-KDD text format has label columns)")
	}
	var labels *dataset.Labels
	if *labelsPath != "" {
		var err error
		if labels, err = dataset.ReadLabels(*labelsPath); err != nil {
			return err
		}
	}
	groups := inputGroups(fs.Args(), *perFile)
	if fams[0] == sensor.FamilyBotIoT {
		return extractBotIoT(ctx, &o, groups, labels, *unmatched == "skip", stdout, stderr)
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	names := features.NSLKDD().Names()
	if *format == "csv" {
		var head []string
		if *withTuple {
			head = append(head, "start", "end", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "state")
		}
		head = append(head, names...)
		if labels != nil {
			head = append(head, "label", "phase")
		}
		fmt.Fprintln(w, strings.Join(head, ","))
	}
	var buf []byte
	row := func(c *flow.Conn, r *features.Row) error {
		label, phase := "", ""
		if labels != nil {
			if m := labels.Match(c.OrigAddr, c.RespAddr, c.Start, c.End); m != nil && m.KDD != "" {
				label, phase = m.KDD, m.Phase
			} else if *unmatched == "skip" {
				return nil
			} else {
				label, phase = "normal", "-"
			}
		}
		var err error
		buf = buf[:0]
		if *format == "kdd" {
			// Difficulty 21: no reference learner judged these rows, so
			// they never count among the hard (difficulty < 21) rows.
			if buf, err = features.AppendKDDLabeled(buf, r, label, 21); err != nil {
				return err
			}
			_, err = w.Write(append(buf, '\n'))
			return err
		}
		if *withTuple {
			buf = append(buf, time.Unix(0, c.Start).UTC().Format(time.RFC3339Nano)...)
			buf = append(buf, ',')
			buf = append(buf, time.Unix(0, c.End).UTC().Format(time.RFC3339Nano)...)
			buf = append(buf, ',')
			buf = c.OrigAddr.AppendTo(buf)
			buf = append(buf, ',')
			buf = strconv.AppendUint(buf, uint64(c.OrigPort), 10)
			buf = append(buf, ',')
			buf = c.RespAddr.AppendTo(buf)
			buf = append(buf, ',')
			buf = strconv.AppendUint(buf, uint64(c.RespPort), 10)
			buf = append(buf, ',')
			buf = strconv.AppendUint(buf, uint64(c.Proto), 10)
			buf = append(buf, ',')
			buf = append(buf, c.State.String()...)
			buf = append(buf, ',')
		}
		if buf, err = features.AppendKDD(buf, r); err != nil {
			return err
		}
		if labels != nil {
			buf = append(buf, ',')
			buf = append(buf, label...)
			buf = append(buf, ',')
			buf = append(buf, phase...)
		}
		_, err = w.Write(append(buf, '\n'))
		return err
	}
	failed, err := runExtract(ctx, groups, sensor.Config{Flow: o.flowConfig(), Rows: row}, stderr,
		func(st sensor.Stats) string {
			return fmt.Sprintf("%d packets, %d connections, %d rows", st.Capture.Received, st.Flow.FlowsCreated, st.Rows)
		})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed {
		return errFailedInputs
	}
	return nil
}

// runExtract runs a row-writing pipeline made from cfg over each group of
// files in turn (fresh flows and windows per group), reporting unreadable
// inputs and each group's counters (summary) on stderr. failed reports
// whether some input could not be read.
func runExtract(ctx context.Context, groups [][]string, cfg sensor.Config, stderr io.Writer, summary func(sensor.Stats) string) (failed bool, err error) {
	for _, files := range groups {
		src, err := capture.OpenFiles(files, capture.FileOptions{})
		if err != nil {
			return failed, err
		}
		p, err := sensor.New(cfg)
		if err != nil {
			src.Close()
			return failed, err
		}
		st, err := p.Run(ctx, src)
		src.Close()
		for _, e := range src.Errs() {
			fmt.Fprintf(stderr, "cnids extract: %v\n", e)
		}
		if err != nil {
			return failed, err
		}
		failed = failed || st.Capture.FilesFailed > 0
		fmt.Fprintf(stderr, "cnids extract: %s: %s\n", strings.Join(files, " "), summary(st))
	}
	return failed, nil
}
