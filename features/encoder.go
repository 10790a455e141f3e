package features

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/stat"
	"gorgonia.org/tensor"
)

// Scalings understood by EncoderConfig.Scale.
const (
	// ScaleMinMax maps each column's training range to [0, 1].
	ScaleMinMax = "minmax"
	// ScaleStandard subtracts the training mean and divides by the
	// training (population) standard deviation.
	ScaleStandard = "standard"
	// ScaleNone leaves values unscaled.
	ScaleNone = "none"
)

// encoderVersion is the version of the encoder's JSON form.
const encoderVersion = 1

// EncoderConfig chooses how an Encoder encodes numeric columns and whether
// it selects columns.
type EncoderConfig struct {
	// Scale is "minmax" (the default when empty), "standard" or "none".
	Scale string `json:"scale"`
	// Log1p applies sign(x)*log1p(|x|) to HeavyTailed columns before
	// scaling.
	Log1p bool `json:"log1p"`
	// Clip clips scaled values to the scaled training range.
	Clip bool `json:"clip"`
	// Select, when not nil, keeps only the columns with the highest
	// mutual information with the class.
	Select *SelectConfig `json:"select,omitempty"`
}

// normalized returns c with defaults filled in, or an error.
func (c EncoderConfig) normalized() (EncoderConfig, error) {
	switch c.Scale {
	case "":
		c.Scale = ScaleMinMax
	case ScaleMinMax, ScaleStandard, ScaleNone:
	default:
		return c, fmt.Errorf("features: encoder config: unknown scale %q (want minmax, standard or none)", c.Scale)
	}
	if c.Select != nil {
		s := *c.Select
		if !(s.Percentile > 0 && s.Percentile <= 100) {
			return c, fmt.Errorf("features: encoder config: select percentile %v is outside (0, 100]", s.Percentile)
		}
		if s.Neighbors < 0 {
			return c, fmt.Errorf("features: encoder config: select neighbors %d is negative", s.Neighbors)
		}
		if s.Neighbors == 0 {
			s.Neighbors = defaultNeighbors
		}
		c.Select = &s
	}
	return c, nil
}

// TransformStats counts what a transform had to repair.
type TransformStats struct {
	// Rows is the number of rows encoded.
	Rows int
	// Imputed counts NaN values replaced by their column's training median.
	Imputed int
	// Clipped counts ±Inf values replaced by their column's training
	// max/min and scaled values clipped to the training range (or to
	// float32's range).
	Clipped int
	// Unseen counts, per categorical column name, the rows whose value was
	// absent from training (encoded as an all-zero block). Columns without
	// unseen values have no entry.
	Unseen map[string]int
}

