package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/cnids/cnids/features"
)

// Classifier classifies feature rows with a loaded model file: it encodes
// them with the file's encoder, runs the network in batches, and turns the
// probabilities into verdicts. A Classifier is read-only and may be shared
// by any number of goroutines, each with its own Session.
type Classifier struct {
	file      *File
	threshold float64
	normal    int
	// packed says that a row's output does not depend on its position in
	// a chunk (see probePositions), so that sessions may pack the rows
	// that miss the cache together.
	packed bool
}

// NewClassifier returns a classifier for f. A threshold in [0, 1]
// overrides the alert threshold stored in the file; a negative one keeps
// the stored threshold.
func NewClassifier(f *File, threshold float64) (*Classifier, error) {
	if f == nil || f.Net == nil || f.Header.Encoder == nil {
		return nil, fmt.Errorf("model: classifier needs a loaded model file")
	}
	if threshold > 1 || math.IsNaN(threshold) {
		return nil, fmt.Errorf("model: alert threshold %v outside [0, 1]", threshold)
	}
	if threshold < 0 {
		threshold = f.Header.Threshold
	}
	c := &Classifier{file: f, threshold: threshold, normal: f.Header.NormalClass}
	c.packed = probePositions(f.Net)
	return c, nil
}

// probePositions reports whether the network gives a row the same output,
// bit for bit, at every position of a chunk. That depends on the BLAS
// kernels (OpenBLAS' AVX-512 and gonum's are position-independent on the
// cnn; OpenBLAS' Haswell sgemm rounds rows differently by position), so
// it is measured: seeded random rows are run, then run again rotated by
// every offset, and every output compared.
func probePositions(net *Network[float32]) bool {
	w, k := net.Inputs(), net.Classes()
	ws := net.NewWorkspace(chunkRows)
	x := make([]float32, chunkRows*w)
	state := uint64(0x9e3779b97f4a7c15)
	for i := range x {
		state = state*6364136223846793005 + 1442695040888963407
		if state>>62 == 0 { // a quarter of the inputs are zero, as in encoded rows
			x[i] = 0
		} else {
			x[i] = float32(state>>40) / (1 << 24)
		}
	}
	want := make([]float32, chunkRows*k)
	net.Predict(ws, x, chunkRows, want)
	rot := make([]float32, len(x))
	got := make([]float32, len(want))
	for off := 1; off < chunkRows; off++ {
		for i := range chunkRows {
			copy(rot[((i+off)%chunkRows)*w:], x[i*w:(i+1)*w])
		}
		net.Predict(ws, rot, chunkRows, got)
		for i := range chunkRows {
			j := (i + off) % chunkRows
			if !slices.Equal(got[j*k:(j+1)*k], want[i*k:(i+1)*k]) {
				return false
			}
		}
	}
	return true
}

// PositionIndependent reports whether the network's output for a row was
// found not to depend on the row's place in its chunk; sessions then pack
// the rows that miss the verdict cache into as few chunks as possible.
func (c *Classifier) PositionIndependent() bool { return c.packed }

// File returns the model file.
func (c *Classifier) File() *File { return c.file }

// Threshold returns the alert threshold in use.
func (c *Classifier) Threshold() float64 { return c.threshold }

// Classes returns the class names.
func (c *Classifier) Classes() []string { return c.file.Header.Classes }

// Verdict is the classification of one row.
type Verdict struct {
	// Class is the most probable class.
	Class int
	// Top is the most probable class other than the normal one: the
	// category an alert names.
	Top int
	// Score is 1 - P(normal).
	Score float32
	// Alert is Score > the threshold.
	Alert bool
	// Unseen counts the row's symbolic values absent from training.
	Unseen int
	// Cached says the verdict was reused from an identical earlier row.
	Cached bool
	// Probs holds the class probabilities. It aliases the session's
	// memory and is valid until the session's next Classify call.
	Probs []float32
}

// SessionStats counts a session's work.
type SessionStats struct {
	// Rows is the number of rows classified.
	Rows uint64
	// CacheHits counts rows answered from the verdict cache.
	CacheHits uint64
	// Batches counts network invocations.
	Batches uint64
}

// cacheEntry is one remembered encoded vector, at one position of a
// chunk, and its probabilities.
type cacheEntry struct {
	hash  uint64
	pos   int
	x     []float32
	probs []float32
	valid bool
	// batch and pending mark an entry claimed by a miss of the packed
	// session's current call (batch == Session.calls), whose result will
	// be pending row pending of the call's packed chunks.
	batch   uint64
	pending int
}

