package features

import (
	"fmt"
	"math"
)

// Frame is a parsed dataset held column by column, compactly: numbers as
// float64, symbols as int32 codes into a per-column vocabulary. Its memory
// grows with the number of rows and columns, not with the text it came
// from. Dataset readers fill it; the Encoder fits on it and transforms it.
type Frame struct {
	// Schema names the feature columns.
	Schema *Schema
	// Source names where the rows came from (file names), for messages.
	Source string
	// Num holds, for each non-categorical column index, one value per row
	// (NaN where the file had no value). It is nil at categorical and
	// symbolic-identifier indices.
	Num [][]float64
	// Codes holds, for each categorical or symbolic-identifier column
	// index, one vocabulary code per row. It is nil at other indices.
	Codes [][]int32
	// Vocab holds, for each categorical or symbolic-identifier column
	// index, its distinct values in order of first appearance.
	Vocab [][]string

	// Classes are the class names of the label mode the frame was read
	// with, in class-index order (for example normal, DoS, Probe, R2L, U2R).
	Classes []string
	// Y holds the class index of each row.
	Y []int32
	// Attack holds each row's raw label code (for example "neptune"), an
	// index into AttackNames.
	Attack []int32
	// AttackNames is the vocabulary of Attack in order of first appearance.
	AttackNames []string
	// Difficulty holds NSL-KDD's difficulty level per row (0..21), or nil
	// when the file has none.
	Difficulty []int8
	// Line holds each row's line number in its source file, for messages.
	Line []int32

	vocabIndex []map[string]int32
	attackIdx  map[string]int32
}

// NewFrame returns an empty frame for schema s with the given class names.
func NewFrame(s *Schema, classes []string) *Frame {
	f := &Frame{
		Schema:     s,
		Num:        make([][]float64, len(s.Columns)),
		Codes:      make([][]int32, len(s.Columns)),
		Vocab:      make([][]string, len(s.Columns)),
		Classes:    classes,
		vocabIndex: make([]map[string]int32, len(s.Columns)),
		attackIdx:  map[string]int32{},
	}
	for i, c := range s.Columns {
		if IsSymbolic(c) {
			f.Codes[i] = []int32{}
			f.vocabIndex[i] = map[string]int32{}
		} else {
			f.Num[i] = []float64{}
		}
	}
	return f
}

// IsSymbolic reports whether a column holds strings rather than numbers.
func IsSymbolic(c Column) bool { return c.Kind == Categorical || c.Symbolic }

// Len returns the number of rows.
func (f *Frame) Len() int { return len(f.Y) }

// Code returns the code of value v in column col, adding it to the
// vocabulary if it is new.
func (f *Frame) Code(col int, v string) int32 {
	if f.vocabIndex[col] == nil {
		f.reindex()
	}
	if c, ok := f.vocabIndex[col][v]; ok {
		return c
	}
	c := int32(len(f.Vocab[col]))
	f.Vocab[col] = append(f.Vocab[col], v)
	f.vocabIndex[col][v] = c
	return c
}

func (f *Frame) reindex() {
	f.vocabIndex = make([]map[string]int32, len(f.Schema.Columns))
	for i, c := range f.Schema.Columns {
		if IsSymbolic(c) {
			m := make(map[string]int32, len(f.Vocab[i]))
			for j, v := range f.Vocab[i] {
				m[v] = int32(j)
			}
			f.vocabIndex[i] = m
		}
	}
	f.attackIdx = make(map[string]int32, len(f.AttackNames))
	for j, v := range f.AttackNames {
		f.attackIdx[v] = int32(j)
	}
}

