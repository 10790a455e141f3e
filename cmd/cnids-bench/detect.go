package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// countSink counts events by alert class.
type countSink struct {
	mu      sync.Mutex
	alerts  int
	byClass map[string]int
}

func (s *countSink) Write(_ context.Context, evs []alert.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		if evs[i].Type == alert.TypeAlert {
			s.alerts++
			s.byClass[evs[i].Alert.Signature.Class]++
		}
	}
	return nil
}

func (s *countSink) Close() error { return nil }

// PhaseResult is the detection outcome of one capture.
type PhaseResult struct {
	Phase, File, Expected string
	Flows, Alerts         int
	ByClass               map[string]int
}

// Top returns the most frequent alert class ("" without alerts).
func (r PhaseResult) Top() string {
	best, n := "", 0
	keys := make([]string, 0, len(r.ByClass))
	for k := range r.ByClass {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if r.ByClass[k] > n {
			best, n = k, r.ByClass[k]
		}
	}
	return best
}

// detectFile replays one capture through the sensor with the model and
// counts its connections and alerts.
func detectFile(ctx context.Context, clf *model.Classifier, family, path string) (PhaseResult, error) {
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		return PhaseResult{}, err
	}
	defer src.Close()
	sink := &countSink{byClass: map[string]int{}}
	p, err := sensor.New(sensor.Config{Families: []sensor.Family{{Name: family, Classifier: clf, ModelName: "bench"}}, Sink: sink})
	if err != nil {
		return PhaseResult{}, err
	}
	st, err := p.Run(ctx, src)
	if err != nil {
		return PhaseResult{}, err
	}
	if st.Capture.FilesFailed > 0 {
		return PhaseResult{}, fmt.Errorf("%s: %v", path, src.Errs())
	}
	return PhaseResult{File: filepath.Base(path), Flows: int(st.Rows), Alerts: sink.alerts, ByClass: sink.byClass}, nil
}

// loadClassifier loads an NSL-KDD model.
func loadClassifier(path string, threshold float64) (*model.Classifier, string, error) {
	return loadFamilyClassifier(path, sensor.FamilyKDD, threshold)
}

// loadFamilyClassifier loads a model of the feature family
// (sensor.FamilyKDD or sensor.FamilyBotIoT) and checks that the sensor
// computes the features it was trained on.
func loadFamilyClassifier(path, family string, threshold float64) (*model.Classifier, string, error) {
	if path == "" {
		return nil, "", errors.New("--model is required")
	}
	mf, err := model.Load(path)
	if err != nil {
		return nil, "", err
	}
	var sem features.Semantics
	switch family {
	case sensor.FamilyKDD:
		sem = features.KDDSemantics()
	case sensor.FamilyBotIoT:
		sem = features.BotIoTSemantics()
	default:
		return nil, "", fmt.Errorf("--features %q: want %s or %s", family, sensor.FamilyKDD, sensor.FamilyBotIoT)
	}
	if err := mf.CheckSemantics(sem); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	clf, err := model.NewClassifier(mf, threshold)
	return clf, path, err
}

