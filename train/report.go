package train

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// Report renders one evaluation's Metrics as aligned tables: per-class
// metrics with macro and weighted rows, the overall scores and the
// confusion matrix.
type Report struct {
	// Title heads the report; empty for none.
	Title string
	// ClassNames names the classes, one per class.
	ClassNames []string
	// Metrics is the evaluation to render.
	Metrics Metrics
}

// NewReport checks that classNames has one name per class of m (nil names
// the classes by number) and returns the report.
func NewReport(title string, m Metrics, classNames []string) (*Report, error) {
	names, err := classNamesFor(m.Classes, classNames)
	if err != nil {
		return nil, fmt.Errorf("train: report: %w", err)
	}
	if len(m.PerClass) != m.Classes || m.Confusion.Classes() != m.Classes {
		return nil, fmt.Errorf("train: report: metrics for %d classes have %d per-class entries and a %d-class confusion matrix", m.Classes, len(m.PerClass), m.Confusion.Classes())
	}
	return &Report{Title: title, ClassNames: names, Metrics: m}, nil
}

// classNamesFor returns names, or "0", "1", ... when names is nil.
func classNamesFor(k int, names []string) ([]string, error) {
	if names == nil {
		names = make([]string, k)
		for i := range names {
			names[i] = strconv.Itoa(i)
		}
		return names, nil
	}
	if len(names) != k {
		return nil, fmt.Errorf("%d class names for %d classes", len(names), k)
	}
	return names, nil
}

// WriteText writes the report as plain aligned text.
func (r *Report) WriteText(w io.Writer) error { return r.write(w, false) }

// WriteMarkdown writes the report as Markdown tables whose columns are also
// aligned in the source, so it reads well in a terminal too.
func (r *Report) WriteMarkdown(w io.Writer) error { return r.write(w, true) }

func (r *Report) write(w io.Writer, md bool) error {
	m := r.Metrics
	if len(r.ClassNames) != m.Classes || len(m.PerClass) != m.Classes || m.Confusion.Classes() != m.Classes {
		return errors.New("train: report: class names, per-class metrics and confusion matrix disagree on the class count; use NewReport")
	}
	ew := &errWriter{w: w}
	if r.Title != "" {
		if md {
			ew.printf("## %s\n\n", r.Title)
		} else {
			ew.printf("%s\n%s\n\n", r.Title, strings.Repeat("=", len([]rune(r.Title))))
		}
	}

	pr := func(c ClassMetrics) string {
		if !m.HasScores {
			return "-"
		}
		return f4(c.PRAUC)
	}
	t := table{
		header: []string{"class", "support", "precision", "recall", "f1", "specificity", "fpr", "pr_auc"},
		right:  []bool{false, true, true, true, true, true, true, true},
	}
	for i, c := range m.PerClass {
		t.rows = append(t.rows, []string{r.ClassNames[i], strconv.FormatInt(c.Support, 10),
			f4(c.Precision), f4(c.Recall), f4(c.F1), f4(c.Specificity), f4(c.FalsePositiveRate), pr(c)})
	}
	macroPR := "-"
	if m.HasScores {
		macroPR = f4(m.MacroPRAUC)
	}
	t.rule = len(t.rows)
	total := strconv.FormatInt(m.Total, 10)
	t.rows = append(t.rows,
		[]string{"macro avg", total, f4(m.Macro.Precision), f4(m.Macro.Recall), f4(m.Macro.F1), f4(m.Macro.Specificity), "", macroPR},
		[]string{"weighted avg", total, f4(m.Weighted.Precision), f4(m.Weighted.Recall), f4(m.Weighted.F1), f4(m.Weighted.Specificity), "", ""},
	)
	t.write(ew, md)
	if len(m.AveragedClasses) != m.Classes {
		names := make([]string, len(m.AveragedClasses))
		for i, c := range m.AveragedClasses {
			names[i] = r.ClassNames[c]
		}
		ew.printf("\nAverages are over the classes present in the true or predicted labels: %s.\n", strings.Join(names, ", "))
	}

	ew.printf("\n")
	s := table{header: []string{"score", "value"}, right: []bool{false, true}}
	s.rows = [][]string{
		{"accuracy", f4(m.Accuracy)},
		{"balanced accuracy", f4(m.BalancedAccuracy)},
		{"MCC", f4(m.MCC)},
	}
	if m.HasScores {
		s.rows = append(s.rows, []string{"macro PR-AUC", f4(m.MacroPRAUC)})
	}
	if d := m.Detection; d != nil {
		name := strconv.Itoa(d.NormalClass)
		if d.NormalClass >= 0 && d.NormalClass < len(r.ClassNames) {
			name = r.ClassNames[d.NormalClass]
		}
		s.rows = append(s.rows,
			[]string{fmt.Sprintf("detection rate (vs %s)", name), f4(d.DetectionRate)},
			[]string{fmt.Sprintf("false-alarm rate (on %s)", name), f4(d.FalseAlarmRate)},
		)
	}
	s.rule = -1
	s.write(ew, md)

	ew.printf("\nConfusion matrix (rows: true class, columns: predicted class)\n\n")
	k := m.Classes
	c := table{header: append([]string{"true \\ pred"}, r.ClassNames...), right: make([]bool, k+1)}
	for i := 1; i <= k; i++ {
		c.right[i] = true
	}
	for ti := range k {
		row := []string{r.ClassNames[ti]}
		for p := range k {
			row = append(row, strconv.FormatInt(m.Confusion.At(ti, p), 10))
		}
		c.rows = append(c.rows, row)
	}
	c.rule = -1
	c.write(ew, md)
	if ew.err != nil {
		return fmt.Errorf("train: writing report: %w", ew.err)
	}
	return nil
}

