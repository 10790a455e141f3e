package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// near reports whether a and b agree to tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func checkNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !near(got, want, tol) {
		t.Errorf("%s = %.17g, want %.17g (diff %.3g)", what, got, want, got-want)
	}
}

// TestHandComputedThreeClass checks every metric on a small example worked
// out by hand.
func TestHandComputedThreeClass(t *testing.T) {
	// Confusion matrix (rows true, columns predicted), n = 20:
	//            p0  p1  p2 | support
	//   t0        5   1   0 |  6
	//   t1        2   6   2 | 10
	//   t2        0   1   3 |  4
	//   predicted 7   8   5
	var yTrue, yPred []int32
	cells := [3][3]int{{5, 1, 0}, {2, 6, 2}, {0, 1, 3}}
	for ti := range 3 {
		for p := range 3 {
			for range cells[ti][p] {
				yTrue = append(yTrue, int32(ti))
				yPred = append(yPred, int32(p))
			}
		}
	}
	m, err := Evaluate(yTrue, yPred, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-15
	// accuracy = (5+6+3)/20 = 14/20 = 0.7
	checkNear(t, "accuracy", m.Accuracy, 0.7, tol)
	// class 0: TP 5, FP 2, FN 1, TN 20-6-7+5 = 12
	//   precision 5/7, recall 5/6, F1 = 2·(5/7)(5/6)/((5/7)+(5/6)) = 10/13,
	//   specificity 12/14 = 6/7, FPR 2/14 = 1/7
	// class 1: TP 6, FP 2, FN 4, TN 20-10-8+6 = 8
	//   precision 6/8 = 3/4, recall 6/10 = 3/5, F1 = 2·(3/4)(3/5)/(27/20) = 2/3,
	//   specificity 8/10 = 4/5, FPR 1/5
	// class 2: TP 3, FP 2, FN 1, TN 20-4-5+3 = 14
	//   precision 3/5, recall 3/4, F1 = 2·(3/5)(3/4)/(27/20) = 2/3,
	//   specificity 14/16 = 7/8, FPR 1/8
	want := []struct {
		tp, fp, fn, tn          int64
		p, r, f1, spec, fpr     float64
		support, predictedCount int64
	}{
		{5, 2, 1, 12, 5.0 / 7, 5.0 / 6, 10.0 / 13, 6.0 / 7, 1.0 / 7, 6, 7},
		{6, 2, 4, 8, 3.0 / 4, 3.0 / 5, 2.0 / 3, 4.0 / 5, 1.0 / 5, 10, 8},
		{3, 2, 1, 14, 3.0 / 5, 3.0 / 4, 2.0 / 3, 7.0 / 8, 1.0 / 8, 4, 5},
	}
	for c, w := range want {
		got := m.PerClass[c]
		if got.TruePositives != w.tp || got.FalsePositives != w.fp || got.FalseNegatives != w.fn || got.TrueNegatives != w.tn {
			t.Errorf("class %d counts = %d/%d/%d/%d, want %d/%d/%d/%d", c, got.TruePositives, got.FalsePositives, got.FalseNegatives, got.TrueNegatives, w.tp, w.fp, w.fn, w.tn)
		}
		if got.Support != w.support || got.Predicted != w.predictedCount {
			t.Errorf("class %d support/predicted = %d/%d, want %d/%d", c, got.Support, got.Predicted, w.support, w.predictedCount)
		}
		checkNear(t, "precision", got.Precision, w.p, tol)
		checkNear(t, "recall", got.Recall, w.r, tol)
		checkNear(t, "f1", got.F1, w.f1, tol)
		checkNear(t, "specificity", got.Specificity, w.spec, tol)
		checkNear(t, "fpr", got.FalsePositiveRate, w.fpr, tol)
	}
	// macro precision = (5/7 + 3/4 + 3/5)/3 = (100+105+84)/140/3 = 289/420
	checkNear(t, "macro precision", m.Macro.Precision, 289.0/420, tol)
	// macro recall = (5/6 + 3/5 + 3/4)/3 = (50+36+45)/60/3 = 131/180
	checkNear(t, "macro recall", m.Macro.Recall, 131.0/180, tol)
	// macro F1 = (10/13 + 2/3 + 2/3)/3 = (30+26+26)/39/3 = 82/117
	checkNear(t, "macro f1", m.Macro.F1, 82.0/117, tol)
	// macro specificity = (6/7 + 4/5 + 7/8)/3 = (240+224+245)/280/3 = 709/840
	checkNear(t, "macro specificity", m.Macro.Specificity, 709.0/840, tol)
	// weighted precision = (6·5/7 + 10·3/4 + 4·3/5)/20 = (30/7 + 7.5 + 2.4)/20
	checkNear(t, "weighted precision", m.Weighted.Precision, (30.0/7+7.5+2.4)/20, tol)
	// weighted recall = (5+6+3)/20 = accuracy
	checkNear(t, "weighted recall", m.Weighted.Recall, 0.7, tol)
	// weighted F1 = (6·10/13 + 10·2/3 + 4·2/3)/20 = (60/13 + 28/3)/20
	checkNear(t, "weighted f1", m.Weighted.F1, (60.0/13+28.0/3)/20, tol)
	// balanced accuracy = macro recall here (every class present)
	checkNear(t, "balanced accuracy", m.BalancedAccuracy, 131.0/180, tol)
	// MCC: c = 14, s = 20, t = (6,10,4), p = (7,8,5)
	//   p·t = 42+80+20 = 142, p·p = 49+64+25 = 138, t·t = 36+100+16 = 152
	//   cov(yt,yp) = 14·20 − 142 = 138, cov(yp,yp) = 400−138 = 262,
	//   cov(yt,yt) = 400−152 = 248, MCC = 138/sqrt(248·262)
	checkNear(t, "mcc", m.MCC, 138/math.Sqrt(248*262), tol)
	if m.HasScores || m.MacroPRAUC != 0 {
		t.Errorf("HasScores = %v, MacroPRAUC = %v without probabilities", m.HasScores, m.MacroPRAUC)
	}

	// Normal (class 0) versus attack: normals 6, 1 alerted (predicted 1);
	// attacks 14, of which 12 predicted as an attack class (6+2+1+3),
	// 2 predicted normal.
	if err := m.SetNormalClass(0); err != nil {
		t.Fatal(err)
	}
	d := *m.Detection
	if d.Normals != 6 || d.Attacks != 14 || d.Detected != 12 || d.FalseAlarms != 1 {
		t.Errorf("detection counts = %+v", d)
	}
	checkNear(t, "detection rate", d.DetectionRate, 12.0/14, tol)
	checkNear(t, "false alarm rate", d.FalseAlarmRate, 1.0/6, tol)
	b, err := m.Confusion.BinaryView(0)
	if err != nil {
		t.Fatal(err)
	}
	if b.At(BinaryNormal, BinaryNormal) != 5 || b.At(BinaryNormal, BinaryAttack) != 1 ||
		b.At(BinaryAttack, BinaryNormal) != 2 || b.At(BinaryAttack, BinaryAttack) != 12 {
		t.Errorf("binary view = %v", b.counts)
	}
	// Normal = class 1: normals 10, alerted 2+2 = 4; attacks 10, detected
	// 5+0+0+3 (t0→p0, t0→p2, t2→p0, t2→p2) = 8.
	d1, err := m.Confusion.Detection(1)
	if err != nil {
		t.Fatal(err)
	}
	if d1.Detected != 8 || d1.FalseAlarms != 4 || d1.Normals != 10 || d1.Attacks != 10 {
		t.Errorf("detection with normal=1: %+v", d1)
	}
}

// TestZeroDivision checks the zero-division conventions: a class never
// predicted, a class with no rows, and constant predictions.
func TestZeroDivision(t *testing.T) {
	// 4 classes; class 2 never occurs, class 3 occurs but is never
	// predicted; every prediction is class 0 or 1.
	//   t0: p0 ×3
	//   t1: p1 ×2, p0 ×1
	//   t3: p0 ×2
	yTrue := []int32{0, 0, 0, 1, 1, 1, 3, 3}
	yPred := []int32{0, 0, 0, 1, 1, 0, 0, 0}
	m, err := Evaluate(yTrue, yPred, nil, 4)
	if err != nil {
		t.Fatal(err)
	}
	c2, c3 := m.PerClass[2], m.PerClass[3]
	if c2.Precision != 0 || c2.Recall != 0 || c2.F1 != 0 {
		t.Errorf("absent class 2: %+v", c2)
	}
	// Class 2 has TN = 8, FP = 0: specificity 1, FPR 0.
	if c2.Specificity != 1 || c2.FalsePositiveRate != 0 {
		t.Errorf("absent class 2 specificity/FPR = %v/%v, want 1/0", c2.Specificity, c2.FalsePositiveRate)
	}
	if c3.Precision != 0 || c3.Recall != 0 || c3.F1 != 0 {
		t.Errorf("unpredicted class 3: %+v", c3)
	}
	// Averages over {0, 1, 3} (class 2 is in neither labels nor predictions).
	if !slices.Equal(m.AveragedClasses, []int{0, 1, 3}) {
		t.Errorf("averaged classes = %v", m.AveragedClasses)
	}
	// precision: class 0 = 3/6, class 1 = 2/2, class 3 = 0 → macro 1.5/3
	checkNear(t, "macro precision", m.Macro.Precision, 0.5, 1e-15)
	// recall: 1, 2/3, 0 → balanced accuracy over classes present in y_true
	// {0, 1, 3} = (5/3)/3 = 5/9
	checkNear(t, "balanced accuracy", m.BalancedAccuracy, 5.0/9, 1e-15)

	// A single true class: every row class 0, all predicted 0. Class 0 has
	// no negatives so specificity and FPR are 0 by convention; MCC is 0.
	m, err = Evaluate([]int32{0, 0, 0}, []int32{0, 0, 0}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.PerClass[0].Specificity != 0 || m.PerClass[0].FalsePositiveRate != 0 || m.MCC != 0 || m.Accuracy != 1 {
		t.Errorf("single class: %+v", m)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Errorf("marshal: %v", err)
	}
	// Detection with no attack rows: detection rate 0.
	if err := m.SetNormalClass(0); err != nil || m.Detection.DetectionRate != 0 || m.Detection.FalseAlarmRate != 0 {
		t.Errorf("detection without attacks: %+v, %v", m.Detection, err)
	}
}

// TestMCCLargeCounts checks the float64 path of MCC beyond 3·10⁹ rows:
// MCC is invariant to scaling every count, so the hand example scaled by
// 2·10⁸ (4·10⁹ rows) keeps 138/√(248·262). Overflowing totals are errors.
func TestMCCLargeCounts(t *testing.T) {
	cm, _ := NewConfusionMatrix(3)
	for i, v := range []int64{5, 1, 0, 2, 6, 2, 0, 1, 3} {
		cm.counts[i] = v * 200_000_000
	}
	m, err := Compute(cm, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "mcc", m.MCC, 138/math.Sqrt(248*262), 1e-12)
	checkNear(t, "accuracy", m.Accuracy, 0.7, 1e-15)
	cm.counts[0] = math.MaxInt64
	if _, err := Compute(cm, nil, nil); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("overflowing total: err = %v", err)
	}
	cm.counts[0] = -1
	if _, err := Compute(cm, nil, nil); err == nil || !strings.Contains(err.Error(), "[0][0] = -1") {
		t.Errorf("negative count: err = %v", err)
	}
}

// TestAveragePrecisionByHand checks the step-function AP and its tie rule.
func TestAveragePrecisionByHand(t *testing.T) {
	// Scores 0.9(+) 0.8(−) 0.7(+) 0.6(−), P = 2:
	//   threshold 0.9: tp 1 fp 0 → R 1/2, P 1
	//   threshold 0.8: tp 1 fp 1 → R 1/2 (no step)
	//   threshold 0.7: tp 2 fp 1 → R 1, P 2/3
	//   AP = 1/2·1 + 1/2·2/3 = 5/6 (trapezoid would give a different value)
	ap, err := AveragePrecision([]float32{0.9, 0.8, 0.7, 0.6}, []bool{true, false, true, false})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "AP", ap, 5.0/6, 1e-15)
	// Ties: 0.9(+) 0.5(+) 0.5(−) 0.5(−) 0.1(+), P = 3:
	//   threshold 0.9: tp 1 fp 0 → R 1/3, P 1
	//   threshold 0.5: the three tied rows enter together: tp 2 fp 2 →
	//     R 2/3, P 1/2
	//   threshold 0.1: tp 3 fp 2 → R 1, P 3/5
	//   AP = 1/3 + 1/3·1/2 + 1/3·3/5 = (10 + 5 + 6)/30 = 21/30 = 0.7
	// Row order must not matter.
	scores := []float32{0.5, 0.1, 0.5, 0.9, 0.5}
	pos := []bool{false, true, true, true, false}
	ap, err = AveragePrecision(scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "AP with ties", ap, 0.7, 1e-15)
	// All tied: AP = prevalence (one threshold, R 1, P = 3/5).
	ap, _ = AveragePrecision([]float32{1, 1, 1, 1, 1}, pos)
	checkNear(t, "AP all tied", ap, 0.6, 1e-15)
	// No positives: 0.
	ap, _ = AveragePrecision([]float32{0.3, 0.2}, []bool{false, false})
	if ap != 0 {
		t.Errorf("AP without positives = %v", ap)
	}
	if _, err := AveragePrecision([]float32{0.3, float32(math.NaN())}, []bool{true, false}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("NaN score: err = %v", err)
	}
	if _, err := AveragePrecision([]float32{0.3}, []bool{true, false}); err == nil {
		t.Error("length mismatch accepted")
	}
	// Does not allocate beyond its one buffer (a copy of the rows).
	allocs := testing.AllocsPerRun(20, func() { _, _ = AveragePrecision(scores, pos) })
	if allocs > 1 {
		t.Errorf("AveragePrecision allocates %v times, want 1", allocs)
	}
}

