package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnids/cnids/features"
)

// testFile returns a small but complete model file: an encoder fitted on a
// few hand-made NSL-KDD rows and a small cnn.
func testFile(t testing.TB) *File {
	t.Helper()
	s := features.NSLKDD()
	f := features.NewFrame(s, []string{"normal", "DoS", "Probe", "R2L", "U2R"})
	rng := rand.New(rand.NewPCG(1, 2))
	r := features.NewRow(s)
	protos := []string{"tcp", "udp", "icmp"}
	services := []string{"http", "private", "domain_u", "eco_i", "other"}
	flags := []string{"SF", "S0", "REJ"}
	for i := range 40 {
		for j, c := range s.Columns {
			switch c.Name {
			case "protocol_type":
				r.Symbols[j] = protos[i%3]
			case "service":
				r.Symbols[j] = services[i%5]
			case "flag":
				r.Symbols[j] = flags[i%3]
			default:
				r.Values[j] = float64(rng.IntN(100))
			}
		}
		f.Append(r, i%5, "x", -1, i+1)
	}
	enc, err := features.Fit(f, features.EncoderConfig{Scale: "minmax", Log1p: true, Clip: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	arch := Arch{Name: "cnn", Conv: []ConvBlock{{Filters: 4, Kernel: 3, Stride: 1, Padding: 1, Pool: 2}}, Dense: []int{8}, Dropout: 0.5}
	net, err := Build[float32](arch, enc.Width(), 5, rng)
	if err != nil {
		t.Fatal(err)
	}
	return &File{Net: net, Header: Header{
		Classes:   f.Classes,
		Threshold: 0.25,
		Encoder:   enc,
		Semantics: features.KDDSemantics(),
		Training:  Training{Dataset: "nsl-kdd", Seed: 1, Balance: "none"},
	}}
}

func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// reseal recomputes the trailing checksum after a deliberate edit, so that
// the checks behind the checksum are reached.
func reseal(b []byte) []byte {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(slices.Clone(body), sum[:]...)
}

func TestFileRoundTrip(t *testing.T) {
	f := testFile(t)
	data := encode(t, f)
	g, err := Read(data, "mem")
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Net.StateFloat32(), g.Net.StateFloat32()
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("tensor %d changed in the round trip", i)
		}
	}
	if g.Header.Threshold != 0.25 || !slices.Equal(g.Header.Classes, f.Header.Classes) || g.Encoder().Width() != f.Encoder().Width() {
		t.Fatalf("header changed: %+v", g.Header)
	}
	// Identical predictions.
	x := make([]float32, 3*f.Net.Inputs())
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	p1, p2 := make([]float32, 15), make([]float32, 15)
	f.Net.Predict(f.Net.NewWorkspace(3), x, 3, p1)
	g.Net.Predict(g.Net.NewWorkspace(3), x, 3, p2)
	if !slices.Equal(p1, p2) {
		t.Fatal("predictions differ after the round trip")
	}
	// Save and Load through a file.
	path := filepath.Join(t.TempDir(), "x.model")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	if err := g.CheckSemantics(features.KDDSemantics()); err != nil {
		t.Fatal(err)
	}
	other := features.KDDSemantics()
	other.HostWindow = 100
	if err := g.CheckSemantics(other); err == nil || !strings.Contains(err.Error(), "host window") {
		t.Fatalf("a sensor with another host window accepted the model: %v", err)
	}
}

func TestFileCorruption(t *testing.T) {
	good := encode(t, testFile(t))
	hlen := int(binary.LittleEndian.Uint32(good[12:]))
	header := good[16 : 16+hlen]
	edit := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"version", edit(func(b []byte) []byte { b[8] = 9; return b }), "format version 9"},
		{"header length", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<30); return b }), "header length"},
		{"flipped weight bit", edit(func(b []byte) []byte { b[len(b)-40] ^= 1; return b }), "checksum mismatch"},
		{"truncated", good[:len(good)-100], "checksum mismatch"},
		{"appended byte", append(slices.Clone(good), 0), "checksum mismatch"},
		{"bad json", edit(func(b []byte) []byte { b[16] = '['; return reseal(b) }), "header"},
		{"tensor shape", nil, ""}, // built below
		{"threshold", edit(func(b []byte) []byte {
			return reseal(bytes.Replace(b, []byte(`"threshold":0.25`), []byte(`"threshold":1.25`), 1))
		}), "threshold"},
		{"short tensor data", func() []byte {
			b := slices.Clone(good[:len(good)-sha256.Size-4])
			sum := sha256.Sum256(b)
			return append(b, sum[:]...)
		}(), "tensor data"},
		{"nan weight", func() []byte {
			b := slices.Clone(good)
			binary.LittleEndian.PutUint32(b[len(b)-sha256.Size-4:], math.Float32bits(float32(math.NaN())))
			return reseal(b)
		}(), "NaN"},
	}
	for _, c := range cases {
		if c.name == "tensor shape" {
			// The shape edit changes the header bytes in place; rebuild it
			// with the same length so the offsets stay valid.
			b := slices.Clone(good)
			h := bytes.Replace(header, []byte(`"shape":[4,1,3]`), []byte(`"shape":[4,1,5]`), 1)
			if bytes.Equal(h, header) {
				t.Fatal("test setup: the first conv's shape is not in the header")
			}
			copy(b[16:], h)
			c.data, c.want = reseal(b), "tensor 0"
		}
		_, err := Read(c.data, "m.model")
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "m.model") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q (want ErrFormat, the file name and %q)", c.name, err, c.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.model")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	good := encode(f, testFile(f))
	f.Add(good)
	f.Add(good[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data, "fuzz")
		if err != nil {
			return
		}
		// A file that loads must be usable.
		x := make([]float32, m.Net.Inputs())
		p := make([]float32, len(m.Header.Classes))
		m.Net.Predict(m.Net.NewWorkspace(1), x, 1, p)
	})
}
