package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/sensor"
)

// botPhaseLabel is a labels-file phase's BoT-IoT label, checked against
// the labels of the public files.
type botPhaseLabel struct {
	attack   bool
	cat, sub string
	err      error // the phase has no BoT-IoT counterpart: its rows are skipped
}

// extractBotIoT writes BoT-IoT rows (features.BotIoTExtractor) of each
// group of capture files as CSV: the public files' 43 feature columns in
// their order, and with labels attack, category and subcategory (46
// columns). A connection takes the BoT-IoT label of the phase that
// matches it (dataset.Labels.Match); one no phase matches is Normal, or
// skipped with skipUnmatched; one whose phase has no BoT-IoT counterpart
// (such as an ICMP flood or a password guessing phase) is skipped and
// counted on stderr, because no BoT-IoT class describes it. pkSeqID runs
// from 1 over the whole output, across groups.
func extractBotIoT(ctx context.Context, o *sensorOpts, groups [][]string, labels *dataset.Labels, skipUnmatched bool, stdout, stderr io.Writer) error {
	var phaseLabels map[*dataset.LabelRange]botPhaseLabel
	if labels != nil {
		if !slices.ContainsFunc(labels.Ranges, func(r dataset.LabelRange) bool { return r.BotCategory != "" }) {
			return fmt.Errorf("--labels: no phase has a BoT-IoT category (the file needs botiot_category and botiot_subcategory columns)")
		}
		phaseLabels = make(map[*dataset.LabelRange]botPhaseLabel, len(labels.Ranges))
		for i := range labels.Ranges {
			r := &labels.Ranges[i]
			var pl botPhaseLabel
			pl.attack, pl.cat, pl.sub, pl.err = dataset.BotIoTLabel(r.BotCategory, r.BotSubcategory)
			if r.BotCategory == "" {
				pl.err = fmt.Errorf("phase %s (line %d): no BoT-IoT category in the labels file", r.Phase, r.Line)
			} else if pl.err != nil {
				pl.err = fmt.Errorf("phase %s (line %d): %w", r.Phase, r.Line, pl.err)
			}
			phaseLabels[r] = pl
		}
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	w.Write(append(features.AppendBotIoTHeader(nil, labels != nil), '\n'))
	seqCol := features.BotIoT().Index("pkSeqID")
	var seq uint64
	skipped := map[*dataset.LabelRange]int{}
	unmatched := 0
	var buf []byte
	row := func(c *flow.Conn, r *features.Row) error {
		var err error
		buf = buf[:0]
		seq++
		r.Values[seqCol] = float64(seq)
		if labels == nil {
			if buf, err = features.AppendBotIoT(buf, r); err != nil {
				return fmt.Errorf("row %d: %w", seq, err)
			}
			_, err = w.Write(append(buf, '\n'))
			return err
		}
		pl := botPhaseLabel{cat: "Normal", sub: "Normal"}
		if m := labels.Match(c.OrigAddr, c.RespAddr, c.Start, c.End); m != nil {
			pl = phaseLabels[m]
			if pl.err != nil {
				skipped[m]++
				seq--
				return nil
			}
		} else {
			unmatched++
			if skipUnmatched {
				seq--
				return nil
			}
		}
		if buf, err = features.AppendBotIoTLabeled(buf, r, pl.attack, pl.cat, pl.sub); err != nil {
			return fmt.Errorf("row %d: %w", seq, err)
		}
		_, err = w.Write(append(buf, '\n'))
		return err
	}
	cfg := sensor.Config{
		Flow:     o.flowConfig(),
		BotIoT:   features.BotIoTConfig{Identifiers: true},
		Families: []sensor.Family{{Name: sensor.FamilyBotIoT, Rows: row}},
	}
	failed, err := runExtract(ctx, groups, cfg, stderr, func(st sensor.Stats) string {
		return fmt.Sprintf("%d packets, %d connections, %d BoT-IoT flows", st.Capture.Received, st.BotIoT.Conns, st.BotIoT.Flows)
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if labels != nil {
		fmt.Fprintf(stderr, "cnids extract: %d rows written; %d flows matched no phase (%s)\n", seq, unmatched,
			map[bool]string{true: "skipped", false: "labelled Normal"}[skipUnmatched])
		phases := make([]*dataset.LabelRange, 0, len(skipped))
		for r := range skipped {
			phases = append(phases, r)
		}
		slices.SortFunc(phases, func(a, b *dataset.LabelRange) int { return a.Line - b.Line })
		for _, r := range phases {
			fmt.Fprintf(stderr, "cnids extract: skipped %d flows of %v\n", skipped[r], phaseLabels[r].err)
		}
	}
	if failed {
		return errFailedInputs
	}
	return nil
}