// f4 formats a metric with four decimals.
func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// Stat is the mean and sample standard deviation of a metric over folds.
type Stat struct {
	// Mean is the arithmetic mean.
	Mean float64 `json:"mean"`
	// SD is the sample standard deviation (n−1 denominator); 0 for a
	// single fold.
	SD float64 `json:"sd"`
}

// String formats the statistic as "mean ± sd" with four decimals.
func (s Stat) String() string { return f4(s.Mean) + " ± " + f4(s.SD) }

// statOf returns the mean and sample standard deviation of xs (len ≥ 1).
func statOf(xs []float64) Stat {
	if len(xs) == 1 {
		return Stat{Mean: xs[0]}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	return Stat{Mean: mean, SD: sd}
}

// ClassSummary is the cross-validated precision, recall and F1 of a class.
type ClassSummary struct {
	// Class is the class index and Name its name.
	Class int    `json:"class"`
	Name  string `json:"name"` // class name
	// Precision, Recall and F1 are summarised over folds.
	Precision Stat `json:"precision"` // precision over folds
	Recall    Stat `json:"recall"`    // recall over folds
	F1        Stat `json:"f1"`        // F1 over folds
}

// CVSummary summarises per-fold Metrics of a cross-validation.
type CVSummary struct {
	// Folds is the number of folds summarised.
	Folds int `json:"folds"`
	// Accuracy, MacroF1, WeightedF1, BalancedAccuracy and MCC are the
	// summarised overall scores.
	Accuracy         Stat `json:"accuracy"`          // accuracy over folds
	MacroF1          Stat `json:"macro_f1"`          // macro F1 over folds
	WeightedF1       Stat `json:"weighted_f1"`       // weighted F1 over folds
	BalancedAccuracy Stat `json:"balanced_accuracy"` // balanced accuracy over folds
	MCC              Stat `json:"mcc"`               // MCC over folds
	// MacroPRAUC summarises the macro PR-AUC when every fold has scores
	// (Metrics.HasScores); nil otherwise.
	MacroPRAUC *Stat `json:"macro_pr_auc,omitempty"`
	// DetectionRate and FalseAlarmRate summarise the normal-versus-attack
	// view when every fold has one (Metrics.SetNormalClass); nil otherwise.
	DetectionRate  *Stat `json:"detection_rate,omitempty"`   // detection rate over folds
	FalseAlarmRate *Stat `json:"false_alarm_rate,omitempty"` // false-alarm rate over folds
	// PerClass summarises each class, in class order.
	PerClass []ClassSummary `json:"per_class"`
}

// Summarize computes the mean and sample standard deviation over folds of
// the overall scores and of each class's precision, recall and F1, and of
// macro PR-AUC and the detection and false-alarm rates where every fold
// has them. All
// folds must have the same class count; classNames names the classes (nil
// names them by number). A class absent from a fold enters that fold's
// statistics with the zero-division value 0, as its metrics say.
func Summarize(folds []Metrics, classNames []string) (*CVSummary, error) {
	if len(folds) == 0 {
		return nil, errors.New("train: cross-validation summary: no folds")
	}
	k := folds[0].Classes
	for i, f := range folds {
		if f.Classes != k || len(f.PerClass) != k {
			return nil, fmt.Errorf("train: cross-validation summary: fold %d has %d classes (%d per-class entries), fold 0 has %d", i, f.Classes, len(f.PerClass), k)
		}
	}
	names, err := classNamesFor(k, classNames)
	if err != nil {
		return nil, fmt.Errorf("train: cross-validation summary: %w", err)
	}
	xs := make([]float64, len(folds))
	over := func(get func(Metrics) float64) Stat {
		for i, f := range folds {
			xs[i] = get(f)
		}
		return statOf(xs)
	}
	s := &CVSummary{
		Folds:            len(folds),
		Accuracy:         over(func(m Metrics) float64 { return m.Accuracy }),
		MacroF1:          over(func(m Metrics) float64 { return m.Macro.F1 }),
		WeightedF1:       over(func(m Metrics) float64 { return m.Weighted.F1 }),
		BalancedAccuracy: over(func(m Metrics) float64 { return m.BalancedAccuracy }),
		MCC:              over(func(m Metrics) float64 { return m.MCC }),
		PerClass:         make([]ClassSummary, k),
	}
	scores, detection := true, true
	for _, f := range folds {
		scores = scores && f.HasScores
		detection = detection && f.Detection != nil
	}
	if scores {
		st := over(func(m Metrics) float64 { return m.MacroPRAUC })
		s.MacroPRAUC = &st
	}
	if detection {
		dr := over(func(m Metrics) float64 { return m.Detection.DetectionRate })
		far := over(func(m Metrics) float64 { return m.Detection.FalseAlarmRate })
		s.DetectionRate, s.FalseAlarmRate = &dr, &far
	}
	for c := range k {
		s.PerClass[c] = ClassSummary{
			Class:     c,
			Name:      names[c],
			Precision: over(func(m Metrics) float64 { return m.PerClass[c].Precision }),
			Recall:    over(func(m Metrics) float64 { return m.PerClass[c].Recall }),
			F1:        over(func(m Metrics) float64 { return m.PerClass[c].F1 }),
		}
	}
	return s, nil
}

// WriteMarkdown writes the summary as two Markdown tables of "mean ± sd"
// values: the overall scores, then each class's precision, recall and F1.
func (s *CVSummary) WriteMarkdown(w io.Writer) error { return s.write(w, true) }

// WriteText writes the summary as plain aligned text.
func (s *CVSummary) WriteText(w io.Writer) error { return s.write(w, false) }

func (s *CVSummary) write(w io.Writer, md bool) error {
	ew := &errWriter{w: w}
	ew.printf("Cross-validation over %d folds (mean ± sample sd)\n\n", s.Folds)
	o := table{header: []string{"score", "mean ± sd"}, right: []bool{false, true}, rule: -1}
	o.rows = [][]string{
		{"accuracy", s.Accuracy.String()},
		{"macro F1", s.MacroF1.String()},
		{"weighted F1", s.WeightedF1.String()},
		{"balanced accuracy", s.BalancedAccuracy.String()},
		{"MCC", s.MCC.String()},
	}
	if s.MacroPRAUC != nil {
		o.rows = append(o.rows, []string{"macro PR-AUC", s.MacroPRAUC.String()})
	}
	if s.DetectionRate != nil && s.FalseAlarmRate != nil {
		o.rows = append(o.rows,
			[]string{"detection rate", s.DetectionRate.String()},
			[]string{"false-alarm rate", s.FalseAlarmRate.String()})
	}
	o.write(ew, md)
	ew.printf("\n")
	c := table{header: []string{"class", "precision", "recall", "f1"}, right: []bool{false, true, true, true}, rule: -1}
	for _, cl := range s.PerClass {
		c.rows = append(c.rows, []string{cl.Name, cl.Precision.String(), cl.Recall.String(), cl.F1.String()})
	}
	c.write(ew, md)
	if ew.err != nil {
		return fmt.Errorf("train: writing cross-validation summary: %w", ew.err)
	}
	return nil
}

// table is a grid of cells rendered with aligned columns.
type table struct {
	header []string
	rows   [][]string
	right  []bool // right-align column i
	rule   int    // draw a separator before rows[rule]; -1 for none
}

// write renders the table as plain text (header, dashes, rows) or as a
// Markdown pipe table padded to the same widths.
func (t *table) write(ew *errWriter, md bool) {
	cell := func(s string) string {
		if md {
			s = strings.ReplaceAll(s, "|", `\|`)
		}
		return s
	}
	width := make([]int, len(t.header))
	measure := func(row []string) {
		for i, s := range row {
			width[i] = max(width[i], len([]rune(cell(s))))
		}
	}
	measure(t.header)
	for _, r := range t.rows {
		measure(r)
	}
	if md {
		for i := range width {
			width[i] = max(width[i], 3)
		}
	}
	line := func(row []string) {
		var b strings.Builder
		for i := range t.header {
			s := ""
			if i < len(row) {
				s = cell(row[i])
			}
			pad := strings.Repeat(" ", width[i]-len([]rune(s)))
			if md {
				b.WriteString("| ")
			} else if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
			if md {
				b.WriteString(" ")
			}
		}
		if md {
			b.WriteString("|")
		}
		ew.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
	sep := func() {
		var b strings.Builder
		for i, wd := range width {
			if md {
				b.WriteString("| ")
				if t.right[i] {
					b.WriteString(strings.Repeat("-", wd-1) + ":")
				} else {
					b.WriteString(":" + strings.Repeat("-", wd-1))
				}
				b.WriteString(" ")
			} else {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(strings.Repeat("-", wd))
			}
		}
		if md {
			b.WriteString("|")
		}
		ew.printf("%s\n", b.String())
	}
	line(t.header)
	sep()
	for i, r := range t.rows {
		if i == t.rule && i > 0 && !md {
			sep()
		}
		line(r)
	}
}

// errWriter keeps the first write error, as bufio.Writer does.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
