package balance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
)

// kddPath is the full NSL-KDD training file.
const kddPath = "/work/shared/datasets/nsl-kdd/KDDTrain+.txt.gz"

// kddData is the encoded KDDTrain+.
type kddData struct {
	x       []float32
	cols    int
	y       []int32
	groups  [][]int
	classes []string
}

// loadKDD reads and encodes KDDTrain+ as the trainer does (min-max
// scaling, one-hot blocks), skipping when the file is absent.
func loadKDD(tb testing.TB) kddData {
	tb.Helper()
	if _, err := os.Stat(kddPath); err != nil {
		tb.Skipf("KDDTrain+ not available: %v", err)
	}
	f, _, err := dataset.ReadFile(kddPath, dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		tb.Fatal(err)
	}
	enc, err := features.Fit(f, features.EncoderConfig{Scale: "minmax"}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		tb.Fatal(err)
	}
	x, _, err := enc.Transform(f)
	if err != nil {
		tb.Fatal(err)
	}
	return kddData{x: x.Data().([]float32), cols: enc.Width(), y: f.Y, groups: enc.OneHotGroups(), classes: f.Classes}
}

func (k kddData) dense() *tensor.Dense {
	return tensor.New(tensor.WithShape(len(k.y), k.cols), tensor.WithBacking(k.x))
}

// dense wraps a row-major slice.
func dense(x []float32, cols int) *tensor.Dense {
	return tensor.New(tensor.WithShape(len(x)/cols, cols), tensor.WithBacking(x))
}

// countOf counts labels per class.
func countOf(y []int32, nc int) []int {
	out := make([]int, nc)
	for _, c := range y {
		out[c]++
	}
	return out
}

// writeNpy writes a little-endian NumPy array: data is []float32 or
// []int32; shape its dimensions.
func writeNpy(path string, data any, shape ...int) error {
	var descr string
	var body bytes.Buffer
	switch d := data.(type) {
	case []float32:
		descr = "<f4"
		if err := binary.Write(&body, binary.LittleEndian, d); err != nil {
			return err
		}
	case []int32:
		descr = "<i4"
		if err := binary.Write(&body, binary.LittleEndian, d); err != nil {
			return err
		}
	default:
		return fmt.Errorf("writeNpy: unsupported %T", data)
	}
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var out bytes.Buffer
	out.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&out, binary.LittleEndian, uint16(len(h)))
	out.WriteString(h)
	out.Write(body.Bytes())
	return os.WriteFile(path, out.Bytes(), 0o644)
}

var npyHeader = regexp.MustCompile(`'descr':\s*'([<|]?[a-z]\d)'.*'shape':\s*\(([\d,\s]*)\)`)

// readNpy reads a NumPy array of float32, float64, int32, int64 or bool
// as float64 values (exact for the integers and floats used here).
func readNpy(path string) ([]float64, []int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hl, off int
	if b[6] == 1 {
		hl, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	} else {
		hl, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	}
	hdr := string(b[off : off+hl])
	if strings.Contains(hdr, "'fortran_order': True") {
		return nil, nil, fmt.Errorf("%s: Fortran order", path)
	}
	mt := npyHeader.FindStringSubmatch(hdr)
	if mt == nil {
		return nil, nil, fmt.Errorf("%s: header %q", path, hdr)
	}
	var shape []int
	n := 1
	for _, s := range strings.Split(mt[2], ",") {
		if s = strings.TrimSpace(s); s != "" {
			v, _ := strconv.Atoi(s)
			shape = append(shape, v)
			n *= v
		}
	}
	body := b[off+hl:]
	out := make([]float64, n)
	switch strings.TrimLeft(mt[1], "<|") {
	case "f4":
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])))
		}
	case "f8":
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
	case "i4":
		for i := range out {
			out[i] = float64(int32(binary.LittleEndian.Uint32(body[4*i:])))
		}
	case "i8":
		for i := range out {
			out[i] = float64(int64(binary.LittleEndian.Uint64(body[8*i:])))
		}
	case "b1":
		for i := range out {
			out[i] = float64(body[i])
		}
	default:
		return nil, nil, fmt.Errorf("%s: unsupported dtype %s", path, mt[1])
	}
	return out, shape, nil
}

// sqDist is the plain squared Euclidean distance of two rows, in float64.
func sqDist(a, b []float32) float64 {
	var d float64
	for j := range a {
		t := float64(a[j]) - float64(b[j])
		d += t * t
	}
	return d
}