// chunkRows is the fixed number of rows the network is run on: a batch
// is cut into chunks of exactly this many rows, the last one padded with
// zeros. Some BLAS kernels (OpenBLAS' Haswell sgemm, for one) round a
// row's products differently depending on where the row falls in the
// matrix, so the network's output for a row may depend on its position in
// the chunk, and on nothing else: rows never interact. Classifiers measure
// it (probePositions). Where outputs are position-independent, sessions
// pack the rows that miss the verdict cache into full chunks; where they
// are not, row i of a batch always sits at position i mod chunkRows, the
// cache is keyed by position too, and a chunk is computed when any of its
// rows misses. Either way a verdict is a function of the row and its index
// in the batch, which the sensor's batching makes deterministic, and a
// cached verdict is bit for bit the one the network would give
// (TestClassifyIndependentOfBatch checks it).
const chunkRows = 32

// Session holds one goroutine's buffers for a Classifier. It is not safe
// for concurrent use. Classify allocates nothing once the session exists.
type Session struct {
	c        *Classifier
	ws       *Workspace[float32]
	maxBatch int
	width, k int
	x        []float32 // encoded rows, whole chunks x width
	probs    []float32 // probabilities, whole chunks x k
	hashes   []uint64  // positional mode: the current chunk's row hashes
	cache    []cacheEntry
	stats    SessionStats

	// Packed mode: the rows to compute, their packed vectors and results,
	// each row's hash and source (index into pend, or -1 for a cache hit),
	// and the call counter that marks cache entries claimed by this call.
	pend         []int
	pendX, pendP []float32
	rowHash      []uint64
	src          []int
	calls        uint64
}

// NewSession returns a session that classifies up to maxBatch rows per
// call, and remembers the verdicts of up to cacheSize distinct (encoded
// vector, chunk position) pairs (0 disables the cache). Floods repeat
// identical vectors, so reusing their verdicts saves most of the network's
// work.
func (c *Classifier) NewSession(maxBatch, cacheSize int) *Session {
	if maxBatch < 1 {
		maxBatch = 1
	}
	net := c.file.Net
	w, k := net.Inputs(), net.Classes()
	rows := roundUp(maxBatch, chunkRows)
	s := &Session{
		c: c, ws: net.NewWorkspace(chunkRows), maxBatch: maxBatch, width: w, k: k,
		x:       make([]float32, rows*w),
		probs:   make([]float32, rows*k),
		hashes:  make([]uint64, chunkRows),
		pend:    make([]int, 0, maxBatch),
		pendX:   make([]float32, rows*w),
		pendP:   make([]float32, rows*k),
		rowHash: make([]uint64, maxBatch),
		src:     make([]int, maxBatch),
		calls:   1,
	}
	if cacheSize > 0 {
		s.cache = make([]cacheEntry, cacheSize)
		for i := range s.cache {
			s.cache[i].x = make([]float32, w)
			s.cache[i].probs = make([]float32, k)
		}
	}
	return s
}

// Stats returns the session's counters.
func (s *Session) Stats() SessionStats { return s.stats }

// MaxBatch returns the most rows Classify takes per call.
func (s *Session) MaxBatch() int { return s.maxBatch }