// golden is one case of testdata/sklearn_metrics.json.
type golden struct {
	Name              string      `json:"name"`
	Classes           int         `json:"classes"`
	YTrue             []int32     `json:"y_true"`
	YPred             []int32     `json:"y_pred"`
	Probs             [][]float64 `json:"probs"`
	MacroLabels       []int       `json:"macro_labels"`
	Accuracy          float64     `json:"accuracy"`
	Precision         []float64   `json:"precision"`
	Recall            []float64   `json:"recall"`
	F1                []float64   `json:"f1"`
	Support           []int64     `json:"support"`
	MacroPrecision    float64     `json:"macro_precision"`
	MacroRecall       float64     `json:"macro_recall"`
	MacroF1           float64     `json:"macro_f1"`
	WeightedPrecision float64     `json:"weighted_precision"`
	WeightedRecall    float64     `json:"weighted_recall"`
	WeightedF1        float64     `json:"weighted_f1"`
	BalancedAccuracy  float64     `json:"balanced_accuracy"`
	MCC               float64     `json:"mcc"`
	AveragePrecision  []float64   `json:"average_precision"`
	MacroAP           float64     `json:"macro_average_precision"`
	Confusion         [][]int64   `json:"confusion_matrix"`
}

func loadGolden(t testing.TB) []golden {
	t.Helper()
	data, err := os.ReadFile("testdata/sklearn_metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []golden `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 8 {
		t.Fatalf("golden file has %d cases", len(file.Cases))
	}
	return file.Cases
}

