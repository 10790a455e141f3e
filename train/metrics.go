package train

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// maxClasses bounds the class count accepted from callers and from JSON,
// so that a corrupt model file cannot make us allocate classes² counters.
const maxClasses = 1 << 12

// ConfusionMatrix counts classifier decisions: the entry at row t, column p
// is the number of rows whose true class is t and whose predicted class is
// p. The zero value is an empty 0-class matrix; use NewConfusionMatrix or
// ConfusionFrom. Copies of a ConfusionMatrix share their counters; use
// Clone for an independent copy.
type ConfusionMatrix struct {
	k      int
	counts []int64 // k×k, row-major
}

// NewConfusionMatrix returns an all-zero matrix for classes classes.
func NewConfusionMatrix(classes int) (ConfusionMatrix, error) {
	if classes < 1 || classes > maxClasses {
		return ConfusionMatrix{}, fmt.Errorf("train: confusion matrix: class count %d out of range [1, %d]", classes, maxClasses)
	}
	return ConfusionMatrix{k: classes, counts: make([]int64, classes*classes)}, nil
}

// ConfusionFrom counts yTrue against yPred, which must have the same length
// and hold classes in [0, classes).
func ConfusionFrom(yTrue, yPred []int32, classes int) (ConfusionMatrix, error) {
	cm, err := NewConfusionMatrix(classes)
	if err != nil {
		return ConfusionMatrix{}, err
	}
	if err := cm.Add(yTrue, yPred); err != nil {
		return ConfusionMatrix{}, err
	}
	return cm, nil
}

// Add counts more rows into the matrix. It checks every label before
// counting any, so on error the matrix is unchanged. It does not allocate.
func (c *ConfusionMatrix) Add(yTrue, yPred []int32) error {
	if len(yTrue) != len(yPred) {
		return fmt.Errorf("train: confusion matrix: yTrue has %d rows but yPred has %d", len(yTrue), len(yPred))
	}
	k := int32(c.k)
	for i, t := range yTrue {
		if t < 0 || t >= k {
			return fmt.Errorf("train: confusion matrix: yTrue row %d: class %d out of range [0, %d)", i, t, k)
		}
		if p := yPred[i]; p < 0 || p >= k {
			return fmt.Errorf("train: confusion matrix: yPred row %d: class %d out of range [0, %d)", i, p, k)
		}
	}
	for i, t := range yTrue {
		c.counts[int(t)*c.k+int(yPred[i])]++
	}
	return nil
}

// Merge adds the counts of o, for example to total the folds of a
// cross-validation. Both matrices must have the same class count.
func (c *ConfusionMatrix) Merge(o ConfusionMatrix) error {
	if c.k != o.k {
		return fmt.Errorf("train: confusion matrix: merging %d classes into %d", o.k, c.k)
	}
	for i, v := range o.counts {
		c.counts[i] += v
	}
	return nil
}

// Clone returns an independent copy.
func (c ConfusionMatrix) Clone() ConfusionMatrix {
	return ConfusionMatrix{k: c.k, counts: slices.Clone(c.counts)}
}

// Classes returns the number of classes.
func (c ConfusionMatrix) Classes() int { return c.k }

// At returns the number of rows of true class t predicted as class p. It
// returns 0 for classes out of range.
func (c ConfusionMatrix) At(t, p int) int64 {
	if t < 0 || t >= c.k || p < 0 || p >= c.k {
		return 0
	}
	return c.counts[t*c.k+p]
}

