package model

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Arch describes a network: convolution blocks, an optional LSTM, hidden
// dense layers and the output layer. It is JSON-serialisable so that
// flags, config files and model files can carry it.
//
// The layers Build makes from it are, in order: for each ConvBlock,
// Conv1D, BatchNorm (when BatchNorm is set), ReLU and MaxPool1D (when
// Pool > 1); then either an LSTM over the conv feature sequence (when
// LSTMHidden > 0; its last hidden state, or its whole output sequence with
// LSTMSequence, flattened) or Flatten; then for each width in Dense,
// Dense, BatchNorm (when DenseBatchNorm is set), ReLU and Dropout (when
// Dropout > 0); and last Dense to the classes.
type Arch struct {
	// Name labels the architecture; "cnn" and "cnn-lstm" are the defaults
	// DefaultArch returns, and must be without and with an LSTM.
	Name string `json:"name"`
	// Conv lists the convolution blocks.
	Conv []ConvBlock `json:"conv"`
	// LSTMHidden is the LSTM's hidden size; 0 means no LSTM.
	LSTMHidden int `json:"lstm_hidden,omitempty"`
	// LSTMSequence feeds the whole LSTM output sequence to the dense
	// layers instead of the last hidden state.
	LSTMSequence bool `json:"lstm_sequence,omitempty"`
	// Dense lists the widths of the hidden dense layers.
	Dense []int `json:"dense"`
	// Dropout is the drop probability after each hidden dense layer.
	Dropout float64 `json:"dropout"`
	// BatchNorm adds BatchNorm between each convolution and its ReLU.
	BatchNorm bool `json:"batch_norm,omitempty"`
	// DenseBatchNorm adds BatchNorm between each hidden dense layer and
	// its ReLU.
	DenseBatchNorm bool `json:"dense_batch_norm,omitempty"`
}

// ConvBlock is one convolution block.
type ConvBlock struct {
	// Filters is the number of output channels.
	Filters int `json:"filters"`
	// Kernel is the kernel width.
	Kernel int `json:"kernel"`
	// Stride is the convolution stride (at least 1).
	Stride int `json:"stride"`
	// Padding is the zero padding on each side.
	Padding int `json:"padding"`
	// Pool is the max-pooling window and stride; 0 or 1 means none.
	Pool int `json:"pool,omitempty"`
}

// Limits on architecture sizes, far above anything sensible, so that a
// corrupt config fails validation instead of exhausting memory.
const (
	maxDim    = 1 << 16
	maxParams = 1 << 28
)

// DefaultArch returns the reference architectures: "cnn" is
// torch-reference.py's network (Conv1d(1,32,3,p=1) ReLU MaxPool(2)
// Conv1d(32,64,3,p=1) ReLU MaxPool(2) Flatten Linear(·,128) ReLU
// Dropout(0.5) Linear(128,classes)); "cnn-lstm" replaces Flatten with an
// LSTM of 64 hidden units whose last hidden state feeds the dense layers,
// as torch-reference.py --lstm.
func DefaultArch(name string) (Arch, error) {
	conv := []ConvBlock{
		{Filters: 32, Kernel: 3, Stride: 1, Padding: 1, Pool: 2},
		{Filters: 64, Kernel: 3, Stride: 1, Padding: 1, Pool: 2},
	}
	switch name {
	case "cnn":
		return Arch{Name: name, Conv: conv, Dense: []int{128}, Dropout: 0.5}, nil
	case "cnn-lstm":
		return Arch{Name: name, Conv: conv, LSTMHidden: 64, Dense: []int{128}, Dropout: 0.5}, nil
	}
	return Arch{}, fmt.Errorf("model: unknown architecture %q (want cnn or cnn-lstm)", name)
}

// ParseArch decodes an Arch from JSON, rejecting unknown fields, and
// validates its own fields (Validate checks it against the data).
func ParseArch(data []byte) (Arch, error) {
	var a Arch
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return Arch{}, fmt.Errorf("model: architecture JSON: %w", err)
	}
	if dec.More() {
		return Arch{}, fmt.Errorf("model: architecture JSON: trailing data after the object")
	}
	if err := a.check(); err != nil {
		return Arch{}, err
	}
	return a, nil
}