func flatProbs(t testing.TB, g golden) []float32 {
	t.Helper()
	out := make([]float32, 0, len(g.Probs)*g.Classes)
	for i, row := range g.Probs {
		if len(row) != g.Classes {
			t.Fatalf("%s: probs row %d has %d values", g.Name, i, len(row))
		}
		for _, v := range row {
			f := float32(v)
			if float64(f) != v {
				t.Fatalf("%s: probability %v is not a float32", g.Name, v)
			}
			out = append(out, f)
		}
	}
	return out
}

// TestSklearnGolden checks agreement with scikit-learn to 1e-12 on the
// cases of testdata/sklearn_metrics.json.
func TestSklearnGolden(t *testing.T) {
	const tol = 1e-12
	for _, g := range loadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			m, err := Evaluate(g.YTrue, g.YPred, flatProbs(t, g), g.Classes)
			if err != nil {
				t.Fatal(err)
			}
			for ti, row := range g.Confusion {
				for p, v := range row {
					if m.Confusion.At(ti, p) != v {
						t.Errorf("confusion[%d][%d] = %d, want %d", ti, p, m.Confusion.At(ti, p), v)
					}
				}
			}
			checkNear(t, "accuracy", m.Accuracy, g.Accuracy, tol)
			for c := range g.Classes {
				pc := m.PerClass[c]
				if pc.Support != g.Support[c] {
					t.Errorf("class %d support = %d, want %d", c, pc.Support, g.Support[c])
				}
				checkNear(t, "precision", pc.Precision, g.Precision[c], tol)
				checkNear(t, "recall", pc.Recall, g.Recall[c], tol)
				checkNear(t, "f1", pc.F1, g.F1[c], tol)
				checkNear(t, "average precision", pc.PRAUC, g.AveragePrecision[c], tol)
			}
			if !slices.Equal(m.AveragedClasses, g.MacroLabels) {
				t.Errorf("averaged classes = %v, want %v", m.AveragedClasses, g.MacroLabels)
			}
			checkNear(t, "macro precision", m.Macro.Precision, g.MacroPrecision, tol)
			checkNear(t, "macro recall", m.Macro.Recall, g.MacroRecall, tol)
			checkNear(t, "macro f1", m.Macro.F1, g.MacroF1, tol)
			checkNear(t, "weighted precision", m.Weighted.Precision, g.WeightedPrecision, tol)
			checkNear(t, "weighted recall", m.Weighted.Recall, g.WeightedRecall, tol)
			checkNear(t, "weighted f1", m.Weighted.F1, g.WeightedF1, tol)
			checkNear(t, "balanced accuracy", m.BalancedAccuracy, g.BalancedAccuracy, tol)
			checkNear(t, "mcc", m.MCC, g.MCC, tol)
			checkNear(t, "macro PR-AUC", m.MacroPRAUC, g.MacroAP, tol)
			if !m.HasScores {
				t.Error("HasScores is false")
			}
			// Specificity has no scikit-learn counterpart: derive it from
			// scikit-learn's confusion matrix.
			var n int64
			for _, row := range g.Confusion {
				for _, v := range row {
					n += v
				}
			}
			for c := range g.Classes {
				var fp int64
				for ti := range g.Classes {
					if ti != c {
						fp += g.Confusion[ti][c]
					}
				}
				tn := n - g.Support[c] - fp
				want := 0.0
				if tn+fp > 0 {
					want = float64(tn) / float64(tn+fp)
				}
				checkNear(t, "specificity", m.PerClass[c].Specificity, want, tol)
			}
			// Metrics from the confusion matrix alone agree with the above.
			bare, err := Compute(m.Confusion, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bare.MCC != m.MCC || bare.Macro != m.Macro || bare.HasScores {
				t.Errorf("Compute without scores differs: %+v", bare)
			}
			if _, err := json.Marshal(m); err != nil {
				t.Errorf("marshal: %v", err)
			}
		})
	}
}