// Total returns the number of rows counted.
func (c ConfusionMatrix) Total() int64 {
	var n int64
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Support returns the number of rows whose true class is t (the row sum).
func (c ConfusionMatrix) Support(t int) int64 {
	if t < 0 || t >= c.k {
		return 0
	}
	var n int64
	for _, v := range c.counts[t*c.k : (t+1)*c.k] {
		n += v
	}
	return n
}

// Predicted returns the number of rows predicted as class p (the column
// sum).
func (c ConfusionMatrix) Predicted(p int) int64 {
	if p < 0 || p >= c.k {
		return 0
	}
	var n int64
	for t := range c.k {
		n += c.counts[t*c.k+p]
	}
	return n
}

// Binary classes of the matrix returned by BinaryView.
const (
	// BinaryNormal is the row and column of normal traffic in a BinaryView.
	BinaryNormal = 0
	// BinaryAttack is the row and column of all attack classes together.
	BinaryAttack = 1
)

// BinaryView collapses the matrix into normal versus attack: a 2×2 matrix
// whose class BinaryNormal is normalClass and whose class BinaryAttack is
// every other class. An attack predicted as a different attack class
// counts as a detected attack.
func (c ConfusionMatrix) BinaryView(normalClass int) (ConfusionMatrix, error) {
	if normalClass < 0 || normalClass >= c.k {
		return ConfusionMatrix{}, fmt.Errorf("train: binary view: normal class %d out of range [0, %d)", normalClass, c.k)
	}
	if c.k < 2 {
		return ConfusionMatrix{}, errors.New("train: binary view: needs at least 2 classes")
	}
	b := ConfusionMatrix{k: 2, counts: make([]int64, 4)}
	side := func(x int) int {
		if x == normalClass {
			return BinaryNormal
		}
		return BinaryAttack
	}
	for t := range c.k {
		for p := range c.k {
			b.counts[side(t)*2+side(p)] += c.counts[t*c.k+p]
		}
	}
	return b, nil
}

// Detection returns the normal-versus-attack view of the matrix: detection
// rate and false-alarm rate with normalClass as the normal class.
func (c ConfusionMatrix) Detection(normalClass int) (Detection, error) {
	b, err := c.BinaryView(normalClass)
	if err != nil {
		return Detection{}, err
	}
	d := Detection{
		NormalClass: normalClass,
		Normals:     b.Support(BinaryNormal),
		Attacks:     b.Support(BinaryAttack),
		Detected:    b.At(BinaryAttack, BinaryAttack),
		FalseAlarms: b.At(BinaryNormal, BinaryAttack),
	}
	d.DetectionRate = ratio(d.Detected, d.Attacks)
	d.FalseAlarmRate = ratio(d.FalseAlarms, d.Normals)
	return d, nil
}

// confusionJSON is the JSON form of a ConfusionMatrix.
type confusionJSON struct {
	Classes int       `json:"classes"`
	Counts  [][]int64 `json:"counts"`
}

// MarshalJSON writes {"classes": k, "counts": [[...], ...]} with one inner
// array per true class.
func (c ConfusionMatrix) MarshalJSON() ([]byte, error) {
	rows := make([][]int64, c.k)
	for t := range c.k {
		rows[t] = c.counts[t*c.k : (t+1)*c.k]
	}
	return json.Marshal(confusionJSON{Classes: c.k, Counts: rows})
}

// UnmarshalJSON reads the form written by MarshalJSON. It rejects a class
// count out of range, rows that are not k long and negative counts; 0
// classes with no counts (or null) is the zero value, so that a zero
// Metrics round-trips.
func (c *ConfusionMatrix) UnmarshalJSON(data []byte) error {
	var j confusionJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("train: confusion matrix JSON: %w", err)
	}
	if j.Classes == 0 && len(j.Counts) == 0 {
		*c = ConfusionMatrix{} // the zero value, as MarshalJSON writes it
		return nil
	}
	if j.Classes < 1 || j.Classes > maxClasses {
		return fmt.Errorf("train: confusion matrix JSON: field classes: class count %d out of range [1, %d]", j.Classes, maxClasses)
	}
	// Check the shape before allocating, so that memory stays proportional
	// to the input.
	var total int64
	if len(j.Counts) != j.Classes {
		return fmt.Errorf("train: confusion matrix JSON: field counts has %d rows, want %d", len(j.Counts), j.Classes)
	}
	for t, row := range j.Counts {
		if len(row) != j.Classes {
			return fmt.Errorf("train: confusion matrix JSON: counts row %d has %d entries, want %d", t, len(row), j.Classes)
		}
		for p, v := range row {
			if v < 0 {
				return fmt.Errorf("train: confusion matrix JSON: counts[%d][%d] = %d is negative", t, p, v)
			}
			if total > math.MaxInt64-v {
				return fmt.Errorf("train: confusion matrix JSON: counts[%d][%d] = %d overflows the total", t, p, v)
			}
			total += v
		}
	}
	cm, err := NewConfusionMatrix(j.Classes)
	if err != nil {
		return fmt.Errorf("train: confusion matrix JSON: %w", err)
	}
	for t, row := range j.Counts {
		copy(cm.counts[t*j.Classes:], row)
	}
	*c = cm
	return nil
}

