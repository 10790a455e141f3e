package model

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropy is the softmax cross-entropy loss of logits against
// integer class labels, PyTorch's CrossEntropyLoss. With Weights (one per
// class) it is the weighted mean sum(w_y * nll) / sum(w_y), as
// CrossEntropyLoss(weight=...) defines it; without, the plain mean.
type SoftmaxCrossEntropy[T Float] struct {
	// Weights are the per-class weights; nil means all 1.
	Weights []T
}

// CheckLabels reports the first label outside [0, classes), naming its
// row, so that bad labels are caught where the data is read rather than
// in the loss.
func CheckLabels(y []int32, classes int) error {
	for i, c := range y {
		if c < 0 || int(c) >= classes {
			return fmt.Errorf("model: label %d of row %d is outside [0, %d)", c, i, classes)
		}
	}
	return nil
}

// Loss returns the mean loss of batch rows of logits (batch x classes,
// classes = len(logits)/batch) and writes its gradient with respect to
// the logits into dlogits (which may be nil). The sums run in float64.
// When the weights of all the batch's labels are zero the loss and the
// gradient are 0 (PyTorch returns NaN). Labels must be valid (see
// CheckLabels); an invalid one panics with a message naming it.
func (s SoftmaxCrossEntropy[T]) Loss(logits []T, y []int32, batch int, dlogits []T) float64 {
	if batch <= 0 {
		return 0
	}
	k := len(logits) / batch
	checkLen("labels", len(y), batch)
	if s.Weights != nil && len(s.Weights) != k {
		panic(fmt.Sprintf("model: %d class weights for %d classes", len(s.Weights), k))
	}
	var total, wsum float64
	for n := 0; n < batch; n++ {
		row := logits[n*k : (n+1)*k]
		c := int(y[n])
		if c < 0 || c >= k {
			panic(fmt.Sprintf("model: label %d of row %d is outside [0, %d)", c, n, k))
		}
		w := s.weight(c)
		m, z := maxSumExp(row)
		lse := m + math.Log(z)
		total += w * (lse - float64(row[c]))
		wsum += w
	}
	if wsum == 0 {
		if dlogits != nil {
			clear(dlogits[:batch*k])
		}
		return 0
	}
	if dlogits != nil {
		for n := 0; n < batch; n++ {
			row := logits[n*k : (n+1)*k]
			d := dlogits[n*k : (n+1)*k]
			c := int(y[n])
			m, z := maxSumExp(row)
			scale := s.weight(c) / wsum
			for j, v := range row {
				p := math.Exp(float64(v)-m) / z
				if j == c {
					p--
				}
				d[j] = T(scale * p)
			}
		}
	}
	return total / wsum
}

// weight returns the weight of class c (1 without Weights).
func (s SoftmaxCrossEntropy[T]) weight(c int) float64 {
	if s.Weights == nil {
		return 1
	}
	return float64(s.Weights[c])
}

// maxSumExp returns the largest logit m of a row and sum(exp(v - m)), in
// float64: log-sum-exp is m + log(z), and softmax is exp(v - m) / z.
func maxSumExp[T Float](row []T) (m, z float64) {
	m = float64(row[0])
	for _, v := range row[1:] {
		m = max(m, float64(v))
	}
	for _, v := range row {
		z += math.Exp(float64(v) - m)
	}
	return m, z
}

// Softmax writes the row-wise softmax of batch rows of k logits into
// probs (which may be logits).
func Softmax[T Float](logits []T, batch, k int, probs []T) {
	for n := 0; n < batch; n++ {
		row := logits[n*k : (n+1)*k]
		out := probs[n*k : (n+1)*k]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		var z float64
		for j, v := range row {
			e := math.Exp(float64(v) - float64(m))
			out[j] = T(e)
			z += e
		}
		inv := 1 / z
		for j := range out {
			out[j] = T(float64(out[j]) * inv)
		}
	}
}
