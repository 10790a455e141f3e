package balance

import (
	"errors"
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// matrix is a validated, read-only view of a Resample input.
type matrix struct {
	x    []float32 // rows*cols values, row-major
	rows int
	cols int
}

func (m matrix) row(i int) []float32 { return m.x[i*m.cols : (i+1)*m.cols : (i+1)*m.cols] }

// input validates x and y: x must be a 2-D float32 Dense of len(y) rows,
// stored row-major without a view, every value finite; y holds class
// indices >= 0. It returns the matrix and the row count of each class.
func input(x *tensor.Dense, y []int32) (matrix, []int, error) {
	if x == nil {
		return matrix{}, nil, errors.New("balance: x is nil")
	}
	if x.Dtype() != tensor.Float32 {
		return matrix{}, nil, fmt.Errorf("balance: x has element type %v, want float32", x.Dtype())
	}
	sh := x.Shape()
	if len(sh) != 2 {
		return matrix{}, nil, fmt.Errorf("balance: x has shape %v, want (rows, columns)", sh)
	}
	if x.IsMaterializable() || x.RequiresIterator() {
		return matrix{}, nil, errors.New("balance: x is a view or transposed; materialise it first")
	}
	rows, cols := sh[0], sh[1]
	data, ok := x.Data().([]float32)
	if !ok || len(data) != rows*cols {
		return matrix{}, nil, fmt.Errorf("balance: x holds %d values for shape %v", len(data), sh)
	}
	if len(y) != rows {
		return matrix{}, nil, fmt.Errorf("balance: x has %d rows but y has %d labels", rows, len(y))
	}
	if rows == 0 {
		return matrix{}, nil, errors.New("balance: no rows")
	}
	if cols == 0 {
		return matrix{}, nil, errors.New("balance: x has no columns")
	}
	m := matrix{x: data, rows: rows, cols: cols}
	if err := checkFinite(m); err != nil {
		return matrix{}, nil, err
	}
	nc := 0
	for i, c := range y {
		if c < 0 {
			return matrix{}, nil, fmt.Errorf("balance: label of row %d is %d; class indices must be >= 0", i, c)
		}
		if c >= maxClass {
			return matrix{}, nil, fmt.Errorf("balance: label of row %d is %d; class indices must be < %d", i, c, maxClass)
		}
		nc = max(nc, int(c)+1)
	}
	counts := make([]int, nc)
	for _, c := range y {
		counts[c]++
	}
	return m, counts, nil
}

func checkFinite(m matrix) error {
	for i, v := range m.x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("balance: x row %d column %d is %v; resampling needs finite values", i/m.cols, i%m.cols, v)
		}
	}
	return nil
}

// output builds the result of a resample: the rows of m listed in keep
// (all rows, in order, when keep is nil) followed by the extra rows (a
// row-major block of len(extraY) rows).
func output(m matrix, y []int32, keep []int, extra []float32, extraY []int32) (*tensor.Dense, []int32) {
	n := len(keep)
	if keep == nil {
		n = m.rows
	}
	total := n + len(extraY)
	xs := make([]float32, 0, total*m.cols)
	ys := make([]int32, 0, total)
	if keep == nil {
		xs = append(xs, m.x...)
		ys = append(ys, y...)
	} else {
		for _, i := range keep {
			xs = append(xs, m.row(i)...)
			ys = append(ys, y[i])
		}
	}
	xs = append(xs, extra...)
	ys = append(ys, extraY...)
	return tensor.New(tensor.WithShape(total, m.cols), tensor.WithBacking(xs)), ys
}

// classRows returns the row indices of each class, ascending.
func classRows(y []int32, nc int) [][]int {
	counts := make([]int, nc)
	for _, c := range y {
		counts[c]++
	}
	out := make([][]int, nc)
	for c := range out {
		out[c] = make([]int, 0, counts[c])
	}
	for i, c := range y {
		out[c] = append(out[c], i)
	}
	return out
}