// Detection summarises a classifier as an intrusion detector: every class
// but the normal one is an attack, and any attack prediction is an alert.
type Detection struct {
	// NormalClass is the class treated as normal traffic.
	NormalClass int `json:"normal_class"`
	// Normals and Attacks count the rows whose true class is normal, or any
	// attack class.
	Normals int64 `json:"normals"`
	Attacks int64 `json:"attacks"` // rows of any attack class
	// Detected counts attack rows predicted as any attack class.
	Detected int64 `json:"detected"`
	// FalseAlarms counts normal rows predicted as any attack class.
	FalseAlarms int64 `json:"false_alarms"`
	// DetectionRate is Detected/Attacks, the recall of the attack side
	// (0 when there are no attack rows).
	DetectionRate float64 `json:"detection_rate"`
	// FalseAlarmRate is FalseAlarms/Normals, FP/(FP+TN) on the normal
	// class (0 when there are no normal rows).
	FalseAlarmRate float64 `json:"false_alarm_rate"`
}

// ClassMetrics are the one-versus-rest metrics of one class.
type ClassMetrics struct {
	// Class is the class index.
	Class int `json:"class"`
	// Support is the number of rows whose true class is Class (TP+FN).
	Support int64 `json:"support"`
	// Predicted is the number of rows predicted as Class (TP+FP).
	Predicted int64 `json:"predicted"`
	// TruePositives, FalsePositives, FalseNegatives and TrueNegatives are
	// the one-versus-rest counts.
	TruePositives  int64 `json:"true_positives"`  // rows of Class predicted as Class
	FalsePositives int64 `json:"false_positives"` // rows of other classes predicted as Class
	FalseNegatives int64 `json:"false_negatives"` // rows of Class predicted as another class
	TrueNegatives  int64 `json:"true_negatives"`  // rows of other classes predicted as another class
	// Precision is TP/(TP+FP), 0 when nothing was predicted as Class.
	Precision float64 `json:"precision"`
	// Recall is TP/(TP+FN), 0 when Support is 0.
	Recall float64 `json:"recall"`
	// F1 is 2PR/(P+R), 0 when P+R is 0.
	F1 float64 `json:"f1"`
	// Specificity is TN/(TN+FP), 0 when every row is of Class.
	Specificity float64 `json:"specificity"`
	// FalsePositiveRate is FP/(FP+TN), 0 when every row is of Class.
	FalsePositiveRate float64 `json:"false_positive_rate"`
	// PRAUC is the one-versus-rest average precision (scikit-learn's
	// average_precision_score) of the class's probability column; 0 when
	// the metrics were computed without probabilities (see
	// Metrics.HasScores) or when Support is 0.
	PRAUC float64 `json:"pr_auc"`
}

// Averages holds averages of per-class metrics over Metrics.AveragedClasses.
type Averages struct {
	// Precision, Recall, F1 and Specificity are the averaged metrics.
	Precision   float64 `json:"precision"`   // averaged precision
	Recall      float64 `json:"recall"`      // averaged recall
	F1          float64 `json:"f1"`          // averaged F1
	Specificity float64 `json:"specificity"` // averaged specificity
}