// Append adds one row. r must have one entry per schema column; class is
// the row's class index, attack its raw label, difficulty its NSL-KDD
// difficulty (ignored when negative and the frame has none yet), line its
// source line number.
func (f *Frame) Append(r Row, class int, attack string, difficulty int, line int) {
	for i, c := range f.Schema.Columns {
		if IsSymbolic(c) {
			f.Codes[i] = append(f.Codes[i], f.Code(i, r.Symbols[i]))
		} else {
			f.Num[i] = append(f.Num[i], r.Values[i])
		}
	}
	f.Y = append(f.Y, int32(class))
	if f.attackIdx == nil {
		f.reindex()
	}
	a, ok := f.attackIdx[attack]
	if !ok {
		a = int32(len(f.AttackNames))
		f.AttackNames = append(f.AttackNames, attack)
		f.attackIdx[attack] = a
	}
	f.Attack = append(f.Attack, a)
	if difficulty >= 0 {
		if f.Difficulty == nil && len(f.Y) == 1 {
			f.Difficulty = []int8{}
		}
		if f.Difficulty != nil {
			f.Difficulty = append(f.Difficulty, int8(difficulty))
		}
	}
	f.Line = append(f.Line, int32(line))
}

// Row fills r with row i.
func (f *Frame) Row(i int, r *Row) {
	for j, c := range f.Schema.Columns {
		if IsSymbolic(c) {
			r.Symbols[j] = f.Vocab[j][f.Codes[j][i]]
			r.Values[j] = math.NaN()
		} else {
			r.Values[j] = f.Num[j][i]
			r.Symbols[j] = ""
		}
	}
}

// Subset returns a new frame holding the given rows, in the given order.
// Vocabularies are shared with f (they are append-only).
func (f *Frame) Subset(rows []int) *Frame {
	g := &Frame{
		Schema:      f.Schema,
		Source:      f.Source,
		Num:         make([][]float64, len(f.Num)),
		Codes:       make([][]int32, len(f.Codes)),
		Vocab:       f.Vocab,
		Classes:     f.Classes,
		Y:           make([]int32, len(rows)),
		Attack:      make([]int32, len(rows)),
		AttackNames: f.AttackNames,
		Line:        make([]int32, len(rows)),
	}
	for j := range f.Schema.Columns {
		if f.Num[j] != nil {
			g.Num[j] = make([]float64, len(rows))
			for k, i := range rows {
				g.Num[j][k] = f.Num[j][i]
			}
		}
		if f.Codes[j] != nil {
			g.Codes[j] = make([]int32, len(rows))
			for k, i := range rows {
				g.Codes[j][k] = f.Codes[j][i]
			}
		}
	}
	for k, i := range rows {
		g.Y[k] = f.Y[i]
		g.Attack[k] = f.Attack[i]
		g.Line[k] = f.Line[i]
	}
	if f.Difficulty != nil {
		g.Difficulty = make([]int8, len(rows))
		for k, i := range rows {
			g.Difficulty[k] = f.Difficulty[i]
		}
	}
	return g
}

// ClassCounts returns the number of rows per class index.
func (f *Frame) ClassCounts() []int {
	n := make([]int, len(f.Classes))
	for _, y := range f.Y {
		n[y]++
	}
	return n
}

// Check verifies the frame's internal consistency: every column as long as
// Y, every code within its vocabulary, every class index within Classes.
func (f *Frame) Check() error {
	n := len(f.Y)
	for j, c := range f.Schema.Columns {
		switch {
		case IsSymbolic(c):
			if len(f.Codes[j]) != n {
				return fmt.Errorf("features: frame column %s has %d codes for %d rows", c.Name, len(f.Codes[j]), n)
			}
			for _, code := range f.Codes[j] {
				if code < 0 || int(code) >= len(f.Vocab[j]) {
					return fmt.Errorf("features: frame column %s has code %d outside its vocabulary of %d", c.Name, code, len(f.Vocab[j]))
				}
			}
		default:
			if len(f.Num[j]) != n {
				return fmt.Errorf("features: frame column %s has %d values for %d rows", c.Name, len(f.Num[j]), n)
			}
		}
	}
	for i, y := range f.Y {
		if y < 0 || int(y) >= len(f.Classes) {
			return fmt.Errorf("features: frame row %d has class %d outside %d classes", i, y, len(f.Classes))
		}
	}
	return nil
}
