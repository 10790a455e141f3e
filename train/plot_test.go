package train

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePNG reads path as a PNG and checks its size is sensible.
func decodePNG(t *testing.T, path string, minW, minH int) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < minW || b.Dy() < minH || b.Dx() > 4000 || b.Dy() > 4000 {
		t.Errorf("%s: %d×%d pixels, want at least %d×%d and at most 4000×4000", path, b.Dx(), b.Dy(), minW, minH)
	}
	return img
}

// countNear counts pixels within distance 12 (per channel) of c. The
// figures are opaque, so RGBA and NRGBA pixels compare alike.
func countNear(img image.Image, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	want := [3]uint32{r0 >> 8, g0 >> 8, b0 >> 8}
	var pix []uint8
	switch im := img.(type) {
	case *image.RGBA:
		pix = im.Pix
	case *image.NRGBA:
		pix = im.Pix
	default:
		b := img.Bounds()
		rgba := image.NewRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		pix = rgba.Pix
	}
	n := 0
	for i := 0; i+3 < len(pix); i += 4 {
		if absDiff(uint32(pix[i]), want[0]) <= 12 && absDiff(uint32(pix[i+1]), want[1]) <= 12 && absDiff(uint32(pix[i+2]), want[2]) <= 12 {
			n++
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// sameFile checks that rendering twice gave identical bytes.
func sameFile(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s and %s differ: plotting is not deterministic", a, b)
	}
}

// nslClasses returns the NSL-KDD class names.
func nslClasses() []string { return []string{"normal", "DoS", "Probe", "R2L", "U2R"} }

func TestPlotClassDistribution(t *testing.T) {
	dir := t.TempDir()
	counts := [][]int{{67343, 45927, 11656, 995, 52}, {67343, 45927, 20000, 20000, 20000}}
	labels := []string{"original", "balanced"}
	for _, logScale := range []bool{false, true} {
		a := filepath.Join(dir, "a.png")
		b := filepath.Join(dir, "b.png")
		for _, p := range []string{a, b} {
			if err := PlotClassDistribution(p, "NSL-KDD", nslClasses(), counts, labels, logScale); err != nil {
				t.Fatal(err)
			}
		}
		img := decodePNG(t, a, 500, 400)
		sameFile(t, a, b)
		if countNear(img, seriesColor(0)) < 1000 || countNear(img, seriesColor(1)) < 1000 {
			t.Errorf("log=%v: bars of both series not drawn", logScale)
		}
	}

	// Bar areas follow the counts. Linear: {100, 100} has twice the bar
	// area of {100, 0}.
	area := func(counts []int, logScale bool) int {
		p := filepath.Join(dir, "area.png")
		if err := PlotClassDistribution(p, "t", []string{"a", "b"}, [][]int{counts}, []string{"s"}, logScale); err != nil {
			t.Fatal(err)
		}
		return countNear(decodePNG(t, p, 400, 300), seriesColor(0))
	}
	if r := float64(area([]int{100, 100}, false)) / float64(area([]int{100, 0}, false)); math.Abs(r-2) > 0.1 {
		t.Errorf("linear: area ratio %v, want 2", r)
	} else {
		t.Logf("linear: area ratio %.4f, want 2", r)
	}
	// Log scale: bars rise from 0.5, so heights are ln(count/0.5):
	// {1000, 10} / {1000, 0} = (ln 2000 + ln 20) / ln 2000 ≈ 1.394.
	want := (math.Log(2000) + math.Log(20)) / math.Log(2000)
	if r := float64(area([]int{1000, 10}, true)) / float64(area([]int{1000, 0}, true)); math.Abs(r-want) > 0.05 {
		t.Errorf("log: area ratio %v, want %v", r, want)
	} else {
		t.Logf("log: area ratio %.4f, want %.4f", r, want)
	}

	p := filepath.Join(dir, "bad.png")
	for _, c := range []struct {
		name    string
		classes []string
		series  [][]int
		labels  []string
		log     bool
		want    string
	}{
		{"no classes", nil, [][]int{{}}, []string{"a"}, false, "no classes"},
		{"no series", nslClasses(), nil, nil, false, "no count series"},
		{"labels", nslClasses(), counts, []string{"a"}, false, "1 labels for 2"},
		{"ragged", nslClasses(), [][]int{{1, 2}}, []string{"a"}, false, "has 2 counts for 5 classes"},
		{"negative", []string{"a", "b"}, [][]int{{1, -2}}, []string{"s"}, false, `class "b": negative count -2`},
		{"all zero log", []string{"a"}, [][]int{{0}}, []string{"s"}, true, "every count is 0"},
	} {
		err := PlotClassDistribution(p, "t", c.classes, c.series, c.labels, c.log)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("a failed plot left a file")
	}
	// All-zero counts on a linear scale are legitimate.
	if err := PlotClassDistribution(p, "t", []string{"a"}, [][]int{{0}}, []string{"s"}, false); err != nil {
		t.Error(err)
	}
	// Output errors name the path.
	if err := PlotClassDistribution(filepath.Join(dir, "missing", "x.png"), "t", nslClasses(), counts, labels, true); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unwritable path: %v", err)
	}
	if err := PlotClassDistribution(filepath.Join(dir, "noext"), "t", nslClasses(), counts, labels, true); err == nil || !strings.Contains(err.Error(), "extension") {
		t.Errorf("no extension: %v", err)
	}
	if err := PlotClassDistribution(filepath.Join(dir, "x.bmp"), "t", nslClasses(), counts, labels, true); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPlotHistograms(t *testing.T) {
	dir := t.TempDir()
	names := []string{"duration", "src_bytes", "flag_sf", "all_nan", "constant"}
	cols := make([][]float64, len(names))
	for i := range 1000 {
		cols[0] = append(cols[0], float64(i%37))
		cols[1] = append(cols[1], math.Log1p(float64(i*i)))
		cols[2] = append(cols[2], float64(i%2))
		cols[3] = append(cols[3], math.NaN())
		cols[4] = append(cols[4], 3)
	}
	cols[0][5] = math.NaN()
	cols[1][7] = math.Inf(1)
	a := filepath.Join(dir, "a.png")
	b := filepath.Join(dir, "b.png")
	for _, p := range []string{a, b} {
		if err := PlotHistograms(p, "features", names, cols, 20); err != nil {
			t.Fatal(err)
		}
	}
	img := decodePNG(t, a, 600, 400)
	sameFile(t, a, b)
	if countNear(img, seriesColor(0)) < 2000 {
		t.Error("histogram bars not drawn")
	}
	// A single column, a single bin.
	if err := PlotHistograms(a, "one", []string{"x"}, [][]float64{{1, 2, 3}}, 1); err != nil {
		t.Error(err)
	}
	decodePNG(t, a, 200, 150)
	for _, c := range []struct {
		names []string
		cols  [][]float64
		bins  int
		want  string
	}{
		{nil, nil, 10, "no columns"},
		{[]string{"a"}, [][]float64{{1}, {2}}, 10, "1 names for 2 columns"},
		{[]string{"a"}, [][]float64{{1}}, 0, "bins = 0"},
		{[]string{"a"}, [][]float64{{1}}, 100001, "bins = 100001"},
	} {
		err := PlotHistograms(filepath.Join(dir, "bad.png"), "t", c.names, c.cols, c.bins)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

func TestPlotConfusionMatrix(t *testing.T) {
	dir := t.TempDir()
	// Perfect classifier: every off-diagonal cell is 0, every diagonal
	// cell 1.0, so the darkest palette colour fills exactly k cells.
	var yt, yp []int32
	for c := range 5 {
		for range (c + 1) * 10 {
			yt = append(yt, int32(c))
			yp = append(yp, int32(c))
		}
	}
	cm, err := ConfusionFrom(yt, yp, 5)
	if err != nil {
		t.Fatal(err)
	}
	dark := color.RGBA{8, 48, 107, 255} // ColorBrewer Blues, darkest of 9
	for _, normalise := range []bool{false, true} {
		a := filepath.Join(dir, "a.png")
		b := filepath.Join(dir, "b.png")
		for _, p := range []string{a, b} {
			if err := PlotConfusionMatrix(p, cm, nslClasses(), normalise); err != nil {
				t.Fatal(err)
			}
		}
		img := decodePNG(t, a, 400, 400)
		sameFile(t, a, b)
		bounds := img.Bounds()
		frac := float64(countNear(img, dark)) / float64(bounds.Dx()*bounds.Dy())
		// 5 of 25 cells, the cells covering roughly 70% of the image.
		if frac < 0.08 || frac > 0.2 {
			t.Errorf("normalise=%v: dark cells cover %.3f of the image, want about 0.14", normalise, frac)
		}
		t.Logf("normalise=%v: dark cells cover %.3f of the image", normalise, frac)
	}
	// A class with no rows is drawn (grey), not an error.
	yt = append(yt[:0], 0, 0, 1)
	yp = append(yp[:0], 0, 1, 1)
	cm3, _ := ConfusionFrom(yt, yp, 3)
	p := filepath.Join(dir, "c.png")
	if err := PlotConfusionMatrix(p, cm3, []string{"a", "b", "c"}, true); err != nil {
		t.Fatal(err)
	}
	if countNear(decodePNG(t, p, 400, 400), color.Gray{Y: 225}) < 1000 {
		t.Error("empty class row not grey")
	}
	empty, _ := NewConfusionMatrix(3)
	for _, c := range []struct {
		cm    ConfusionMatrix
		names []string
		want  string
	}{
		{cm, nslClasses()[:4], "4 class names for 5 classes"},
		{empty, []string{"a", "b", "c"}, "empty"},
		{ConfusionMatrix{}, nil, "no classes"},
	} {
		err := PlotConfusionMatrix(filepath.Join(dir, "bad.png"), c.cm, c.names, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

func TestPlotLearningCurves(t *testing.T) {
	dir := t.TempDir()
	var epochs []EpochRecord
	for e := 1; e <= 20; e++ {
		l := 1 / float64(e)
		epochs = append(epochs, EpochRecord{Epoch: e, TrainLoss: l, ValLoss: 1.1 * l, ValAccuracy: 1 - l/2, ValMacroF1: 1 - l, LR: 1e-3, Seconds: 2})
	}
	epochs[4].ValLoss = math.NaN()
	a := filepath.Join(dir, "a.png")
	b := filepath.Join(dir, "b.png")
	for _, p := range []string{a, b} {
		if err := PlotLearningCurves(p, epochs); err != nil {
			t.Fatal(err)
		}
	}
	img := decodePNG(t, a, 600, 500)
	sameFile(t, a, b)
	for s := range 4 {
		if countNear(img, seriesColor(s)) < 50 {
			t.Errorf("series %d not drawn", s)
		}
	}
	// Without validation (NaN), only the training loss is drawn.
	noVal := make([]EpochRecord, len(epochs))
	for i, e := range epochs {
		noVal[i] = EpochRecord{Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: math.NaN(), ValAccuracy: math.NaN(), ValMacroF1: math.NaN()}
	}
	if err := PlotLearningCurves(a, noVal); err != nil {
		t.Fatal(err)
	}
	img = decodePNG(t, a, 600, 500)
	if countNear(img, seriesColor(0)) < 50 || countNear(img, seriesColor(1)) > 0 || countNear(img, seriesColor(2)) > 0 {
		t.Error("NaN series drawn, or training loss missing")
	}
	// One epoch.
	if err := PlotLearningCurves(a, epochs[:1]); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		epochs []EpochRecord
		want   string
	}{
		{nil, "no epochs"},
		{[]EpochRecord{{Epoch: 2, TrainLoss: 1}, {Epoch: 2, TrainLoss: 1}}, "epoch 2 after epoch 2"},
		{[]EpochRecord{{Epoch: 1, TrainLoss: math.NaN(), ValLoss: math.Inf(1), ValAccuracy: math.NaN(), ValMacroF1: math.NaN()}}, "no finite"},
	} {
		err := PlotLearningCurves(filepath.Join(dir, "bad.png"), c.epochs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

func TestEpochRecordJSON(t *testing.T) {
	e := EpochRecord{Epoch: 3, TrainLoss: 0.5, ValLoss: math.NaN(), ValAccuracy: 0.75, ValMacroF1: math.Inf(1), LR: 0.001, Seconds: 1.5}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"epoch":3,"train_loss":0.5,"val_loss":null,"val_accuracy":0.75,"val_macro_f1":null,"lr":0.001,"seconds":1.5}`
	if string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
	var back EpochRecord
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Epoch != 3 || back.TrainLoss != 0.5 || !math.IsNaN(back.ValLoss) || !math.IsNaN(back.ValMacroF1) || back.LR != 0.001 {
		t.Errorf("round trip = %+v", back)
	}
	// A slice of records, as a trainer would write its history.
	if _, err := json.Marshal([]EpochRecord{e, e}); err != nil {
		t.Error(err)
	}
	if err := json.Unmarshal([]byte(`{"epoch":"x"}`), &back); err == nil || !strings.Contains(err.Error(), "epoch record JSON") {
		t.Errorf("bad JSON: %v", err)
	}
}

// FuzzEpochRecordJSON checks that the epoch-record decoder never panics
// and that what it accepts re-encodes.
func FuzzEpochRecordJSON(f *testing.F) {
	f.Add([]byte(`{"epoch":3,"train_loss":0.5,"val_loss":null,"val_accuracy":0.75,"val_macro_f1":null,"lr":0.001,"seconds":1.5}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"epoch":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e EpochRecord
		if err := json.Unmarshal(data, &e); err != nil {
			return
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back EpochRecord
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("decode own output %s: %v", out, err)
		}
		if back.Epoch != e.Epoch || !sameFloat(back.TrainLoss, e.TrainLoss) || !sameFloat(back.ValMacroF1, e.ValMacroF1) {
			t.Fatalf("round trip %+v → %+v", e, back)
		}
	})
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