// numCol holds the fitted parameters of one numeric output column.
type numCol struct {
	Name string `json:"name"`
	// Col is the column's index in the schema.
	Col int `json:"col"`
	// Log says that sign(x)*log1p(|x|) is applied before scaling.
	Log bool `json:"log1p"`
	// Median, Min and Max are the median, minimum and maximum of the
	// finite training values, before Log.
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// The scaled value is (x-Shift)/Div, or 0 when Div is 0 (a constant
	// column under minmax or standard).
	Shift float64 `json:"shift"`
	Div   float64 `json:"div"`
	// Lo and Hi are the scaled training min and max, the clipping bounds.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// catCol holds the fitted vocabulary of one categorical column.
type catCol struct {
	Name string `json:"name"`
	// Col is the column's index in the schema.
	Col int `json:"col"`
	// Vocab is the sorted set of values seen in training.
	Vocab []string `json:"vocab"`

	index map[string]int32 // value -> position in Vocab
	pos   []int32          // position in Vocab -> output position, or -1
}

// numOut places a selected numeric column in the output.
type numOut struct {
	num int // index into Encoder.num
	pos int // output position
}

// Encoder encodes rows of one schema into model input vectors. It is
// created by Fit or by unmarshalling a saved encoder, and is read-only
// afterwards: all its methods are safe for concurrent use.
type Encoder struct {
	schema   *Schema
	cfg      EncoderConfig
	num      []numCol
	cat      []catCol
	selected []int     // indices into the candidate columns; nil means all
	scores   []float64 // mutual information of every candidate column, or nil

	// Derived by build.
	width     int
	candNames []string
	names     []string
	numOut    []numOut
}

// slog1p is sign(x)*log1p(|x|).
func slog1p(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// scaled applies steps 2 and 3 of the package rule to a finite x.
func (c *numCol) scaled(x float64) float64 {
	if c.Log {
		x = slog1p(x)
	}
	if c.Div == 0 {
		return 0
	}
	return (x - c.Shift) / c.Div
}

// encode applies the whole numeric rule to x.
func (c *numCol) encode(x float64, clip bool) (v float32, imputed, clipped bool) {
	switch {
	case math.IsNaN(x):
		x, imputed = c.Median, true
	case math.IsInf(x, 1):
		x, clipped = c.Max, true
	case math.IsInf(x, -1):
		x, clipped = c.Min, true
	}
	s := c.scaled(x)
	if clip {
		if s < c.Lo {
			s, clipped = c.Lo, true
		} else if s > c.Hi {
			s, clipped = c.Hi, true
		}
	}
	if s > math.MaxFloat32 {
		s, clipped = math.MaxFloat32, true
	} else if s < -math.MaxFloat32 {
		s, clipped = -math.MaxFloat32, true
	}
	return float32(s), imputed, clipped
}

// checkSchema verifies what the encoder relies on in a schema.
func checkSchema(s *Schema) error {
	if s == nil {
		return errors.New("features: encoder: no schema")
	}
	if len(s.Columns) == 0 {
		return fmt.Errorf("features: encoder: schema %q has no columns", s.Name)
	}
	seen := make(map[string]bool, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name == "" {
			return fmt.Errorf("features: encoder: schema %q column %d has no name", s.Name, i)
		}
		if !utf8.ValidString(c.Name) {
			return fmt.Errorf("features: encoder: schema %q column %d name %q is not valid UTF-8", s.Name, i, c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("features: encoder: schema %q has column %q twice", s.Name, c.Name)
		}
		seen[c.Name] = true
		if c.Kind > Identifier {
			return fmt.Errorf("features: encoder: schema %q column %q has unknown kind %d", s.Name, c.Name, uint8(c.Kind))
		}
		if c.Symbolic && c.Kind != Identifier {
			return fmt.Errorf("features: encoder: schema %q column %q is symbolic but of kind %s (only identifiers may be)", s.Name, c.Name, c.Kind)
		}
	}
	return nil
}

// checkFrame verifies that f can be read as a frame of schema s.
func checkFrame(f *Frame, s *Schema) error {
	if f == nil {
		return errors.New("features: encoder: nil frame")
	}
	if f.Schema == nil || !f.Schema.Equal(s) {
		name := "<nil>"
		if f.Schema != nil {
			name = f.Schema.Name
		}
		return fmt.Errorf("features: encoder: frame %s has schema %q, the encoder was fitted on %q (or the columns differ)", f.Source, name, s.Name)
	}
	n := len(s.Columns)
	if len(f.Num) != n || len(f.Codes) != n || len(f.Vocab) != n {
		return fmt.Errorf("features: encoder: frame %s is malformed: %d/%d/%d numeric/code/vocabulary columns for %d schema columns", f.Source, len(f.Num), len(f.Codes), len(f.Vocab), n)
	}
	if err := f.Check(); err != nil {
		return fmt.Errorf("features: encoder: frame %s: %w", f.Source, err)
	}
	return nil
}

// Fit learns an encoder from the training rows of f: each categorical
// column's vocabulary, each numeric column's median, range and scaling,
// and, when cfg.Select is set, the selected columns.
//
// rng supplies the noise of the mutual-information estimator; when it is
// nil, Fit draws that noise from a PCG generator seeded with
// cfg.Select.Seed, so that the selection can be repeated from the saved
// configuration. Nothing else in Fit is random, and rng may be nil when
// cfg.Select is nil.
func Fit(f *Frame, cfg EncoderConfig, rng *rand.Rand) (*Encoder, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("features: fit: nil frame")
	}
	if err := checkSchema(f.Schema); err != nil {
		return nil, fmt.Errorf("features: fit on %s: %w", f.Source, err)
	}
	if err := checkFrame(f, f.Schema); err != nil {
		return nil, err
	}
	n := f.Len()
	if n == 0 {
		return nil, fmt.Errorf("features: fit: frame %s has no rows", f.Source)
	}
	e := &Encoder{schema: copySchema(f.Schema), cfg: cfg}
	buf := make([]float64, 0, n)
	for j, col := range e.schema.Columns {
		switch col.Kind {
		case Numeric, Binary:
			c, err := fitNumeric(f, j, cfg, buf)
			if err != nil {
				return nil, err
			}
			e.num = append(e.num, c)
		case Categorical:
			e.cat = append(e.cat, fitCategorical(f, j))
		}
	}
	if len(e.num)+len(e.cat) == 0 {
		return nil, fmt.Errorf("features: fit: schema %q has no feature columns (only identifiers)", e.schema.Name)
	}
	if _, err := e.validateParams(); err != nil {
		return nil, fmt.Errorf("features: fit on %s produced an unusable encoder: %w", f.Source, err)
	}
	e.build()
	if cfg.Select != nil {
		if err := e.fitSelection(f, rng); err != nil {
			return nil, err
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("features: fit on %s produced an unusable encoder: %w", f.Source, err)
		}
		e.build()
	}
	return e, nil
}

func copySchema(s *Schema) *Schema {
	return &Schema{Name: s.Name, Columns: slices.Clone(s.Columns)}
}

// fitNumeric fits schema column j of f; buf is scratch space.
func fitNumeric(f *Frame, j int, cfg EncoderConfig, buf []float64) (numCol, error) {
	col := f.Schema.Columns[j]
	c := numCol{Name: col.Name, Col: j, Log: cfg.Log1p && col.HeavyTailed}
	finite := buf[:0]
	for _, x := range f.Num[j] {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			finite = append(finite, x)
		}
	}
	if len(finite) == 0 {
		return c, fmt.Errorf("features: fit: column %q of %s has no finite training value", col.Name, f.Source)
	}
	slices.Sort(finite)
	m := len(finite)
	c.Min, c.Max = finite[0], finite[m-1]
	if m%2 == 1 {
		c.Median = finite[m/2]
	} else {
		a, b := finite[m/2-1], finite[m/2]
		c.Median = (a + b) / 2
		if math.IsInf(c.Median, 0) {
			c.Median = a/2 + b/2
		}
	}
	lo, hi := c.Min, c.Max
	if c.Log {
		lo, hi = slog1p(lo), slog1p(hi)
	}
	switch cfg.Scale {
	case ScaleMinMax:
		c.Shift = lo
		if c.Min != c.Max {
			c.Div = hi - lo
		}
	case ScaleStandard:
		t := buf[:0]
		for _, x := range f.Num[j] {
			switch {
			case math.IsNaN(x):
				x = c.Median
			case math.IsInf(x, 1):
				x = c.Max
			case math.IsInf(x, -1):
				x = c.Min
			}
			if c.Log {
				x = slog1p(x)
			}
			t = append(t, x)
		}
		mean, std := stat.PopMeanStdDev(t, nil)
		c.Shift = mean
		if c.Min != c.Max {
			c.Div = std
		}
	case ScaleNone:
		c.Shift, c.Div = 0, 1
	}
	c.Lo, c.Hi = c.scaled(c.Min), c.scaled(c.Max)
	return c, nil
}

// fitCategorical collects the sorted values that occur in column j's rows.
func fitCategorical(f *Frame, j int) catCol {
	used := make([]bool, len(f.Vocab[j]))
	for _, code := range f.Codes[j] {
		used[code] = true
	}
	var vocab []string
	for code, v := range f.Vocab[j] {
		if used[code] {
			vocab = append(vocab, v)
		}
	}
	slices.Sort(vocab)
	vocab = slices.Compact(vocab)
	return catCol{Name: f.Schema.Columns[j].Name, Col: j, Vocab: vocab}
}

// fitSelection scores every candidate column on f and keeps the selected.
func (e *Encoder) fitSelection(f *Frame, rng *rand.Rand) error {
	sc := e.cfg.Select
	if rng == nil {
		rng = rand.New(rand.NewPCG(sc.Seed, sc.Seed^0x9e3779b97f4a7c15))
	}
	nNum := len(e.num)
	ncand := len(e.candNames)
	// One-hot columns as (categorical column, vocabulary position).
	type oneHot struct{ cat, code int }
	hot := make([]oneHot, 0, ncand-nNum)
	for ci := range e.cat {
		for k := range e.cat[ci].Vocab {
			hot = append(hot, oneHot{ci, k})
		}
	}
	// Frame code -> encoder vocabulary position, per categorical column.
	codeMap := make([][]int32, len(e.cat))
	for ci := range e.cat {
		codeMap[ci] = e.cat[ci].mapFrameCodes(f.Vocab[e.cat[ci].Col])
	}
	fill := func(j int, dst []float64) {
		if j < nNum {
			c := &e.num[j]
			for i, x := range f.Num[c.Col] {
				v, _, _ := c.encode(x, e.cfg.Clip)
				dst[i] = float64(v)
			}
			return
		}
		h := hot[j-nNum]
		m := codeMap[h.cat]
		for i, code := range f.Codes[e.cat[h.cat].Col] {
			dst[i] = 0
			if m[code] == int32(h.code) {
				dst[i] = 1
			}
		}
	}
	isDiscrete := func(j int) bool {
		return j >= nNum || e.schema.Columns[e.num[j].Col].Kind == Binary
	}
	scores, err := mutualInfo(ncand, f.Len(), fill, isDiscrete, f.Y, sc.Neighbors, rng)
	if err != nil {
		return fmt.Errorf("features: fit on %s: selection: %w", f.Source, err)
	}
	mask, err := SelectPercentile(scores, sc.Percentile)
	if err != nil {
		return fmt.Errorf("features: fit on %s: selection: %w", f.Source, err)
	}
	var sel []int
	for j, keep := range mask {
		if keep {
			sel = append(sel, j)
		}
	}
	if len(sel) == 0 {
		return fmt.Errorf("features: fit on %s: selection at percentile %v keeps no column of %d", f.Source, sc.Percentile, ncand)
	}
	e.scores, e.selected = scores, sel
	return nil
}

// mapFrameCodes maps a frame column's codes to vocabulary positions, -1
// for values absent from the vocabulary.
func (c *catCol) mapFrameCodes(frameVocab []string) []int32 {
	m := make([]int32, len(frameVocab))
	for code, v := range frameVocab {
		k, ok := c.index[v]
		if !ok {
			k = -1
		}
		m[code] = k
	}
	return m
}

// build derives the lookup tables from the fitted parameters, which
// Validate has accepted.
func (e *Encoder) build() {
	ncand := len(e.num)
	for _, c := range e.cat {
		ncand += len(c.Vocab)
	}
	pos := make([]int32, ncand)
	if e.selected == nil {
		for j := range pos {
			pos[j] = int32(j)
		}
		e.width = ncand
	} else {
		for j := range pos {
			pos[j] = -1
		}
		for p, j := range e.selected {
			pos[j] = int32(p)
		}
		e.width = len(e.selected)
	}
	e.candNames = make([]string, 0, ncand)
	e.numOut = e.numOut[:0]
	for i, c := range e.num {
		e.candNames = append(e.candNames, c.Name)
		if pos[i] >= 0 {
			e.numOut = append(e.numOut, numOut{num: i, pos: int(pos[i])})
		}
	}
	off := len(e.num)
	for ci := range e.cat {
		c := &e.cat[ci]
		c.index = make(map[string]int32, len(c.Vocab))
		for k, v := range c.Vocab {
			c.index[v] = int32(k)
			e.candNames = append(e.candNames, c.Name+"="+v)
		}
		c.pos = pos[off : off+len(c.Vocab) : off+len(c.Vocab)]
		off += len(c.Vocab)
	}
	e.names = make([]string, 0, e.width)
	for j, name := range e.candNames {
		if pos[j] >= 0 {
			e.names = append(e.names, name)
		}
	}
}

// Width returns the length of an encoded vector.
func (e *Encoder) Width() int { return e.width }

// Names returns the names of the encoded columns in output order, such as
// "duration" and "protocol_type=tcp".
func (e *Encoder) Names() []string { return slices.Clone(e.names) }

// CandidateNames returns the names of all encoded columns before
// selection; Scores and Selected index into it. Without selection it
// equals Names.
func (e *Encoder) CandidateNames() []string { return slices.Clone(e.candNames) }

// Selected returns the indices, into CandidateNames, of the columns kept
// by mutual-information selection, ascending, or nil without selection.
func (e *Encoder) Selected() []int { return slices.Clone(e.selected) }

// Scores returns the mutual information (nats) of every candidate column
// with the class on the training rows, or nil without selection.
func (e *Encoder) Scores() []float64 { return slices.Clone(e.scores) }

// Config returns the encoder's configuration, defaults filled in.
func (e *Encoder) Config() EncoderConfig {
	c := e.cfg
	if c.Select != nil {
		s := *c.Select
		c.Select = &s
	}
	return c
}

// Schema returns a copy of the schema the encoder was fitted on; rows
// given to EncodeRow follow it.
func (e *Encoder) Schema() *Schema { return copySchema(e.schema) }

// Transform encodes every row of f into a new rows x Width float32 tensor.
func (e *Encoder) Transform(f *Frame) (*tensor.Dense, TransformStats, error) {
	var stats TransformStats
	if err := checkFrame(f, e.schema); err != nil {
		return nil, stats, err
	}
	if f.Len() == 0 {
		return nil, stats, fmt.Errorf("features: transform: frame %s has no rows", f.Source)
	}
	data := make([]float32, f.Len()*e.width)
	if err := e.TransformInto(f, data, &stats); err != nil {
		return nil, stats, err
	}
	return tensor.New(tensor.WithShape(f.Len(), e.width), tensor.WithBacking(data)), stats, nil
}

// TransformInto encodes every row of f into dst, row-major, which must
// hold exactly f.Len()*Width() values. When stats is not nil, the counts
// of this call are added to it. Row i of the result is bit for bit what
// EncodeRow gives for row i.
func (e *Encoder) TransformInto(f *Frame, dst []float32, stats *TransformStats) error {
	if err := checkFrame(f, e.schema); err != nil {
		return err
	}
	n, w := f.Len(), e.width
	if len(dst) != n*w {
		return fmt.Errorf("features: transform: frame %s: destination holds %d values, want %d rows x %d columns = %d", f.Source, len(dst), n, w, n*w)
	}
	clear(dst)
	imputed, clipped := 0, 0
	for _, o := range e.numOut {
		c := &e.num[o.num]
		for i, x := range f.Num[c.Col] {
			v, imp, clp := c.encode(x, e.cfg.Clip)
			dst[i*w+o.pos] = v
			if imp {
				imputed++
			}
			if clp {
				clipped++
			}
		}
	}
	var unseen map[string]int
	for ci := range e.cat {
		c := &e.cat[ci]
		m := c.mapFrameCodes(f.Vocab[c.Col])
		count := 0
		for i, code := range f.Codes[c.Col] {
			k := m[code]
			if k < 0 {
				count++
				continue
			}
			if p := c.pos[k]; p >= 0 {
				dst[i*w+int(p)] = 1
			}
		}
		if count > 0 {
			if unseen == nil {
				unseen = make(map[string]int)
			}
			unseen[c.Name] += count
		}
	}
	if stats != nil {
		stats.Rows += n
		stats.Imputed += imputed
		stats.Clipped += clipped
		for name, k := range unseen {
			if stats.Unseen == nil {
				stats.Unseen = make(map[string]int)
			}
			stats.Unseen[name] += k
		}
	}
	return nil
}

// EncodeRow encodes one row into dst[:Width()] and returns how many of its
// categorical values were absent from training (their blocks are left
// zero). It does not allocate and is safe for concurrent use.
//
// r must have an entry per schema column (NewRow(e.Schema()) makes one)
// and dst at least Width() values; anything shorter is a programming
// error and panics with a message saying so. Row values need no checking:
// any float64, NaN and ±Inf included, and any string encode by the
// package's rules.
func (e *Encoder) EncodeRow(r Row, dst []float32) (unseen int) {
	n := len(e.schema.Columns)
	if len(r.Values) < n || len(r.Symbols) < n || len(dst) < e.width {
		panic(fmt.Sprintf("features: EncodeRow: row has %d values and %d symbols for %d schema columns, dst holds %d of %d",
			len(r.Values), len(r.Symbols), n, len(dst), e.width))
	}
	dst = dst[:e.width]
	clear(dst)
	for _, o := range e.numOut {
		c := &e.num[o.num]
		dst[o.pos], _, _ = c.encode(r.Values[c.Col], e.cfg.Clip)
	}
	for ci := range e.cat {
		c := &e.cat[ci]
		k, ok := c.index[r.Symbols[c.Col]]
		if !ok {
			unseen++
			continue
		}
		if p := c.pos[k]; p >= 0 {
			dst[p] = 1
		}
	}
	return unseen
}

// encoderFile is the JSON form of an Encoder.
type encoderFile struct {
	Version     int           `json:"version"`
	Schema      *Schema       `json:"schema"`
	Config      EncoderConfig `json:"config"`
	Numeric     []numCol      `json:"numeric"`
	Categorical []catCol      `json:"categorical"`
	Selected    []int         `json:"selected,omitempty"`
	Scores      []float64     `json:"mi_scores,omitempty"`
}

// MarshalJSON writes the encoder's schema, configuration and fitted
// parameters. Every float64 is written in the shortest form that parses
// back to the same bits.
func (e *Encoder) MarshalJSON() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("features: marshalling encoder: %w", err)
	}
	return json.Marshal(encoderFile{
		Version:     encoderVersion,
		Schema:      e.schema,
		Config:      e.cfg,
		Numeric:     e.num,
		Categorical: e.cat,
		Selected:    e.selected,
		Scores:      e.scores,
	})
}