// check validates the fields that do not depend on the data.
func (a Arch) check() error {
	switch {
	case a.Name == "cnn" && a.LSTMHidden != 0:
		return fmt.Errorf("model: architecture %q must not have an LSTM (lstm_hidden %d)", a.Name, a.LSTMHidden)
	case a.Name == "cnn-lstm" && a.LSTMHidden == 0:
		return fmt.Errorf("model: architecture %q needs lstm_hidden > 0", a.Name)
	case a.LSTMHidden < 0 || a.LSTMHidden > maxDim:
		return fmt.Errorf("model: lstm_hidden %d is outside [0, %d]", a.LSTMHidden, maxDim)
	case a.LSTMSequence && a.LSTMHidden == 0:
		return fmt.Errorf("model: lstm_sequence is set without an LSTM")
	case !(a.Dropout >= 0 && a.Dropout < 1):
		return fmt.Errorf("model: dropout %v is outside [0, 1)", a.Dropout)
	}
	for i, b := range a.Conv {
		switch {
		case b.Filters < 1 || b.Filters > maxDim:
			return fmt.Errorf("model: conv block %d: filters %d is outside [1, %d]", i+1, b.Filters, maxDim)
		case b.Kernel < 1 || b.Kernel > maxDim:
			return fmt.Errorf("model: conv block %d: kernel %d is outside [1, %d]", i+1, b.Kernel, maxDim)
		case b.Stride < 1 || b.Stride > maxDim:
			return fmt.Errorf("model: conv block %d: stride %d is outside [1, %d]", i+1, b.Stride, maxDim)
		case b.Padding < 0 || b.Padding > maxDim:
			return fmt.Errorf("model: conv block %d: padding %d is outside [0, %d]", i+1, b.Padding, maxDim)
		case b.Pool < 0 || b.Pool > maxDim:
			return fmt.Errorf("model: conv block %d: pool %d is outside [0, %d]", i+1, b.Pool, maxDim)
		}
	}
	for i, w := range a.Dense {
		if w < 1 || w > maxDim {
			return fmt.Errorf("model: dense layer %d: width %d is outside [1, %d]", i+1, w, maxDim)
		}
	}
	return nil
}

// Validate checks the architecture against inputs features and classes
// classes: every size positive, every convolution and pooling left with at
// least one position, and the parameter count bounded.
func (a Arch) Validate(inputs, classes int) error {
	_, err := a.NumParams(inputs, classes)
	return err
}

// NumParams validates the architecture and returns the number of
// trainable values the network Build makes from it would have.
func (a Arch) NumParams(inputs, classes int) (int, error) {
	if err := a.check(); err != nil {
		return 0, err
	}
	if inputs < 1 || inputs > 1<<24 {
		return 0, fmt.Errorf("model: %d input features is outside [1, %d]", inputs, 1<<24)
	}
	if classes < 2 || classes > maxDim {
		return 0, fmt.Errorf("model: %d classes is outside [2, %d]", classes, maxDim)
	}
	s := Shape{1, inputs}
	params := 0.0
	for i, b := range a.Conv {
		span := s.L + 2*b.Padding - b.Kernel
		if span < 0 {
			return 0, fmt.Errorf("model: conv block %d: kernel %d is longer than its input of %d positions plus 2*%d padding (input of %d features)",
				i+1, b.Kernel, s.L, b.Padding, inputs)
		}
		params += float64(b.Filters) * (float64(s.C)*float64(b.Kernel) + 1)
		if a.BatchNorm {
			params += 2 * float64(b.Filters)
		}
		s = Shape{b.Filters, span/b.Stride + 1}
		if b.Pool > 1 {
			if s.L < b.Pool {
				return 0, fmt.Errorf("model: conv block %d: pooling by %d needs at least %d positions, has %d (input of %d features is reduced too often)",
					i+1, b.Pool, b.Pool, s.L, inputs)
			}
			s.L = (s.L-b.Pool)/b.Pool + 1
		}
		if float64(s.C)*float64(s.L) > maxParams {
			return 0, fmt.Errorf("model: conv block %d: output of %v values is too large", i+1, s)
		}
	}
	if h := a.LSTMHidden; h > 0 {
		params += 4 * float64(h) * float64(s.C+h+2)
		if a.LSTMSequence {
			s = Shape{h, s.L}
		} else {
			s = Shape{h, 1}
		}
	}
	f := s.Size()
	for _, w := range a.Dense {
		params += float64(w) * float64(f+1)
		if a.DenseBatchNorm {
			params += 2 * float64(w)
		}
		f = w
	}
	params += float64(classes) * float64(f+1)
	if params > maxParams {
		return 0, fmt.Errorf("model: architecture has %.0f parameters, more than the limit of %d", params, maxParams)
	}
	return int(params), nil
}