// TestComputeErrors checks that inconsistent inputs are rejected with
// errors naming the problem.
func TestComputeErrors(t *testing.T) {
	yTrue := []int32{0, 1, 1}
	yPred := []int32{0, 1, 0}
	probs := []float32{0.9, 0.1, 0.2, 0.8, 0.6, 0.4}
	cases := []struct {
		name string
		f    func() error
		want string
	}{
		{"label out of range", func() error { _, err := Evaluate([]int32{0, 2}, []int32{0, 0}, nil, 2); return err }, "yTrue row 1: class 2"},
		{"negative prediction", func() error { _, err := Evaluate([]int32{0, 1}, []int32{0, -1}, nil, 2); return err }, "yPred row 1: class -1"},
		{"length mismatch", func() error { _, err := Evaluate([]int32{0, 1}, []int32{0}, nil, 2); return err }, "yTrue has 2 rows but yPred has 1"},
		{"bad class count", func() error { _, err := Evaluate(nil, nil, nil, 0); return err }, "class count 0"},
		{"empty", func() error { _, err := Evaluate(nil, nil, nil, 3); return err }, "empty"},
		{"probs size", func() error { _, err := Evaluate(yTrue, yPred, probs[:5], 2); return err }, "probs has 5 values"},
		{"NaN prob", func() error {
			p := slices.Clone(probs)
			p[3] = float32(math.NaN())
			_, err := Evaluate(yTrue, yPred, p, 2)
			return err
		}, "row 1, class 1 is NaN"},
		{"yTrue disagrees", func() error {
			cm, _ := ConfusionFrom(yTrue, yPred, 2)
			_, err := Compute(cm, []int32{0, 0, 1}, probs)
			return err
		}, "yTrue has 2 rows of class 0 but the confusion matrix has 1"},
		{"yTrue without probs", func() error {
			cm, _ := ConfusionFrom(yTrue, yPred, 2)
			_, err := Compute(cm, yTrue, nil)
			return err
		}, "together"},
		{"merge mismatch", func() error {
			a, _ := NewConfusionMatrix(2)
			b, _ := NewConfusionMatrix(3)
			return a.Merge(b)
		}, "merging 3 classes into 2"},
		{"binary view", func() error {
			a, _ := NewConfusionMatrix(2)
			_, err := a.BinaryView(2)
			return err
		}, "normal class 2 out of range"},
	}
	for _, c := range cases {
		err := c.f()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestConfusionAddMerge checks accumulation, merging and that a failed Add
// leaves the matrix unchanged.
func TestConfusionAddMerge(t *testing.T) {
	a, err := ConfusionFrom([]int32{0, 1, 2}, []int32{0, 2, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ConfusionFrom([]int32{1, 1}, []int32{1, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if a.At(1, 2) != 2 || a.At(1, 1) != 1 || a.At(0, 0) != 1 || a.At(2, 2) != 1 || a.Total() != 5 {
		t.Errorf("merged counts = %v", a.counts)
	}
	if b.Total() != 2 {
		t.Errorf("merge changed its argument: %v", b.counts)
	}
	if err := a.Add([]int32{0, 0, 7}, []int32{0, 0, 0}); err == nil {
		t.Error("bad label accepted")
	}
	if a.Total() != 5 {
		t.Errorf("failed Add changed the matrix: total %d", a.Total())
	}
	if a.At(-1, 0) != 0 || a.At(0, 3) != 0 || a.Support(9) != 0 || a.Predicted(-1) != 0 {
		t.Error("out-of-range accessors are not 0")
	}
	c := a.Clone()
	c.counts[0] = 100
	if a.At(0, 0) != 1 {
		t.Error("Clone shares counters")
	}
	yt := make([]int32, 1000)
	yp := make([]int32, 1000)
	for i := range yt {
		yt[i], yp[i] = int32(i%3), int32((i/3)%3)
	}
	if allocs := testing.AllocsPerRun(20, func() { _ = a.Add(yt, yp) }); allocs != 0 {
		t.Errorf("Add allocates %v times per call", allocs)
	}
}

// TestConfusionJSON checks the JSON round trip and the decoder's errors.
func TestConfusionJSON(t *testing.T) {
	a, _ := ConfusionFrom([]int32{0, 1, 1, 2}, []int32{0, 1, 2, 2}, 3)
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"classes":3,"counts":[[1,0,0],[0,1,1],[0,0,1]]}` {
		t.Errorf("JSON = %s", data)
	}
	var b ConfusionMatrix
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.counts, b.counts) || b.k != 3 {
		t.Errorf("round trip = %+v", b)
	}
	for _, bad := range []struct{ in, want string }{ // want "" means accepted
		{`{"classes":2,"counts":[[1,0]]}`, "has 1 rows, want 2"},
		{`{"classes":2,"counts":[[1,0],[1]]}`, "row 1 has 1 entries"},
		{`{"classes":2,"counts":[[1,0],[-1,0]]}`, "counts[1][0] = -1"},
		{`{"classes":0,"counts":[[1]]}`, "class count 0"},
		{`{"classes":-1}`, "class count -1"},
		{`{"classes":1,"counts":[[9223372036854775807]]}`, ""},
		{`{"classes":2,"counts":[[9223372036854775807,1],[0,0]]}`, "overflows the total"},
		{`{"classes":100000,"counts":[]}`, "class count 100000"},
		{`[1,2]`, "confusion matrix JSON"},
	} {
		var c ConfusionMatrix
		err := json.Unmarshal([]byte(bad.in), &c)
		if bad.want == "" {
			if err != nil {
				t.Errorf("%s: %v", bad.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want %q", bad.in, err, bad.want)
		}
	}
	// The zero value round-trips (a zero Metrics inside a model file).
	var zero Metrics
	data, err = json.Marshal(zero)
	if err != nil {
		t.Fatal(err)
	}
	var zback Metrics
	if err := json.Unmarshal(data, &zback); err != nil || zback.Confusion.Classes() != 0 {
		t.Errorf("zero Metrics round trip: %v, %+v", err, zback)
	}
	// A whole Metrics round-trips through JSON with snake_case names.
	m, err := Evaluate([]int32{0, 1, 1, 0}, []int32{0, 1, 0, 0}, []float32{0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.9, 0.1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetNormalClass(0); err != nil {
		t.Fatal(err)
	}
	data, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"balanced_accuracy":`, `"macro_pr_auc":`, `"per_class":`, `"false_positive_rate":`, `"pr_auc":`, `"detection_rate":`, `"false_alarm_rate":`, `"confusion_matrix":{"classes":2`, `"averaged_classes":[0,1]`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("metrics JSON lacks %s: %s", key, data)
		}
	}
	var back Metrics
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.MCC != m.MCC || back.PerClass[1].PRAUC != m.PerClass[1].PRAUC || back.Confusion.At(1, 0) != 1 || back.Detection.FalseAlarmRate != m.Detection.FalseAlarmRate {
		t.Errorf("metrics round trip differs: %+v", back)
	}
}

// TestThresholdForFAR checks the operating point on hand-made scores.
func TestThresholdForFAR(t *testing.T) {
	// Normal scores (10 rows): 0.9, 0.7, 0.7, 0.5, 0.3, 0.3, 0.3, 0.1, 0.1, 0.0
	// Attack scores (5 rows):  0.95, 0.7, 0.6, 0.3, 0.05
	scores := []float32{0.9, 0.7, 0.7, 0.5, 0.3, 0.3, 0.3, 0.1, 0.1, 0, 0.95, 0.7, 0.6, 0.3, 0.05}
	isNormal := make([]bool, len(scores))
	for i := range 10 {
		isNormal[i] = true
	}
	f32 := func(v float32) float64 { return float64(v) }
	cases := []struct {
		target    float64
		threshold float64
		far, dr   float64
	}{
		// target 0: no normal may alert → threshold = max normal 0.9;
		// only the 0.95 attack is above it.
		{0, f32(0.9), 0, 1.0 / 5},
		// target 0.1: 1 normal may alert. At 0.7, one normal (0.9) is above:
		// FAR 0.1. Going lower to 0.5 would alert the tied pair at 0.7 too
		// (FAR 0.3). Attacks above 0.7: 0.95 (the tied 0.7 attack does not
		// alert) → DR 1/5.
		{0.1, f32(0.7), 0.1, 1.0 / 5},
		// target 0.25: the 0.7 pair cannot be split, so still 0.7 and FAR
		// 0.1 < target.
		{0.25, f32(0.7), 0.1, 1.0 / 5},
		// target 0.3: threshold 0.5 alerts 0.9, 0.7, 0.7 → FAR 0.3; attacks
		// 0.95, 0.7, 0.6 → DR 3/5.
		{0.3, f32(0.5), 0.3, 3.0 / 5},
		// target 0.4: threshold 0.3 alerts 4 normals (0.9, 0.7, 0.7, 0.5);
		// attacks above 0.3: 0.95, 0.7, 0.6 → DR 3/5 (0.3 tie excluded).
		{0.4, f32(0.3), 0.4, 3.0 / 5},
		// target 0.69: 0.3 group (3 rows) would bring 7/10 > 0.69.
		{0.69, f32(0.3), 0.4, 3.0 / 5},
		// target 0.7: threshold 0.1 alerts 7 normals → FAR 0.7; attacks
		// above 0.1: 4 → DR 4/5.
		{0.7, f32(0.1), 0.7, 4.0 / 5},
		// target 0.95: threshold 0.0 (smallest normal) alerts 9 → 0.9; DR 1.
		{0.95, 0, 0.9, 1},
	}
	for _, c := range cases {
		th, far, dr, err := ThresholdForFAR(scores, isNormal, c.target)
		if err != nil {
			t.Fatal(err)
		}
		if th != c.threshold || !near(far, c.far, 1e-15) || !near(dr, c.dr, 1e-15) {
			t.Errorf("target %v: got threshold %v FAR %v DR %v, want %v %v %v", c.target, th, far, dr, c.threshold, c.far, c.dr)
		}
		// Smallest: the next lower normal score exceeds the target.
		op, err := DetectionAt(scores, isNormal, th)
		if err != nil {
			t.Fatal(err)
		}
		if op.FalseAlarmRate != far || op.DetectionRate != dr {
			t.Errorf("DetectionAt(%v) = %+v, disagrees with ThresholdForFAR", th, op)
		}
		var lower float64 = math.Inf(-1)
		for i, s := range scores {
			if isNormal[i] && float64(s) < th {
				lower = math.Max(lower, float64(s))
			}
		}
		if !math.IsInf(lower, -1) {
			op, _ := DetectionAt(scores, isNormal, lower)
			if op.FalseAlarmRate <= c.target {
				t.Errorf("target %v: lower normal score %v also meets it (FAR %v)", c.target, lower, op.FalseAlarmRate)
			}
		}
	}
	// FAR = 0.29 exactly reachable: 29 of 100 normals above the threshold
	// must be accepted despite 0.29·100 rounding below 29 in float64.
	sc := make([]float32, 100)
	nm := make([]bool, 100)
	for i := range sc {
		sc[i] = float32(i) / 100
		nm[i] = true
	}
	th, far, _, err := ThresholdForFAR(sc, nm, 0.29)
	if err != nil {
		t.Fatal(err)
	}
	if far != 0.29 || th != float64(float32(70)/100) {
		t.Errorf("0.29 target: threshold %v FAR %v", th, far)
	}
	// Errors.
	for _, bad := range []struct {
		scores   []float32
		isNormal []bool
		target   float64
		want     string
	}{
		{scores, isNormal[:3], 0.1, "15 scores but 3"},
		{scores, isNormal, 1, "out of range"},
		{scores, isNormal, -0.1, "out of range"},
		{scores, isNormal, math.NaN(), "out of range"},
		{[]float32{0.5, 0.2}, []bool{false, false}, 0.1, "no normal rows"},
		{[]float32{0.5, float32(math.NaN())}, []bool{true, false}, 0.1, "row 1 is NaN"},
	} {
		_, _, _, err := ThresholdForFAR(bad.scores, bad.isNormal, bad.target)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("err = %v, want %q", err, bad.want)
		}
	}
	if _, err := DetectionAt(scores, isNormal, math.NaN()); err == nil {
		t.Error("NaN threshold accepted")
	}
}

// TestAttackScores checks 1 − P(normal) and its errors.
func TestAttackScores(t *testing.T) {
	probs := []float32{0.75, 0.25, 0, 0.5, 0.25, 0.25}
	got, err := AttackScores(nil, probs, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []float32{0.25, 0.5}) {
		t.Errorf("scores = %v", got)
	}
	got, _ = AttackScores(got, probs, 3, 1)
	if !slices.Equal(got, []float32{0.75, 0.75}) {
		t.Errorf("scores (normal=1) = %v", got)
	}
	dst := make([]float32, 0, 2)
	if allocs := testing.AllocsPerRun(20, func() { _, _ = AttackScores(dst, probs, 3, 0) }); allocs != 0 {
		t.Errorf("AttackScores allocates %v times", allocs)
	}
	if _, err := AttackScores(nil, probs, 4, 0); err == nil {
		t.Error("ragged probs accepted")
	}
	if _, err := AttackScores(nil, probs, 3, 3); err == nil {
		t.Error("normal class out of range accepted")
	}
}

// TestMetricsRandomProperties checks invariants on random inputs: metrics
// within [0, 1] (MCC within [−1, 1]), weighted recall equal to accuracy,
// specificity + FPR = 1 where defined, and JSON encoding.
func TestMetricsRandomProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		k := 2 + rng.IntN(8)
		n := 1 + rng.IntN(300)
		yt := make([]int32, n)
		yp := make([]int32, n)
		probs := make([]float32, n*k)
		for i := range n {
			yt[i] = int32(rng.IntN(k))
			yp[i] = int32(rng.IntN(k))
			for c := range k {
				probs[i*k+c] = float32(rng.IntN(5)) / 4
			}
		}
		m, err := Evaluate(yt, yp, probs, k)
		if err != nil {
			t.Fatal(err)
		}
		in01 := func(v float64) bool { return v >= 0 && v <= 1 }
		if !in01(m.Accuracy) || !in01(m.BalancedAccuracy) || m.MCC < -1 || m.MCC > 1 || !in01(m.MacroPRAUC) {
			t.Fatalf("iter %d: out of range: %+v", iter, m)
		}
		checkNear(t, "weighted recall vs accuracy", m.Weighted.Recall, m.Accuracy, 1e-12)
		for _, c := range m.PerClass {
			if !in01(c.Precision) || !in01(c.Recall) || !in01(c.F1) || !in01(c.PRAUC) {
				t.Fatalf("iter %d: class out of range: %+v", iter, c)
			}
			if c.TrueNegatives+c.FalsePositives > 0 {
				checkNear(t, "specificity+fpr", c.Specificity+c.FalsePositiveRate, 1, 1e-15)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzConfusionJSON feeds arbitrary bytes to the confusion-matrix decoder:
// it must not panic, and what it accepts must re-encode to an equal matrix.
func FuzzConfusionJSON(f *testing.F) {
	f.Add([]byte(`{"classes":2,"counts":[[1,0],[2,3]]}`))
	f.Add([]byte(`{"classes":1,"counts":[[0]]}`))
	f.Add([]byte(`{"classes":3,"counts":[[1,0,0],[0,-1,0],[0,0,0]]}`))
	f.Add([]byte(`{"classes":4096,"counts":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ConfusionMatrix
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var d ConfusionMatrix
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("decode of own output %s: %v", out, err)
		}
		if d.k != c.k || !slices.Equal(d.counts, c.counts) {
			t.Fatalf("round trip differs")
		}
		if c.k > 0 && c.Total() > 0 {
			m, err := Compute(c, nil, nil)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if _, err := json.Marshal(m); err != nil {
				t.Fatalf("marshal metrics: %v", err)
			}
		}
	})
}

// FuzzMetrics derives labels and scores from fuzz bytes and checks that
// Evaluate never panics, never yields NaN and agrees with itself on
// confusion-matrix totals.
func FuzzMetrics(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 2, 1, 0, 5, 7, 9}, uint8(3))
	f.Add([]byte{0, 0, 0, 0}, uint8(2))
	f.Add([]byte{255, 1, 128, 7}, uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, kb uint8) {
		k := 1 + int(kb%12)
		n := len(data) / 3
		yt := make([]int32, n)
		yp := make([]int32, n)
		probs := make([]float32, n*k)
		for i := range n {
			yt[i] = int32(int(data[3*i]) % (k + 1)) // may be out of range
			yp[i] = int32(int(data[3*i+1]) % k)
			for c := range k {
				probs[i*k+c] = float32(int(data[3*i+2])*(c+1)%7) / 6
			}
		}
		m, err := Evaluate(yt, yp, probs, k)
		if err != nil {
			return
		}
		data, err = json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if m.Confusion.Total() != int64(n) {
			t.Fatalf("total %d for %d rows", m.Confusion.Total(), n)
		}
		if k >= 2 {
			if err := m.SetNormalClass(0); err != nil {
				t.Fatal(err)
			}
			s, _ := AttackScores(nil, probs, k, 0)
			isNormal := make([]bool, n)
			for i, v := range yt {
				isNormal[i] = v == 0
			}
			if th, far, dr, err := ThresholdForFAR(s, isNormal, 0.1); err == nil {
				if far > 0.1 || dr < 0 || dr > 1 || math.IsNaN(th) {
					t.Fatalf("ThresholdForFAR = %v %v %v", th, far, dr)
				}
			}
		}
	})
}

// FuzzThresholdForFAR checks the operating-point contract on arbitrary
// scores: the achieved rate meets the target, and the next lower normal
// score would not.
func FuzzThresholdForFAR(f *testing.F) {
	f.Add([]byte{10, 1, 200, 0, 10, 1, 30, 0, 99, 1}, uint16(100))
	f.Add([]byte{0, 1, 0, 1, 0, 0}, uint16(0))
	f.Add([]byte{255, 1}, uint16(999))
	f.Fuzz(func(t *testing.T, data []byte, tb uint16) {
		n := len(data) / 2
		scores := make([]float32, n)
		isNormal := make([]bool, n)
		for i := range n {
			scores[i] = float32(data[2*i]) / 16
			if data[2*i] == 255 {
				scores[i] = float32(math.Inf(1))
			}
			isNormal[i] = data[2*i+1]&1 == 1
		}
		target := float64(tb%1000) / 1000
		th, far, dr, err := ThresholdForFAR(scores, isNormal, target)
		if err != nil {
			if slices.Contains(isNormal, true) {
				t.Fatalf("rejected valid input: %v", err)
			}
			return
		}
		if far > target || dr < 0 || dr > 1 || math.IsNaN(th) {
			t.Fatalf("threshold %v FAR %v DR %v for target %v", th, far, dr, target)
		}
		lower := math.Inf(-1)
		for i, s := range scores {
			if isNormal[i] && float64(s) < th {
				lower = math.Max(lower, float64(s))
			}
		}
		if !math.IsInf(lower, -1) {
			op, err := DetectionAt(scores, isNormal, lower)
			if err != nil {
				t.Fatal(err)
			}
			if op.FalseAlarmRate <= target {
				t.Fatalf("threshold %v not smallest: %v also meets %v", th, lower, target)
			}
		}
	})
}

// BenchmarkEvaluate measures Evaluate with probabilities on an
// NSL-KDD-sized validation set (125,973 rows, 5 classes).
func BenchmarkEvaluate(b *testing.B) {
	const n, k = 125973, 5
	rng := rand.New(rand.NewPCG(3, 4))
	yt := make([]int32, n)
	yp := make([]int32, n)
	probs := make([]float32, n*k)
	for i := range n {
		yt[i] = int32(rng.IntN(k))
		yp[i] = yt[i]
		if rng.IntN(10) == 0 {
			yp[i] = int32(rng.IntN(k))
		}
		for c := range k {
			probs[i*k+c] = rng.Float32()
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(yt, yp, probs, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfusionAdd measures counting predictions into a matrix.
func BenchmarkConfusionAdd(b *testing.B) {
	const n, k = 125973, 5
	yt := make([]int32, n)
	yp := make([]int32, n)
	for i := range n {
		yt[i], yp[i] = int32(i%k), int32((i/k)%k)
	}
	cm, _ := NewConfusionMatrix(k)
	b.ReportAllocs()
	for b.Loop() {
		if err := cm.Add(yt, yp); err != nil {
			b.Fatal(err)
		}
	}
}