// UnmarshalJSON reads an encoder written by MarshalJSON and validates it;
// unknown fields are errors. On error the receiver is left unchanged.
func (e *Encoder) UnmarshalJSON(b []byte) error {
	var file encoderFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("features: decoding encoder: %w", err)
	}
	if dec.More() {
		return errors.New("features: decoding encoder: data after the encoder object")
	}
	if file.Version != encoderVersion {
		return fmt.Errorf("features: decoding encoder: version %d, this build reads version %d", file.Version, encoderVersion)
	}
	d := &Encoder{
		schema:   file.Schema,
		cfg:      file.Config,
		num:      file.Numeric,
		cat:      file.Categorical,
		selected: file.Selected,
		scores:   file.Scores,
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("features: decoding encoder: %w", err)
	}
	d.build()
	*e = *d
	return nil
}

// finite reports whether every x is neither NaN nor infinite.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Validate checks the encoder's internal consistency: a usable schema,
// one parameter set per numeric column and one sorted vocabulary per
// categorical column, in schema order; finite parameters consistent with
// the scaling and with each other; a valid selection. A loaded encoder
// has passed it.
func (e *Encoder) Validate() error {
	ncand, err := e.validateParams()
	if err != nil {
		return err
	}
	return e.validateSelection(ncand)
}

