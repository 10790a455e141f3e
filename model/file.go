package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/cnids/cnids/features"
)

// The model file.
//
// One file holds everything the sensor needs to classify a connection the
// way the trainer evaluated it: the architecture, the weights, the fitted
// encoder (vocabularies, scaling, feature selection) with its schema, the
// class names, the alert threshold, the feature semantics the model was
// trained for, and the training metadata (dataset digests, seed, balancing
// method, validation metrics).
//
// Layout, all integers little-endian:
//
//	offset  size  content
//	0       8     magic "CNIDSMDL"
//	8       4     format version (uint32), FormatVersion
//	12      4     header length H (uint32), at most MaxHeaderBytes
//	16      H     header: UTF-8 JSON, the Header type
//	16+H    4*N   tensor data: float32 values of every tensor listed in
//	              Header.Tensors, in that order, each in row-major order of
//	              its shape (PyTorch's layout for the same layer)
//	end-32  32    SHA-256 of every byte before it
//
// Load verifies, in order: the magic, the version, the header length, the
// checksum, the JSON header, the encoder, the architecture against the
// encoder's width and the class count, and each tensor's name, shape and
// values (all finite) against the network the architecture builds. Each
// failure is a distinct error that names the file.

// Magic is the first eight bytes of a model file.
const Magic = "CNIDSMDL"

// FormatVersion is the version of the layout and header this package
// writes. Load accepts only this version.
const FormatVersion = 1

// MaxHeaderBytes bounds the JSON header so that a corrupt length cannot
// make Load allocate without limit.
const MaxHeaderBytes = 64 << 20

// Header is the JSON header of a model file.
type Header struct {
	// Arch is the network architecture.
	Arch Arch `json:"arch"`
	// Inputs is the width of the encoded input vector.
	Inputs int `json:"inputs"`
	// Classes names the output classes in index order.
	Classes []string `json:"classes"`
	// NormalClass is the index of the benign class; the alert score of a
	// row is 1 - P(NormalClass).
	NormalClass int `json:"normal_class"`
	// Threshold is the alert threshold on the score, chosen on validation
	// data for TargetFAR.
	Threshold float64 `json:"threshold"`
	// Encoder is the fitted encoder, schema included.
	Encoder *features.Encoder `json:"encoder"`
	// Semantics is the feature semantics the training data follows.
	Semantics features.Semantics `json:"semantics"`
	// Training describes how the model was made.
	Training Training `json:"training"`
	// Tensors lists the tensors stored after the header, in order.
	Tensors []TensorInfo `json:"tensors"`
}

// TensorInfo names and shapes one stored tensor.
type TensorInfo struct {
	// Name is the network's name for the tensor, e.g. "conv1.weight".
	Name string `json:"name"`
	// Shape is the tensor's shape.
	Shape []int `json:"shape"`
}

// DatasetFile identifies one input file of a training run.
type DatasetFile struct {
	// Name is the file name as given.
	Name string `json:"name"`
	// SHA256 is the hex digest of the file's bytes as stored (compressed
	// files are digested compressed).
	SHA256 string `json:"sha256"`
	// Rows is the number of rows read from it.
	Rows int `json:"rows"`
}

