// Package train holds what cnids-train needs around its training loop:
// classification metrics, stratified splits, text and Markdown reports, and
// plots.
//
// # Metrics
//
// Metrics follow scikit-learn's definitions, checked against scikit-learn
// itself by a golden test (testdata/sklearn_metrics.py):
//
//   - precision, recall and F1 per class as precision_recall_fscore_support;
//     macro and weighted averages over scikit-learn's default label set, the
//     classes present in the true or the predicted labels (weighted by
//     support); specificity TN/(TN+FP) and false-positive rate FP/(FP+TN)
//     per class, averaged the same way;
//   - balanced accuracy as balanced_accuracy_score: the mean recall over the
//     classes present in the true labels;
//   - MCC as matthews_corrcoef (Gorodkin's multiclass R_K);
//   - PR-AUC per class as average_precision_score one-versus-rest: the step
//     function Σ (R_i − R_{i−1}) P_i over distinct score thresholds, so rows
//     with tied scores enter together (no trapezoids, no interpolation);
//     macro PR-AUC is the mean over the classes present in the true labels,
//     which is what scikit-learn's macro average gives whenever it is
//     defined (it fails when a class is absent).
//
// Zero division: wherever a ratio has a zero denominator (precision of a
// class never predicted, recall of a class with no rows, F1 when precision
// and recall are both 0, specificity and FPR when every row is of the class,
// MCC when either marginal is constant, PR-AUC of a class with no rows) the
// value is 0. That is the value scikit-learn returns under its default
// zero_division="warn", without the warning. So no metric is ever NaN, and
// every metric struct marshals to JSON with snake_case names.
//
// For intrusion detection, ConfusionMatrix.BinaryView and Detection collapse
// a multiclass result into normal versus attack (detection rate and
// false-alarm rate), and ThresholdForFAR and DetectionAt choose and evaluate
// an alert threshold on the score 1 − P(normal) (see AttackScores).
//
// # Splits
//
// StratifiedSplit, StratifiedKFold and RepeatedStratifiedKFold keep class
// proportions; each takes an explicit *rand.Rand and is deterministic for a
// given source state.
//
// # Reports and plots
//
// Report and CVSummary render aligned plain-text and Markdown tables. The
// Plot functions draw PNG figures with gonum.org/v1/plot.
//
// # Hand-written code
//
// Gonum has no classification metrics (its stat package offers ROC but not
// average precision, confusion matrices or MCC), so these are written here,
// each a few lines of counting over the confusion matrix; sample statistics
// use gonum's stat.MeanStdDev. Stratified splitting is a few lines over
// math/rand/v2's Shuffle. Aligned tables are written by hand because
// text/tabwriter cannot right-align numbers within Markdown pipe tables.
package train
