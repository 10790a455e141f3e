package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestArchJSON(t *testing.T) {
	for _, name := range []string{"cnn", "cnn-lstm"} {
		a, _ := DefaultArch(name)
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseArch(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, back) {
			t.Fatalf("%s: round trip %+v -> %s -> %+v", name, a, b, back)
		}
	}
	a, _ := DefaultArch("cnn")
	b, _ := json.Marshal(a)
	if want := `{"name":"cnn","conv":[{"filters":32,"kernel":3,"stride":1,"padding":1,"pool":2},{"filters":64,"kernel":3,"stride":1,"padding":1,"pool":2}],"dense":[128],"dropout":0.5}`; string(b) != want {
		t.Fatalf("JSON form changed:\n%s\nwant\n%s", b, want)
	}
	for in, want := range map[string]string{
		`{"name":"cnn","conv":[],"dense":[],"dropout":0.5,"extra":1}`: `unknown field "extra"`,
		`{"name":"cnn","dropout":1.5}`:                                "dropout 1.5 is outside [0, 1)",
		`{"name":"x","conv":[{"filters":-1,"kernel":3,"stride":1}]}`:  "conv block 1: filters -1",
		`{"name":"x"} {}`:         "trailing data",
		`{"name":"x","dense":[1,`: "architecture JSON",
		`[]`:                      "architecture JSON",
	} {
		if _, err := ParseArch([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
	// NumParams agrees with a built network, BatchNorm included.
	c := Arch{Name: "x", Conv: []ConvBlock{{8, 5, 2, 2, 3}, {6, 3, 1, 0, 0}}, LSTMHidden: 5, LSTMSequence: true,
		Dense: []int{7, 9}, Dropout: 0.1, BatchNorm: true, DenseBatchNorm: true}
	np, err := c.NumParams(90, 4)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Build[float32](c, 90, 4, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if np != n.NumParams() {
		t.Fatalf("NumParams %d, built %d", np, n.NumParams())
	}
}

// FuzzParseArch: any bytes either fail to parse with an error or give an
// architecture that validates or builds consistently, never a panic.
func FuzzParseArch(f *testing.F) {
	for _, name := range []string{"cnn", "cnn-lstm"} {
		a, _ := DefaultArch(name)
		b, _ := json.Marshal(a)
		f.Add(b, uint16(122), uint8(5))
	}
	f.Add([]byte(`{"name":"x","conv":[{"filters":3,"kernel":9,"stride":4,"padding":7,"pool":3}],"lstm_hidden":2,"lstm_sequence":true,"dense":[3],"dropout":0.9,"batch_norm":true,"dense_batch_norm":true}`), uint16(40), uint8(3))
	f.Add([]byte(`{"name":"x","conv":[{"filters":1,"kernel":1,"stride":1}]}`), uint16(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, inputs uint16, classes uint8) {
		a, err := ParseArch(data)
		if err != nil {
			return
		}
		np, err := a.NumParams(int(inputs), int(classes))
		if err != nil {
			if a.Validate(int(inputs), int(classes)) == nil {
				t.Fatal("NumParams fails but Validate passes")
			}
			return
		}
		if np > 200_000 || int(inputs) > 512 {
			return // valid, but too big to build in a fuzz iteration
		}
		n, err := Build[float32](a, int(inputs), int(classes), newRand(1))
		if err != nil {
			t.Fatalf("validated architecture does not build: %v", err)
		}
		if n.NumParams() != np {
			t.Fatalf("NumParams %d, built %d", np, n.NumParams())
		}
		// It must run, too.
		x := make([]float32, 2*n.Inputs())
		for i := range x {
			x[i] = float32(i%3) * 0.5
		}
		probs := make([]float32, 2*n.Classes())
		n.Predict(n.NewWorkspace(2), x, 2, probs)
		ws := n.NewWorkspace(2)
		logits := n.Forward(ws, x, 2, true, newRand(2))
		d := make([]float32, len(logits))
		SoftmaxCrossEntropy[float32]{}.Loss(logits, []int32{0, 1}, 2, d)
		n.Backward(ws, d)
	})
}
