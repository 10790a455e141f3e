package train

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// handMetrics returns the metrics of the 3-class example of
// TestHandComputedThreeClass, with class 0 as normal.
func handMetrics(t *testing.T) Metrics {
	t.Helper()
	cm, err := NewConfusionMatrix(3)
	if err != nil {
		t.Fatal(err)
	}
	copy(cm.counts, []int64{5, 1, 0, 2, 6, 2, 0, 1, 3})
	m, err := Compute(cm, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetNormalClass(0); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReportText checks the plain-text report against the hand-computed
// values of TestHandComputedThreeClass, rounded to four decimals:
// precision 5/7 = 0.7143, 3/4, 3/5; recall 5/6 = 0.8333, 3/5, 3/4; F1
// 10/13 = 0.7692, 2/3, 2/3; specificity 6/7 = 0.8571, 4/5, 7/8; macro
// precision 289/420 = 0.6881, recall 131/180 = 0.7278, F1 82/117 = 0.7009,
// specificity 709/840 = 0.8440; weighted precision 0.7093, F1 0.6974;
// MCC 138/√(248·262) = 0.5414; detection 12/14 = 0.8571, false alarms
// 1/6 = 0.1667.
func TestReportText(t *testing.T) {
	r, err := NewReport("Hand example", handMetrics(t), []string{"normal", "DoS", "a|b"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	const want = `Hand example
============

class         support  precision  recall      f1  specificity     fpr  pr_auc
------------  -------  ---------  ------  ------  -----------  ------  ------
normal              6     0.7143  0.8333  0.7692       0.8571  0.1429       -
DoS                10     0.7500  0.6000  0.6667       0.8000  0.2000       -
a|b                 4     0.6000  0.7500  0.6667       0.8750  0.1250       -
------------  -------  ---------  ------  ------  -----------  ------  ------
macro avg          20     0.6881  0.7278  0.7009       0.8440               -
weighted avg       20     0.7093  0.7000  0.6974       0.8321

score                          value
----------------------------  ------
accuracy                      0.7000
balanced accuracy             0.7278
MCC                           0.5414
detection rate (vs normal)    0.8571
false-alarm rate (on normal)  0.1667

Confusion matrix (rows: true class, columns: predicted class)

true \ pred  normal  DoS  a|b
-----------  ------  ---  ---
normal            5    1    0
DoS               2    6    2
a|b               0    1    3
`
	if b.String() != want {
		t.Errorf("text report:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestReportMarkdown checks the Markdown tables: a pipe in a class name is
// escaped, every row of a table has the same width and cell count, and
// numeric columns are right-aligned.
func TestReportMarkdown(t *testing.T) {
	m := handMetrics(t)
	r, err := NewReport("Hand example", m, []string{"normal", "DoS", "a|b"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{
		"## Hand example\n",
		"| class        | support | precision | recall |     f1 | specificity |    fpr | pr_auc |\n",
		"| :----------- | ------: | --------: | -----: | -----: | ----------: | -----: | -----: |\n",
		"| a\\|b         |       4 |    0.6000 | 0.7500 | 0.6667 |      0.8750 | 0.1250 |      - |\n",
		"| macro avg    |      20 |    0.6881 | 0.7278 | 0.7009 |      0.8440 |        |      - |\n",
		"| MCC                          | 0.5414 |\n",
		"| true \\ pred | normal | DoS | a\\|b |\n",
		"| DoS         |      2 |   6 |    2 |\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, out)
		}
	}
	// Tables are blocks of lines starting with "|": within a block, every
	// line has the same length and the same number of unescaped pipes.
	var width, pipes int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			width = 0
			continue
		}
		p := strings.Count(line, "|") - strings.Count(line, `\|`)
		if width == 0 {
			width, pipes = len([]rune(line)), p
			continue
		}
		if len([]rune(line)) != width || p != pipes {
			t.Errorf("misaligned Markdown row %q (width %d, %d pipes; table has %d, %d)", line, len([]rune(line)), p, width, pipes)
		}
	}
	// With scores, the PR-AUC column is filled in.
	m2, err := Evaluate([]int32{0, 1, 1, 0}, []int32{0, 1, 0, 0}, []float32{0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.9, 0.1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := NewReport("", m2, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := r2.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	// Class 1 scores: rows 1 (0.7, +), 2 (0.4, +), 0 (0.2, −), 3 (0.1, −):
	// AP 1. Class 0 scores: rows 3 (0.9, +), 0 (0.8, +), 2 (0.6, −),
	// 1 (0.3, −): AP 1.
	if !strings.Contains(b.String(), "| macro PR-AUC      | 1.0000 |") || strings.Contains(b.String(), "## ") {
		t.Errorf("report with scores:\n%s", b.String())
	}
}

func TestReportErrors(t *testing.T) {
	m := handMetrics(t)
	if _, err := NewReport("x", m, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "2 class names for 3 classes") {
		t.Errorf("err = %v", err)
	}
	bad := m
	bad.PerClass = bad.PerClass[:2]
	if _, err := NewReport("x", bad, nil); err == nil {
		t.Error("inconsistent metrics accepted")
	}
	r, _ := NewReport("x", m, nil)
	if err := r.WriteText(failWriter{}); err == nil || !errors.Is(err, errFail) {
		t.Errorf("write error not wrapped: %v", err)
	}
	r.ClassNames = r.ClassNames[:1]
	if err := r.WriteMarkdown(&bytes.Buffer{}); err == nil {
		t.Error("hand-edited report with wrong names accepted")
	}
}

// errFail is the error of failWriter; a comparable string type, so
// errors.Is finds it in a wrapped chain without a package variable.
type errFailType string

func (e errFailType) Error() string { return string(e) }

const errFail = errFailType("disk full")

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

// foldMetrics returns the metrics of a binary fold with the given
// confusion matrix.
func foldMetrics(t *testing.T, counts ...int64) Metrics {
	t.Helper()
	cm, _ := NewConfusionMatrix(2)
	copy(cm.counts, counts)
	m, err := Compute(cm, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSummarize(t *testing.T) {
	// Three binary folds of 10 rows (5 per class):
	//   A [[4 1] [2 3]]: accuracy 0.7, recall 0.8/0.6, precision 4/6 and 3/4
	//   B [[4 1] [1 4]]: accuracy 0.8, recall 0.8/0.8, precision 0.8/0.8
	//   C [[5 0] [1 4]]: accuracy 0.9, recall 1.0/0.8, precision 5/6 and 1
	folds := []Metrics{
		foldMetrics(t, 4, 1, 2, 3),
		foldMetrics(t, 4, 1, 1, 4),
		foldMetrics(t, 5, 0, 1, 4),
	}
	s, err := Summarize(folds, []string{"normal", "attack"})
	if err != nil {
		t.Fatal(err)
	}
	// accuracy: mean 0.8, sample sd √((0.01+0+0.01)/2) = 0.1
	checkNear(t, "accuracy mean", s.Accuracy.Mean, 0.8, 1e-15)
	checkNear(t, "accuracy sd", s.Accuracy.SD, 0.1, 1e-15)
	// Balanced classes: balanced accuracy = accuracy.
	checkNear(t, "balanced accuracy mean", s.BalancedAccuracy.Mean, 0.8, 1e-15)
	checkNear(t, "balanced accuracy sd", s.BalancedAccuracy.SD, 0.1, 1e-15)
	// recall of class 0: 0.8, 0.8, 1.0 → mean 13/15, deviations −1/15,
	// −1/15, 2/15 → sd √((1+1+4)/225/2) = √3/15
	checkNear(t, "recall mean", s.PerClass[0].Recall.Mean, 13.0/15, 1e-15)
	checkNear(t, "recall sd", s.PerClass[0].Recall.SD, math.Sqrt(3)/15, 1e-15)
	// precision of class 1: 3/4, 4/5, 1 → mean 51/60 = 0.85
	checkNear(t, "precision mean", s.PerClass[1].Precision.Mean, 0.85, 1e-15)
	if s.Folds != 3 || s.PerClass[1].Name != "attack" {
		t.Errorf("summary = %+v", s)
	}
	// Macro F1 of each fold against the fold metrics.
	var mean float64
	for _, f := range folds {
		mean += f.Macro.F1 / 3
	}
	checkNear(t, "macro F1 mean", s.MacroF1.Mean, mean, 1e-15)

	var b bytes.Buffer
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| accuracy          | 0.8000 ± 0.1000 |",
		"| balanced accuracy | 0.8000 ± 0.1000 |",
		// precision of class 0: 4/6, 0.8, 5/6 → mean 0.7667, sd 0.0882
		"| normal | 0.7667 ± 0.0882 | 0.8667 ± 0.1155 |",
		"over 3 folds",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "accuracy           0.8000 ± 0.1000") {
		t.Errorf("text summary:\n%s", b.String())
	}

	if s.MacroPRAUC != nil || s.DetectionRate != nil {
		t.Error("PR-AUC or detection summarised from folds without them")
	}
	// With detection views: fold false-alarm rates (normal = 0) are
	// 1/5, 1/5, 0 → mean 2/15; detection rates 3/5, 4/5, 4/5 → 11/15.
	for i := range folds {
		if err := folds[i].SetNormalClass(0); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Summarize(folds, []string{"normal", "attack"})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "false-alarm mean", s.FalseAlarmRate.Mean, 2.0/15, 1e-15)
	checkNear(t, "detection mean", s.DetectionRate.Mean, 11.0/15, 1e-15)
	b.Reset()
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| false-alarm rate  | 0.1333 ± 0.1155 |") {
		t.Errorf("Markdown lacks the false-alarm rate:\n%s", b.String())
	}

	// One fold: sd 0, not NaN.
	one, err := Summarize(folds[:1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if one.Accuracy.SD != 0 || one.Accuracy.Mean != 0.7 || one.PerClass[0].Name != "0" {
		t.Errorf("one fold: %+v", one)
	}
	// Errors.
	if _, err := Summarize(nil, nil); err == nil {
		t.Error("no folds accepted")
	}
	three := handMetrics(t)
	if _, err := Summarize([]Metrics{folds[0], three}, nil); err == nil || !strings.Contains(err.Error(), "fold 1 has 3 classes") {
		t.Errorf("mismatched folds: %v", err)
	}
	if _, err := Summarize(folds, []string{"x"}); err == nil {
		t.Error("wrong class names accepted")
	}
	if err := s.WriteMarkdown(failWriter{}); !errors.Is(err, errFail) {
		t.Errorf("write error: %v", err)
	}
}