// benchDetect replays every phase of a labelled capture set and every
// attack trace of the public corpus, and prints per-file detection.
func benchDetect(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cnids-bench detect", flag.ContinueOnError)
	family := fs.String("features", sensor.FamilyKDD, "feature family of the model: nsl-kdd or bot-iot")
	modelPath := fs.String("model", "", "model file (default: cmd/cnids/models/FAMILY-cnn.model)")
	threshold := fs.Float64("threshold", -1, "alert threshold (default: the model's)")
	lab := fs.String("lab", "../shared/pcaps/lab", "labelled capture set (a directory with labels.csv)")
	public := fs.String("public", "../shared/pcaps/public", "directory of the public corpus whose attack-* files are replayed ('' skips)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelPath == "" {
		*modelPath = "cmd/cnids/models/" + *family + "-cnn.model"
	}
	clf, name, err := loadFamilyClassifier(*modelPath, *family, *threshold)
	if err != nil {
		return err
	}
	gemm.SetThreads(1)
	ctx := context.Background()
	labels, err := dataset.ReadLabels(filepath.Join(*lab, "labels.csv"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Model %s (%s, threshold %.4g); lab set %s\n\n", name, *family, clf.Threshold(), *lab)
	if *family == sensor.FamilyBotIoT {
		if err := botIoTLabTable(ctx, clf, *lab, labels, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out, "| phase | NSL-KDD category | flows | alerts | alerted | top alert class | alerts by class |")
		fmt.Fprintln(out, "|---|---|---:|---:|---:|---|---|")
		for _, r := range labels.Ranges {
			res, err := detectFile(ctx, clf, *family, filepath.Join(*lab, r.Pcap))
			if err != nil {
				return err
			}
			res.Phase, res.Expected = r.Phase, r.KDD
			fmt.Fprintf(out, "| %s | %s | %d | %d | %.1f%% | %s | %s |\n", res.Phase, orDash(res.Expected), res.Flows, res.Alerts,
				pct(res.Alerts, res.Flows), orDash(res.Top()), classCounts(res.ByClass))
		}
	}
	if *public == "" {
		return nil
	}
	all, err := filepath.Glob(filepath.Join(*public, "*.pcap*"))
	if err != nil {
		return err
	}
	var attacks, normals []string
	for _, f := range all {
		switch b := filepath.Base(f); {
		case strings.HasPrefix(b, "attack-"):
			attacks = append(attacks, f)
		case strings.HasPrefix(b, "file-"), strings.HasPrefix(b, "malformed-"), strings.HasPrefix(b, "trunc-"):
			// deliberately broken files: robustness tests, not traffic
		default:
			normals = append(normals, f)
		}
	}
	fmt.Fprintf(out, "\nPublic attack traces (%s; never used for training)\n\n", *public)
	if err := publicTable(ctx, clf, *family, attacks, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPublic captures of normal traffic (every alert is a false alarm)\n\n")
	return publicTable(ctx, clf, *family, normals, out)
}

// publicTable replays each file and writes one table row per file, and a
// total row.
func publicTable(ctx context.Context, clf *model.Classifier, family string, files []string, out io.Writer) error {
	fmt.Fprintln(out, "| capture | flows | alerts | alerted | top alert class | alerts by class |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---|---|")
	var flows, alerts int
	for _, f := range files {
		res, err := detectFile(ctx, clf, family, f)
		if err != nil {
			fmt.Fprintf(out, "| %s | unreadable: %v | | | | |\n", filepath.Base(f), err)
			continue
		}
		flows, alerts = flows+res.Flows, alerts+res.Alerts
		fmt.Fprintf(out, "| %s | %d | %d | %.1f%% | %s | %s |\n", res.File, res.Flows, res.Alerts, pct(res.Alerts, res.Flows),
			orDash(res.Top()), classCounts(res.ByClass))
	}
	fmt.Fprintf(out, "| all %d files | %d | %d | %.1f%% | | |\n", len(files), flows, alerts, pct(alerts, flows))
	return nil
}

// botIoTLabTable writes the per-phase table of a BoT-IoT model: each
// phase's BoT-IoT label (from the labels file; "-" for a phase BoT-IoT
// has no class for), its flows and alerts, the alerts of the phase's own
// category, then the detection rate over the phases with a BoT-IoT attack
// label and the false-alarm rate over the normal phase.
func botIoTLabTable(ctx context.Context, clf *model.Classifier, lab string, labels *dataset.Labels, out io.Writer) error {
	fmt.Fprintln(out, "| phase | BoT-IoT category/subcategory | flows | alerts | alerted | alerted as its category | top alert class | alerts by class |")
	fmt.Fprintln(out, "|---|---|---:|---:|---:|---:|---|---|")
	var atkFlows, atkAlerts, atkRight, normFlows, normAlerts, otherFlows, otherAlerts int
	for _, r := range labels.Ranges {
		res, err := detectFile(ctx, clf, sensor.FamilyBotIoT, filepath.Join(lab, r.Pcap))
		if err != nil {
			return err
		}
		attack, cat, sub, lerr := dataset.BotIoTLabel(r.BotCategory, r.BotSubcategory)
		label, right := "-", "-"
		switch {
		case lerr != nil:
			if r.BotCategory != "" {
				label = r.BotCategory + "/" + orDash(r.BotSubcategory) + " (not a BoT-IoT class)"
			}
			otherFlows, otherAlerts = otherFlows+res.Flows, otherAlerts+res.Alerts
		case attack:
			label = cat + "/" + sub
			n := res.ByClass[cat]
			right = fmt.Sprintf("%.1f%%", pct(n, res.Flows))
			atkFlows, atkAlerts, atkRight = atkFlows+res.Flows, atkAlerts+res.Alerts, atkRight+n
		default:
			label = cat + "/" + sub
			normFlows, normAlerts = normFlows+res.Flows, normAlerts+res.Alerts
		}
		fmt.Fprintf(out, "| %s | %s | %d | %d | %.1f%% | %s | %s | %s |\n", r.Phase, label, res.Flows, res.Alerts,
			pct(res.Alerts, res.Flows), right, orDash(res.Top()), classCounts(res.ByClass))
	}
	fmt.Fprintf(out, "\nPhases with a BoT-IoT attack label: %d of %d flows alerted (detection %.2f%%), %d as their phase's category (%.2f%%).\n",
		atkAlerts, atkFlows, pct(atkAlerts, atkFlows), atkRight, pct(atkRight, atkFlows))
	fmt.Fprintf(out, "Normal phase: %d of %d flows alerted (false-alarm rate %.2f%%).\n", normAlerts, normFlows, pct(normAlerts, normFlows))
	fmt.Fprintf(out, "Phases without a BoT-IoT label (outside its taxonomy): %d of %d flows alerted (%.2f%%).\n", otherAlerts, otherFlows, pct(otherAlerts, otherFlows))
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func classCounts(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var l []kv
	for k, n := range m {
		l = append(l, kv{k, n})
	}
	slices.SortFunc(l, func(a, b kv) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.k, b.k)) })
	var parts []string
	for _, e := range l {
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.n))
	}
	return orDash(strings.Join(parts, ", "))
}