// validateParams checks everything but the selection and returns the
// number of candidate columns.
func (e *Encoder) validateParams() (int, error) {
	if err := checkSchema(e.schema); err != nil {
		return 0, err
	}
	cfg, err := e.cfg.normalized()
	if err != nil {
		return 0, err
	}
	if cfg.Scale != e.cfg.Scale || (cfg.Select != nil && *cfg.Select != *e.cfg.Select) {
		return 0, errors.New("features: encoder: configuration lacks its defaults (scale or select neighbors unset)")
	}
	ni, ci := 0, 0
	ncand := 0
	for j, col := range e.schema.Columns {
		switch col.Kind {
		case Numeric, Binary:
			if ni >= len(e.num) {
				return 0, fmt.Errorf("features: encoder: no parameters for numeric column %q", col.Name)
			}
			if err := e.num[ni].check(j, col, e.cfg); err != nil {
				return 0, err
			}
			ni++
			ncand++
		case Categorical:
			if ci >= len(e.cat) {
				return 0, fmt.Errorf("features: encoder: no vocabulary for categorical column %q", col.Name)
			}
			c := &e.cat[ci]
			if c.Col != j || c.Name != col.Name {
				return 0, fmt.Errorf("features: encoder: categorical entry %d is column %d %q, want column %d %q", ci, c.Col, c.Name, j, col.Name)
			}
			if len(c.Vocab) == 0 {
				return 0, fmt.Errorf("features: encoder: column %q has an empty vocabulary", col.Name)
			}
			for _, v := range c.Vocab {
				if !utf8.ValidString(v) {
					return 0, fmt.Errorf("features: encoder: column %q value %q is not valid UTF-8", col.Name, v)
				}
			}
			for k := 1; k < len(c.Vocab); k++ {
				if c.Vocab[k-1] >= c.Vocab[k] {
					return 0, fmt.Errorf("features: encoder: column %q vocabulary is not sorted and unique at %q, %q", col.Name, c.Vocab[k-1], c.Vocab[k])
				}
			}
			ci++
			ncand += len(c.Vocab)
		}
	}
	if ni != len(e.num) || ci != len(e.cat) {
		return 0, fmt.Errorf("features: encoder: %d numeric and %d categorical entries for a schema with %d and %d", len(e.num), len(e.cat), ni, ci)
	}
	if ncand == 0 {
		return 0, fmt.Errorf("features: encoder: schema %q has no feature columns", e.schema.Name)
	}
	names := make(map[string]bool, ncand)
	for _, c := range e.num {
		names[c.Name] = true
	}
	for _, c := range e.cat {
		for _, v := range c.Vocab {
			name := c.Name + "=" + v
			if names[name] {
				return 0, fmt.Errorf("features: encoder: two output columns are named %q", name)
			}
			names[name] = true
		}
	}
	return ncand, nil
}