// hashVector is FNV-1a over the vector's 32-bit words and the position,
// with a final mix; the cache compares whole vectors, so collisions cost a
// miss, never a wrong verdict.
func hashVector(x []float32, pos int) uint64 {
	h := uint64(14695981039346656037) ^ uint64(pos)
	h *= 1099511628211
	for _, v := range x {
		h ^= uint64(math.Float32bits(v))
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

func (s *Session) slot(h uint64) *cacheEntry { return &s.cache[h%uint64(len(s.cache))] }

// Classify classifies rows (at most MaxBatch) into out (same length). The
// verdict of rows[i] depends only on the row and, where the classifier is
// not PositionIndependent, on i mod 32.
func (s *Session) Classify(rows []features.Row, out []Verdict) error {
	if len(rows) > s.maxBatch {
		return fmt.Errorf("model: %d rows exceed the session's batch of %d", len(rows), s.maxBatch)
	}
	if len(out) != len(rows) {
		return fmt.Errorf("model: %d verdicts for %d rows", len(out), len(rows))
	}
	var err error
	if s.c.packed {
		err = s.classifyPacked(rows, out)
	} else {
		err = s.classifyPositional(rows, out)
	}
	if err != nil {
		return err
	}
	for i := range out {
		s.c.decide(&out[i])
	}
	s.stats.Rows += uint64(len(rows))
	return nil
}

// lookup returns the cache entry holding x at pos, or nil.
func (s *Session) lookup(x []float32, pos int, h uint64) *cacheEntry {
	if e := s.slot(h); e.valid && e.hash == h && e.pos == pos && slices.Equal(e.x, x) {
		return e
	}
	return nil
}

// store remembers x's probabilities at pos.
func (s *Session) store(x, probs []float32, pos int, h uint64) {
	e := s.slot(h)
	e.hash, e.pos, e.valid = h, pos, true
	copy(e.x, x)
	copy(e.probs, probs)
}

// classifyPositional runs every chunk that has a cache miss, each row at
// its own index modulo chunkRows.
func (s *Session) classifyPositional(rows []features.Row, out []Verdict) error {
	enc := s.c.file.Header.Encoder
	w, k := s.width, s.k
	for lo := 0; lo < len(rows); lo += chunkRows {
		n := min(chunkRows, len(rows)-lo)
		miss := false
		for j := range n {
			i := lo + j
			x := s.x[i*w : (i+1)*w]
			out[i] = Verdict{Unseen: enc.EncodeRow(rows[i], x), Probs: s.probs[i*k : (i+1)*k]}
			if s.cache == nil {
				miss = true
				continue
			}
			h := hashVector(x, j)
			s.hashes[j] = h
			if e := s.lookup(x, j, h); e != nil {
				copy(out[i].Probs, e.probs)
				out[i].Cached = true
				s.stats.CacheHits++
				continue
			}
			miss = true
		}
		if !miss {
			continue
		}
		clear(s.x[(lo+n)*w : (lo+chunkRows)*w]) // padding rows are zeros
		// The network rewrites the whole chunk, cached rows included, with
		// the values their cache entries already hold (they are exact).
		s.c.file.Net.Predict(s.ws, s.x[lo*w:(lo+chunkRows)*w], chunkRows, s.probs[lo*k:(lo+chunkRows)*k])
		s.stats.Batches++
		if s.cache != nil {
			for j := range n {
				if !out[lo+j].Cached {
					s.store(s.x[(lo+j)*w:(lo+j+1)*w], out[lo+j].Probs, j, s.hashes[j])
				}
			}
		}
	}
	return nil
}

// classifyPacked answers rows from the cache, packs the distinct misses
// into full chunks, and runs only those.
func (s *Session) classifyPacked(rows []features.Row, out []Verdict) error {
	enc := s.c.file.Header.Encoder
	w, k := s.width, s.k
	s.pend = s.pend[:0]
	for i := range rows {
		x := s.x[i*w : (i+1)*w]
		out[i] = Verdict{Unseen: enc.EncodeRow(rows[i], x), Probs: s.probs[i*k : (i+1)*k]}
		if s.cache == nil {
			s.src[i] = len(s.pend)
			s.pend = append(s.pend, i)
			continue
		}
		h := hashVector(x, 0)
		s.rowHash[i] = h
		if e := s.lookup(x, 0, h); e != nil {
			if e.batch == s.calls {
				// A miss earlier in this batch: share its computation.
				s.src[i] = e.pending
				continue
			}
			copy(out[i].Probs, e.probs)
			out[i].Cached = true
			s.stats.CacheHits++
			s.src[i] = -1
			continue
		}
		// Claim the slot now so that identical rows later in the batch
		// share this row's computation.
		e := s.slot(h)
		e.hash, e.pos, e.valid, e.batch, e.pending = h, 0, true, s.calls, len(s.pend)
		copy(e.x, x)
		s.src[i] = len(s.pend)
		s.pend = append(s.pend, i)
	}
	n := len(s.pend)
	for j, i := range s.pend {
		copy(s.pendX[j*w:(j+1)*w], s.x[i*w:(i+1)*w])
	}
	padded := roundUp(n, chunkRows)
	clear(s.pendX[n*w : padded*w])
	for lo := 0; lo < padded; lo += chunkRows {
		s.c.file.Net.Predict(s.ws, s.pendX[lo*w:(lo+chunkRows)*w], chunkRows, s.pendP[lo*k:(lo+chunkRows)*k])
		s.stats.Batches++
	}
	for i := range rows {
		if out[i].Cached {
			continue
		}
		j := s.src[i]
		copy(out[i].Probs, s.pendP[j*k:(j+1)*k])
		if s.cache != nil && s.pend[j] != i {
			out[i].Cached = true // shared with an identical row of this batch
			s.stats.CacheHits++
		}
	}
	if s.cache != nil {
		for j, i := range s.pend {
			e := s.slot(s.rowHash[i])
			if e.batch == s.calls && e.pending == j && e.hash == s.rowHash[i] {
				copy(e.probs, s.pendP[j*k:(j+1)*k])
				e.batch = 0
			}
		}
	}
	s.calls++
	return nil
}

// decide fills the class, score and alert of a verdict from its
// probabilities.
func (c *Classifier) decide(v *Verdict) {
	p := v.Probs
	best, top := 0, -1
	for j := range p {
		if p[j] > p[best] {
			best = j
		}
		if j != c.normal && (top < 0 || p[j] > p[top]) {
			top = j
		}
	}
	v.Class, v.Top = best, top
	v.Score = 1 - p[c.normal]
	v.Alert = float64(v.Score) > c.threshold
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }
