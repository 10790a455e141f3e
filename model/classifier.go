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
	return &Classifier{file: f, threshold: threshold, normal: f.Header.NormalClass}, nil
}

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
}

// chunkRows is the fixed number of rows the network is run on. A batch is
// cut into chunks of exactly this many rows (the last one padded with
// zeros), and row i of a batch always sits at position i mod chunkRows of
// its chunk. Some BLAS kernels (OpenBLAS' Haswell sgemm, for one) round a
// row's products differently depending on where the row falls in the
// matrix, so the network's output for a row depends on its position, and
// on nothing else: rows never interact. Fixing the chunk size and the
// position makes every verdict a function of the row and its index in the
// batch, which the sensor's batching makes deterministic; and the verdict
// cache is keyed by position too, so a cached verdict is bit for bit the
// one the network would give (TestClassifyIndependentOfBatch checks it).
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
	hashes   []uint64
	cache    []cacheEntry
	stats    SessionStats
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
		x:      make([]float32, rows*w),
		probs:  make([]float32, rows*k),
		hashes: make([]uint64, chunkRows),
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
// verdict of rows[i] depends only on the row and on i mod 32.
func (s *Session) Classify(rows []features.Row, out []Verdict) error {
	if len(rows) > s.maxBatch {
		return fmt.Errorf("model: %d rows exceed the session's batch of %d", len(rows), s.maxBatch)
	}
	if len(out) != len(rows) {
		return fmt.Errorf("model: %d verdicts for %d rows", len(out), len(rows))
	}
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
			if e := s.slot(h); e.valid && e.hash == h && e.pos == j && slices.Equal(e.x, x) {
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
		pr := s.probs[lo*k : (lo+chunkRows)*k]
		// The network rewrites the whole chunk, cached rows included, with
		// the values their cache entries already hold (they are exact).
		s.c.file.Net.Predict(s.ws, s.x[lo*w:(lo+chunkRows)*w], chunkRows, pr)
		s.stats.Batches++
		if s.cache != nil {
			for j := range n {
				if out[lo+j].Cached {
					continue
				}
				e := s.slot(s.hashes[j])
				e.hash, e.pos, e.valid = s.hashes[j], j, true
				copy(e.x, s.x[(lo+j)*w:(lo+j+1)*w])
				copy(e.probs, out[lo+j].Probs)
			}
		}
	}
	for i := range out {
		s.c.decide(&out[i])
	}
	s.stats.Rows += uint64(len(rows))
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