// validateSelection checks the selection against ncand candidate columns.
func (e *Encoder) validateSelection(ncand int) error {
	if e.selected != nil {
		if e.cfg.Select == nil {
			return errors.New("features: encoder: selected columns without a select configuration")
		}
		if len(e.selected) == 0 {
			return errors.New("features: encoder: selection keeps no column")
		}
		for k, j := range e.selected {
			if j < 0 || j >= ncand {
				return fmt.Errorf("features: encoder: selected column %d is outside the %d candidate columns", j, ncand)
			}
			if k > 0 && j <= e.selected[k-1] {
				return fmt.Errorf("features: encoder: selected columns are not strictly ascending at %d, %d", e.selected[k-1], j)
			}
		}
	}
	if e.scores != nil {
		if len(e.scores) != ncand {
			return fmt.Errorf("features: encoder: %d scores for %d candidate columns", len(e.scores), ncand)
		}
		for j, s := range e.scores {
			if !finite(s) || s < 0 {
				return fmt.Errorf("features: encoder: score %d is %v, want finite and >= 0", j, s)
			}
		}
	}
	if (e.cfg.Select != nil) != (e.selected != nil) || (e.selected != nil) != (e.scores != nil) {
		return errors.New("features: encoder: select configuration, selected columns and scores must be all present or all absent")
	}
	return nil
}