// Metrics are the classification metrics of one evaluation, following
// scikit-learn's definitions and zero-division convention (see the package
// documentation). No field is ever NaN or infinite, so a Metrics always
// marshals to JSON.
type Metrics struct {
	// Classes is the number of classes.
	Classes int `json:"classes"`
	// Total is the number of rows evaluated.
	Total int64 `json:"total"`
	// Accuracy is the fraction of rows predicted correctly.
	Accuracy float64 `json:"accuracy"`
	// BalancedAccuracy is the mean recall over the classes present in the
	// true labels (scikit-learn's balanced_accuracy_score).
	BalancedAccuracy float64 `json:"balanced_accuracy"`
	// MCC is the multiclass Matthews correlation coefficient (Gorodkin's
	// R_K, scikit-learn's matthews_corrcoef); 0 when undefined.
	MCC float64 `json:"mcc"`
	// AveragedClasses are the classes that Macro and Weighted average over:
	// those present in the true or the predicted labels (scikit-learn's
	// default label set).
	AveragedClasses []int `json:"averaged_classes"`
	// Macro is the unweighted mean over AveragedClasses.
	Macro Averages `json:"macro"`
	// Weighted is the mean over AveragedClasses weighted by support.
	Weighted Averages `json:"weighted"`
	// HasScores reports whether probabilities were given, that is whether
	// the PR-AUC fields are meaningful.
	HasScores bool `json:"has_scores"`
	// MacroPRAUC is the mean PR-AUC over the classes present in the true
	// labels; 0 without scores.
	MacroPRAUC float64 `json:"macro_pr_auc"`
	// PerClass holds one entry per class, in class order.
	PerClass []ClassMetrics `json:"per_class"`
	// Detection is the normal-versus-attack view, set by SetNormalClass.
	Detection *Detection `json:"detection,omitempty"`
	// Confusion is the confusion matrix the metrics were computed from.
	Confusion ConfusionMatrix `json:"confusion_matrix"`
}

// Evaluate counts yTrue against yPred and computes their Metrics. probs may
// be nil; otherwise it holds len(yTrue)×classes class scores, row-major,
// and the PR-AUC fields are computed from it.
func Evaluate(yTrue, yPred []int32, probs []float32, classes int) (Metrics, error) {
	cm, err := ConfusionFrom(yTrue, yPred, classes)
	if err != nil {
		return Metrics{}, err
	}
	if probs == nil {
		yTrue = nil
	}
	return Compute(cm, yTrue, probs)
}

// Compute returns the Metrics of a confusion matrix. yTrue and probs are
// either both nil, or yTrue holds the true class of each of the
// cm.Total() rows and probs their len(yTrue)×cm.Classes() scores,
// row-major; each column is the score of one class, higher meaning more
// likely (probabilities, or any finite-or-infinite non-NaN score). yTrue
// must agree with the matrix's row sums.
func Compute(cm ConfusionMatrix, yTrue []int32, probs []float32) (Metrics, error) {
	k := cm.k
	if k < 1 {
		return Metrics{}, errors.New("train: metrics: confusion matrix has no classes")
	}
	var n int64
	for i, v := range cm.counts {
		if v < 0 || n > math.MaxInt64-v {
			return Metrics{}, fmt.Errorf("train: metrics: confusion matrix count [%d][%d] = %d is negative or overflows the total", i/k, i%k, v)
		}
		n += v
	}
	if n == 0 {
		return Metrics{}, errors.New("train: metrics: confusion matrix is empty (no rows counted)")
	}
	m := Metrics{
		Classes:   k,
		Total:     n,
		PerClass:  make([]ClassMetrics, k),
		Confusion: cm.Clone(),
	}
	var correct int64
	for c := range k {
		tp := cm.counts[c*k+c]
		correct += tp
		sup, pred := cm.Support(c), cm.Predicted(c)
		cls := ClassMetrics{
			Class:          c,
			Support:        sup,
			Predicted:      pred,
			TruePositives:  tp,
			FalsePositives: pred - tp,
			FalseNegatives: sup - tp,
			TrueNegatives:  n - sup - pred + tp,
		}
		cls.Precision = ratio(tp, pred)
		cls.Recall = ratio(tp, sup)
		if s := cls.Precision + cls.Recall; s > 0 {
			cls.F1 = 2 * cls.Precision * cls.Recall / s
		}
		cls.Specificity = ratio(cls.TrueNegatives, cls.TrueNegatives+cls.FalsePositives)
		cls.FalsePositiveRate = ratio(cls.FalsePositives, cls.TrueNegatives+cls.FalsePositives)
		m.PerClass[c] = cls
	}
	m.Accuracy = ratio(correct, n)

	var recallSum float64
	var present int
	for _, cls := range m.PerClass {
		if cls.Support > 0 {
			recallSum += cls.Recall
			present++
		}
		if cls.Support > 0 || cls.Predicted > 0 {
			m.AveragedClasses = append(m.AveragedClasses, cls.Class)
			m.Macro.Precision += cls.Precision
			m.Macro.Recall += cls.Recall
			m.Macro.F1 += cls.F1
			m.Macro.Specificity += cls.Specificity
			w := float64(cls.Support)
			m.Weighted.Precision += w * cls.Precision
			m.Weighted.Recall += w * cls.Recall
			m.Weighted.F1 += w * cls.F1
			m.Weighted.Specificity += w * cls.Specificity
		}
	}
	// n > 0 guarantees at least one present class and one averaged class.
	m.BalancedAccuracy = recallSum / float64(present)
	na := float64(len(m.AveragedClasses))
	m.Macro.Precision /= na
	m.Macro.Recall /= na
	m.Macro.F1 /= na
	m.Macro.Specificity /= na
	fn := float64(n)
	m.Weighted.Precision /= fn
	m.Weighted.Recall /= fn
	m.Weighted.F1 /= fn
	m.Weighted.Specificity /= fn
	m.MCC = mcc(cm)

	if yTrue == nil && probs == nil {
		return m, nil
	}
	if err := m.addPRAUC(yTrue, probs); err != nil {
		return Metrics{}, err
	}
	return m, nil
}

