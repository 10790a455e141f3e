package model

import (
	"errors"
	"fmt"
)

// OptimizerState is an optimiser's per-parameter state laid out in the
// order of a parameter list, so that a training checkpoint can save it and
// a resumed run restore it into a fresh optimiser for the same network.
type OptimizerState struct {
	// Kind is "adam" or "sgd".
	Kind string
	// LR is the learning rate at the time of saving.
	LR float64
	// Steps holds Adam's step count per parameter (0 where it has not
	// stepped yet).
	Steps []int
	// Slots holds, per parameter, the optimiser's buffers: Adam's first
	// and second moments, SGD's momentum buffer; nil where none exists yet.
	Slots [][][]float64
}

func toF64[T Float](s []T) []float64 {
	if s == nil {
		return nil
	}
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func fromF64[T Float](s []float64, n int) ([]T, error) {
	if len(s) != n {
		return nil, fmt.Errorf("buffer of %d values for a parameter of %d", len(s), n)
	}
	out := make([]T, n)
	for i, v := range s {
		out[i] = T(v)
	}
	return out, nil
}

// SaveOptimizer returns o's state for params (in that order).
func SaveOptimizer[T Float](o Optimizer[T], params []*Param[T]) (OptimizerState, error) {
	st := OptimizerState{LR: o.LR(), Slots: make([][][]float64, len(params))}
	switch o := o.(type) {
	case *adam[T]:
		st.Kind = "adam"
		st.Steps = make([]int, len(params))
		for i, p := range params {
			st.Steps[i] = o.t[p]
			if m, ok := o.m[p]; ok {
				st.Slots[i] = [][]float64{toF64(m), toF64(o.v[p])}
			}
		}
	case *sgd[T]:
		st.Kind = "sgd"
		for i, p := range params {
			if b, ok := o.buf[p]; ok {
				st.Slots[i] = [][]float64{toF64(b)}
			}
		}
	default:
		return st, errors.New("model: this optimizer cannot save its state")
	}
	return st, nil
}

// RestoreOptimizer loads st, saved by SaveOptimizer for the same
// parameter layout, into o, which must be of the same kind.
func RestoreOptimizer[T Float](o Optimizer[T], params []*Param[T], st OptimizerState) error {
	if len(st.Slots) != len(params) {
		return fmt.Errorf("model: optimizer state for %d parameters, the network has %d", len(st.Slots), len(params))
	}
	want := func(kind string, slots int) error {
		if st.Kind != kind {
			return fmt.Errorf("model: optimizer state of %q cannot restore %q", st.Kind, kind)
		}
		for i, s := range st.Slots {
			if s != nil && len(s) != slots {
				return fmt.Errorf("model: optimizer state of parameter %d has %d buffers, want %d", i, len(s), slots)
			}
		}
		return nil
	}
	switch o := o.(type) {
	case *adam[T]:
		if err := want("adam", 2); err != nil {
			return err
		}
		if len(st.Steps) != len(params) {
			return fmt.Errorf("model: adam state has %d step counts for %d parameters", len(st.Steps), len(params))
		}
		m := map[*Param[T]][]T{}
		v := map[*Param[T]][]T{}
		t := map[*Param[T]]int{}
		for i, p := range params {
			if st.Slots[i] == nil {
				continue
			}
			var err error
			if m[p], err = fromF64[T](st.Slots[i][0], len(p.v)); err != nil {
				return fmt.Errorf("model: adam state of %s: %w", p.Name, err)
			}
			if v[p], err = fromF64[T](st.Slots[i][1], len(p.v)); err != nil {
				return fmt.Errorf("model: adam state of %s: %w", p.Name, err)
			}
			t[p] = st.Steps[i]
		}
		o.m, o.v, o.t = m, v, t
	case *sgd[T]:
		if err := want("sgd", 1); err != nil {
			return err
		}
		buf := map[*Param[T]][]T{}
		for i, p := range params {
			if st.Slots[i] == nil {
				continue
			}
			var err error
			if buf[p], err = fromF64[T](st.Slots[i][0], len(p.v)); err != nil {
				return fmt.Errorf("model: sgd state of %s: %w", p.Name, err)
			}
		}
		o.buf = buf
	default:
		return errors.New("model: this optimizer cannot restore its state")
	}
	o.SetLR(st.LR)
	return nil
}