// check verifies one numeric column's parameters against schema column j.
func (c *numCol) check(j int, col Column, cfg EncoderConfig) error {
	where := fmt.Sprintf("features: encoder: numeric column %q", col.Name)
	if c.Col != j || c.Name != col.Name {
		return fmt.Errorf("%s: entry names column %d %q, want column %d", where, c.Col, c.Name, j)
	}
	if c.Log != (cfg.Log1p && col.HeavyTailed) {
		return fmt.Errorf("%s: log1p flag %v disagrees with the configuration and schema", where, c.Log)
	}
	if !finite(c.Median, c.Min, c.Max, c.Shift, c.Div, c.Lo, c.Hi) {
		return fmt.Errorf("%s: non-finite parameter (median %v, min %v, max %v, shift %v, div %v, lo %v, hi %v)", where, c.Median, c.Min, c.Max, c.Shift, c.Div, c.Lo, c.Hi)
	}
	if !(c.Min <= c.Median && c.Median <= c.Max) {
		return fmt.Errorf("%s: median %v is outside the range [%v, %v]", where, c.Median, c.Min, c.Max)
	}
	lo, hi := c.Min, c.Max
	if c.Log {
		lo, hi = slog1p(lo), slog1p(hi)
	}
	switch cfg.Scale {
	case ScaleMinMax:
		want := 0.0
		if c.Min != c.Max {
			want = hi - lo
		}
		if c.Shift != lo || c.Div != want {
			return fmt.Errorf("%s: minmax shift %v and divisor %v disagree with the range [%v, %v]", where, c.Shift, c.Div, c.Min, c.Max)
		}
	case ScaleStandard:
		if c.Div < 0 || (c.Div == 0) != (c.Min == c.Max) {
			return fmt.Errorf("%s: standard deviation %v disagrees with the range [%v, %v]", where, c.Div, c.Min, c.Max)
		}
	case ScaleNone:
		if c.Shift != 0 || c.Div != 1 {
			return fmt.Errorf("%s: unscaled column with shift %v and divisor %v", where, c.Shift, c.Div)
		}
	}
	if wantLo, wantHi := c.scaled(c.Min), c.scaled(c.Max); c.Lo != wantLo || c.Hi != wantHi || !finite(wantLo, wantHi) {
		return fmt.Errorf("%s: clipping range [%v, %v] disagrees with the scaled training range [%v, %v]", where, c.Lo, c.Hi, wantLo, wantHi)
	}
	return nil
}

// String summarises the encoder, for logs.
func (e *Encoder) String() string {
	if e.schema == nil {
		return "encoder (not fitted)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "encoder %s: %d columns (%s", e.schema.Name, e.width, e.cfg.Scale)
	if e.cfg.Log1p {
		b.WriteString(", log1p")
	}
	if e.cfg.Clip {
		b.WriteString(", clip")
	}
	if e.cfg.Select != nil {
		fmt.Fprintf(&b, ", %d of %d by mutual information", len(e.selected), len(e.candNames))
	}
	b.WriteString(")")
	return b.String()
}

// OneHotGroups returns, for each categorical column, the output positions
// of its one-hot block (only the selected ones when feature selection is
// on; a column with no selected value is left out). A valid encoded row
// has at most one 1 in each group, and exactly one when its value was
// seen in training. Resamplers use the groups to keep synthetic rows
// valid.
func (e *Encoder) OneHotGroups() [][]int {
	var out [][]int
	for _, c := range e.cat {
		var g []int
		for _, p := range c.pos {
			if p >= 0 {
				g = append(g, int(p))
			}
		}
		if len(g) > 0 {
			out = append(out, g)
		}
	}
	return out
}