// SetNormalClass fills m.Detection with the normal-versus-attack view of
// the confusion matrix.
func (m *Metrics) SetNormalClass(normalClass int) error {
	d, err := m.Confusion.Detection(normalClass)
	if err != nil {
		return err
	}
	m.Detection = &d
	return nil
}

// addPRAUC computes the per-class and macro PR-AUC.
func (m *Metrics) addPRAUC(yTrue []int32, probs []float32) error {
	k := m.Classes
	if yTrue == nil || probs == nil {
		return errors.New("train: metrics: yTrue and probs must be given together")
	}
	if int64(len(yTrue)) != m.Total {
		return fmt.Errorf("train: metrics: yTrue has %d rows but the confusion matrix counts %d", len(yTrue), m.Total)
	}
	if len(probs) != len(yTrue)*k {
		return fmt.Errorf("train: metrics: probs has %d values, want %d rows × %d classes = %d", len(probs), len(yTrue), k, len(yTrue)*k)
	}
	seen := make([]int64, k)
	for i, t := range yTrue {
		if t < 0 || int(t) >= k {
			return fmt.Errorf("train: metrics: yTrue row %d: class %d out of range [0, %d)", i, t, k)
		}
		seen[t]++
	}
	for c, s := range seen {
		if s != m.PerClass[c].Support {
			return fmt.Errorf("train: metrics: yTrue has %d rows of class %d but the confusion matrix has %d", s, c, m.PerClass[c].Support)
		}
	}
	for i, p := range probs {
		if p != p {
			return fmt.Errorf("train: metrics: probs row %d, class %d is NaN", i/k, i%k)
		}
	}
	buf := make([]scored, len(yTrue))
	var sum float64
	var present int
	for c := range k {
		for i, t := range yTrue {
			buf[i] = scored{score: probs[i*k+c], positive: int(t) == c}
		}
		ap := averagePrecisionInPlace(buf)
		m.PerClass[c].PRAUC = ap
		if m.PerClass[c].Support > 0 {
			sum += ap
			present++
		}
	}
	m.MacroPRAUC = sum / float64(present)
	m.HasScores = true
	return nil
}

// scored is one row of a one-versus-rest ranking.
type scored struct {
	score    float32
	positive bool
}

// AveragePrecision returns scikit-learn's average_precision_score of a
// binary ranking: the step-function area under the precision-recall curve,
// Σ (R_i − R_{i−1}) P_i over the distinct score thresholds in decreasing
// order, where a threshold admits every row whose score is at least it. Rows
// with tied scores therefore enter together. It returns 0 when no row is
// positive (scikit-learn warns and returns 0 too). Scores must not be NaN.
func AveragePrecision(scores []float32, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("train: average precision: %d scores but %d labels", len(scores), len(positive))
	}
	buf := make([]scored, len(scores))
	for i, s := range scores {
		if s != s {
			return 0, fmt.Errorf("train: average precision: score of row %d is NaN", i)
		}
		buf[i] = scored{score: s, positive: positive[i]}
	}
	return averagePrecisionInPlace(buf), nil
}