// Training is the provenance of a model.
type Training struct {
	// Dataset is the dataset family, e.g. "nsl-kdd".
	Dataset string `json:"dataset"`
	// Labels is the label mode, e.g. "category" or "binary".
	Labels string `json:"labels"`
	// Files are the training inputs and their digests.
	Files []DatasetFile `json:"files"`
	// TrainRows, ValidRows are the rows used to fit and to validate.
	TrainRows int `json:"train_rows"`
	ValidRows int `json:"valid_rows"`
	// ClassCounts are the training rows per class before balancing.
	ClassCounts []int `json:"class_counts"`
	// Seed is the seed of every random choice of the run.
	Seed uint64 `json:"seed"`
	// Balance is the balancing method ("none" when the data was used as is).
	Balance string `json:"balance"`
	// BalancedCounts are the training rows per class after balancing.
	BalancedCounts []int `json:"balanced_counts,omitempty"`
	// Optimizer, LearningRate, BatchSize, Epochs and BestEpoch describe
	// the training loop.
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`
	BatchSize    int     `json:"batch_size"`
	Epochs       int     `json:"epochs"`
	BestEpoch    int     `json:"best_epoch"`
	// TargetFAR is the false-alarm rate the threshold was chosen for, and
	// ValidFAR and ValidDetection what it achieved on validation data.
	TargetFAR      float64 `json:"target_far"`
	ValidFAR       float64 `json:"valid_far"`
	ValidDetection float64 `json:"valid_detection"`
	// Validation holds the validation metrics as the trainer reports them.
	Validation json.RawMessage `json:"validation,omitempty"`
	// Seconds is the wall time of training.
	Seconds float64 `json:"seconds"`
	// Created is when the file was written.
	Created time.Time `json:"created"`
	// Program records the writer: program, Go version, BLAS backend.
	Program string `json:"program"`
}

// File is a loaded or about-to-be-saved model.
type File struct {
	// Header is the metadata; Save fills Tensors, Inputs and Arch from Net.
	Header Header
	// Net is the network with its weights.
	Net *Network[float32]
}

// Encoder returns the file's fitted encoder.
func (f *File) Encoder() *features.Encoder { return f.Header.Encoder }

// Write encodes f to w in the model file format.
func (f *File) Write(w io.Writer) error {
	h := f.Header
	if f.Net == nil || h.Encoder == nil {
		return errors.New("model: file needs a network and an encoder")
	}
	h.Arch = f.Net.Arch()
	h.Inputs = f.Net.Inputs()
	if err := h.check(); err != nil {
		return err
	}
	st := f.Net.State()
	h.Tensors = make([]TensorInfo, len(st))
	for i, p := range st {
		h.Tensors[i] = TensorInfo{Name: p.Name, Shape: p.Shape()}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("model: encode header: %w", err)
	}
	if len(hdr) > MaxHeaderBytes {
		return fmt.Errorf("model: header of %d bytes exceeds %d", len(hdr), MaxHeaderBytes)
	}
	var buf bytes.Buffer
	buf.WriteString(Magic)
	var u [4]byte
	binary.LittleEndian.PutUint32(u[:], FormatVersion)
	buf.Write(u[:])
	binary.LittleEndian.PutUint32(u[:], uint32(len(hdr)))
	buf.Write(u[:])
	buf.Write(hdr)
	for _, vals := range f.Net.StateFloat32() {
		for _, v := range vals {
			binary.LittleEndian.PutUint32(u[:], math.Float32bits(v))
			buf.Write(u[:])
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	_, err = w.Write(buf.Bytes())
	return err
}

// Save writes f to path atomically: to a temporary file in the same
// directory, synced, then renamed over path.
func (f *File) Save(path string) error {
	tmp, err := os.CreateTemp(dirOf(path), ".cnids-model-*")
	if err != nil {
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := f.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			if i == 0 {
				return "/"
			}
			return path[:i]
		}
	}
	return "."
}

// check validates header fields that do not need the network.
func (h *Header) check() error {
	if len(h.Classes) < 2 {
		return fmt.Errorf("model: %d classes; a classifier needs at least 2", len(h.Classes))
	}
	if h.NormalClass < 0 || h.NormalClass >= len(h.Classes) {
		return fmt.Errorf("model: normal class %d outside %d classes", h.NormalClass, len(h.Classes))
	}
	if math.IsNaN(h.Threshold) || h.Threshold < 0 || h.Threshold > 1 {
		return fmt.Errorf("model: alert threshold %v outside [0, 1]", h.Threshold)
	}
	if h.Encoder == nil {
		return errors.New("model: header has no encoder")
	}
	if w := h.Encoder.Width(); w != h.Inputs {
		return fmt.Errorf("model: encoder writes %d columns, the network reads %d", w, h.Inputs)
	}
	if s := h.Encoder.Schema(); s.Name != h.Semantics.Family {
		return fmt.Errorf("model: encoder schema %q differs from the semantics' family %q", s.Name, h.Semantics.Family)
	}
	return nil
}

// ErrFormat is wrapped by every error Read returns for a file that is not
// a valid model file (as opposed to an I/O error).
var ErrFormat = errors.New("not a valid cnids model file")

// Read decodes a model file from its bytes. name is used in messages.
func Read(data []byte, name string) (*File, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("model %s: %w: %s", name, ErrFormat, fmt.Sprintf(format, args...))
	}
	if len(data) < len(Magic)+8+sha256.Size {
		return nil, bad("%d bytes is too short", len(data))
	}
	if string(data[:len(Magic)]) != Magic {
		return nil, bad("bad magic %q (want %q)", data[:len(Magic)], Magic)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != FormatVersion {
		return nil, bad("format version %d; this cnids reads version %d", v, FormatVersion)
	}
	hlen := binary.LittleEndian.Uint32(data[12:])
	body := data[:len(data)-sha256.Size]
	if hlen > MaxHeaderBytes || 16+int(hlen) > len(body) {
		return nil, bad("header length %d exceeds the file", hlen)
	}
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], data[len(body):]) {
		return nil, bad("checksum mismatch: the file is corrupted or truncated")
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(data[16 : 16+hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, bad("header: %v", err)
	}
	if h.Encoder == nil {
		return nil, bad("header has no encoder")
	}
	if err := h.Encoder.Validate(); err != nil {
		return nil, bad("encoder: %v", err)
	}
	if err := h.check(); err != nil {
		return nil, bad("%v", err)
	}
	net, err := Build[float32](h.Arch, h.Inputs, len(h.Classes), rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, bad("architecture: %v", err)
	}
	st := net.State()
	if len(st) != len(h.Tensors) {
		return nil, bad("%d tensors stored, the architecture has %d", len(h.Tensors), len(st))
	}
	payload := body[16+hlen:]
	need := 0
	for i, p := range st {
		t := h.Tensors[i]
		if t.Name != p.Name || !slices.Equal(t.Shape, p.Shape()) {
			return nil, bad("tensor %d is %s%v, the architecture wants %s%v", i, t.Name, t.Shape, p.Name, p.Shape())
		}
		need += p.Len()
	}
	if len(payload) != 4*need {
		return nil, bad("tensor data is %d bytes, the tensors need %d", len(payload), 4*need)
	}
	vals := make([][]float32, len(st))
	off := 0
	for i, p := range st {
		v := make([]float32, p.Len())
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(payload[off:]))
			off += 4
		}
		vals[i] = v
	}
	if err := net.LoadState(vals); err != nil {
		return nil, bad("%v", err)
	}
	return &File{Header: h, Net: net}, nil
}

// Load reads and verifies the model file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return Read(data, path)
}

// CheckSemantics returns an error when the model was trained for feature
// semantics other than those the caller produces.
func (f *File) CheckSemantics(producer features.Semantics) error {
	if err := f.Header.Semantics.Compatible(producer); err != nil {
		return fmt.Errorf("model trained for %s semantics v%d (%s) cannot be used here: %w",
			f.Header.Semantics.Family, f.Header.Semantics.Version, f.Header.Semantics.Fingerprint(), err)
	}
	return nil
}