// averagePrecisionInPlace sorts rows by decreasing score and integrates the
// precision-recall step function as scikit-learn's
// _binary_uninterpolated_average_precision does.
func averagePrecisionInPlace(rows []scored) float64 {
	var pos int64
	for _, r := range rows {
		if r.positive {
			pos++
		}
	}
	if pos == 0 {
		return 0
	}
	slices.SortFunc(rows, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var tp, fp int64
	var ap, prevRecall float64
	for i, r := range rows {
		if r.positive {
			tp++
		} else {
			fp++
		}
		if i+1 < len(rows) && rows[i+1].score == r.score {
			continue // not the end of a group of tied scores
		}
		recall := float64(tp) / float64(pos)
		ap += (recall - prevRecall) * (float64(tp) / float64(tp+fp))
		prevRecall = recall
	}
	return ap
}

// mcc is scikit-learn's matthews_corrcoef computed from the confusion
// matrix: (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)), 0 when the
// denominator is 0. The covariances are exact in int64 up to 3·10⁹ rows;
// beyond that they are computed in float64. The total must not overflow
// int64 (Compute checks).
func mcc(cm ConfusionMatrix) float64 {
	k := cm.k
	var correct, s int64
	t := make([]int64, k)
	p := make([]int64, k)
	for c := range k {
		t[c], p[c] = cm.Support(c), cm.Predicted(c)
		correct += cm.counts[c*k+c]
		s += t[c]
	}
	var covYtYp, covYpYp, covYtYt float64
	if s <= 3_000_000_000 {
		var pt, pp, tt int64
		for c := range k {
			pt += p[c] * t[c]
			pp += p[c] * p[c]
			tt += t[c] * t[c]
		}
		covYtYp = float64(correct*s - pt)
		covYpYp = float64(s*s - pp)
		covYtYt = float64(s*s - tt)
	} else {
		fs := float64(s)
		var pt, pp, tt float64
		for c := range k {
			fp, ft := float64(p[c]), float64(t[c])
			pt += fp * ft
			pp += fp * fp
			tt += ft * ft
		}
		covYtYp = float64(correct)*fs - pt
		covYpYp = fs*fs - pp
		covYtYt = fs*fs - tt
	}
	if covYpYp <= 0 || covYtYt <= 0 {
		return 0
	}
	return max(-1, min(1, covYtYp/math.Sqrt(covYtYt*covYpYp)))
}

// ratio returns a/b, or 0 when b is 0 (scikit-learn's zero_division
// default).
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// AttackScores writes the intrusion score 1 − P(normal) of each row of
// probs (rows×classes, row-major) into dst, growing it if needed, and
// returns it. The subtraction is done in float32. It does not allocate when
// dst has the capacity.
func AttackScores(dst []float32, probs []float32, classes, normalClass int) ([]float32, error) {
	if classes < 1 || normalClass < 0 || normalClass >= classes {
		return dst, fmt.Errorf("train: attack scores: normal class %d out of range [0, %d)", normalClass, classes)
	}
	if len(probs)%classes != 0 {
		return dst, fmt.Errorf("train: attack scores: %d probabilities is not a multiple of %d classes", len(probs), classes)
	}
	rows := len(probs) / classes
	dst = slices.Grow(dst[:0], rows)[:rows]
	for i := range rows {
		dst[i] = 1 - probs[i*classes+normalClass]
	}
	return dst, nil
}

// OperatingPoint is the outcome of alerting on every row whose score is
// strictly greater than Threshold.
type OperatingPoint struct {
	// Threshold is the alert threshold: alert iff score > Threshold.
	Threshold float64 `json:"threshold"`
	// FalseAlarmRate is the fraction of normal rows alerted.
	FalseAlarmRate float64 `json:"false_alarm_rate"`
	// DetectionRate is the fraction of attack rows alerted (0 when there
	// are no attack rows).
	DetectionRate float64 `json:"detection_rate"`
	// Normals and Attacks count the rows of each side.
	Normals int64 `json:"normals"`
	Attacks int64 `json:"attacks"` // attack rows
	// FalseAlarms and Detected count the alerted rows of each side.
	FalseAlarms int64 `json:"false_alarms"` // alerted normal rows
	Detected    int64 `json:"detected"`     // alerted attack rows
}

// checkScores validates the inputs shared by ThresholdForFAR and
// DetectionAt.
func checkScores(scores []float32, isNormal []bool) error {
	if len(scores) != len(isNormal) {
		return fmt.Errorf("train: operating point: %d scores but %d isNormal flags", len(scores), len(isNormal))
	}
	for i, s := range scores {
		if s != s {
			return fmt.Errorf("train: operating point: score of row %d is NaN", i)
		}
	}
	return nil
}

// DetectionAt returns the operating point of alerting iff score >
// threshold, where scores are intrusion scores (such as 1 − P(normal)) and
// isNormal marks the normal rows. It fails when there is no normal row,
// since the false-alarm rate is then undefined.
func DetectionAt(scores []float32, isNormal []bool, threshold float64) (OperatingPoint, error) {
	if err := checkScores(scores, isNormal); err != nil {
		return OperatingPoint{}, err
	}
	if threshold != threshold {
		return OperatingPoint{}, errors.New("train: operating point: threshold is NaN")
	}
	op := OperatingPoint{Threshold: threshold}
	for i, s := range scores {
		alert := float64(s) > threshold
		if isNormal[i] {
			op.Normals++
			if alert {
				op.FalseAlarms++
			}
		} else {
			op.Attacks++
			if alert {
				op.Detected++
			}
		}
	}
	if op.Normals == 0 {
		return OperatingPoint{}, errors.New("train: operating point: no normal rows, false-alarm rate undefined")
	}
	op.FalseAlarmRate = ratio(op.FalseAlarms, op.Normals)
	op.DetectionRate = ratio(op.Detected, op.Attacks)
	return op, nil
}

// ThresholdForFAR returns the smallest threshold such that the fraction of
// normal rows with score > threshold is at most targetFAR (rows alert iff
// score > threshold), with the false-alarm and detection rates it achieves.
//
// The false-alarm rate only changes at the normal rows' scores, so the
// threshold is always one of them. Tie rule: rows whose score equals the
// threshold do not alert, whether normal or attack; a group of normal rows
// with tied scores is therefore either all below the threshold or all
// above it, and when alerting the whole group would exceed targetFAR the
// threshold stays at their score, so the achieved rate may be below the
// target. targetFAR must be in [0, 1) (at 1 every threshold qualifies and
// there is no smallest); there must be at least one normal row; with no
// attack row the detection rate is 0.
func ThresholdForFAR(scores []float32, isNormal []bool, targetFAR float64) (threshold, achievedFAR, detectionRate float64, err error) {
	if err := checkScores(scores, isNormal); err != nil {
		return 0, 0, 0, err
	}
	if !(targetFAR >= 0 && targetFAR < 1) {
		return 0, 0, 0, fmt.Errorf("train: threshold for FAR: target %v out of range [0, 1)", targetFAR)
	}
	normals := make([]float32, 0, len(scores))
	for i, s := range scores {
		if isNormal[i] {
			normals = append(normals, s)
		}
	}
	if len(normals) == 0 {
		return 0, 0, 0, errors.New("train: threshold for FAR: no normal rows, false-alarm rate undefined")
	}
	slices.SortFunc(normals, func(a, b float32) int { return cmp.Compare(b, a) })
	n := float64(len(normals))
	// Walk the distinct normal scores downwards; at normals[i], the first
	// of a group of tied scores, exactly i normal rows score above it.
	best := normals[0]
	for i := 0; i < len(normals); {
		if float64(i)/n > targetFAR {
			break
		}
		best = normals[i]
		j := i + 1
		for j < len(normals) && normals[j] == normals[i] {
			j++
		}
		i = j
	}
	op, err := DetectionAt(scores, isNormal, float64(best))
	if err != nil {
		return 0, 0, 0, err
	}
	return op.Threshold, op.FalseAlarmRate, op.DetectionRate, nil
}
