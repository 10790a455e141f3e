package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// EpochRecord is the per-epoch record of a training run, as the trainer
// fills it and PlotLearningCurves draws it. A metric that was not measured
// in an epoch (no validation set, say) is NaN; in JSON a NaN or infinite
// field is written as null and read back as NaN.
type EpochRecord struct {
	// Epoch is the epoch number, strictly increasing along a run.
	Epoch int `json:"epoch"`
	// TrainLoss is the mean training loss over the epoch.
	TrainLoss float64 `json:"train_loss"`
	// ValLoss is the validation loss after the epoch.
	ValLoss float64 `json:"val_loss"`
	// ValAccuracy and ValMacroF1 are validation scores after the epoch.
	ValAccuracy float64 `json:"val_accuracy"` // validation accuracy
	ValMacroF1  float64 `json:"val_macro_f1"` // validation macro-F1
	// LR is the learning rate used in the epoch.
	LR float64 `json:"lr"`
	// Seconds is the epoch's wall-clock duration.
	Seconds float64 `json:"seconds"`
}

// epochJSON is EpochRecord with nullable numbers.
type epochJSON struct {
	Epoch       int      `json:"epoch"`
	TrainLoss   *float64 `json:"train_loss"`
	ValLoss     *float64 `json:"val_loss"`
	ValAccuracy *float64 `json:"val_accuracy"`
	ValMacroF1  *float64 `json:"val_macro_f1"`
	LR          *float64 `json:"lr"`
	Seconds     *float64 `json:"seconds"`
}

// MarshalJSON writes the record with snake_case names, non-finite values
// as null (encoding/json cannot represent NaN or infinities).
func (e EpochRecord) MarshalJSON() ([]byte, error) {
	opt := func(v float64) *float64 {
		if !finite(v) {
			return nil
		}
		return &v
	}
	return json.Marshal(epochJSON{
		Epoch: e.Epoch, TrainLoss: opt(e.TrainLoss), ValLoss: opt(e.ValLoss),
		ValAccuracy: opt(e.ValAccuracy), ValMacroF1: opt(e.ValMacroF1),
		LR: opt(e.LR), Seconds: opt(e.Seconds),
	})
}

// UnmarshalJSON reads the form written by MarshalJSON; null or missing
// numbers become NaN.
func (e *EpochRecord) UnmarshalJSON(data []byte) error {
	var j epochJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("train: epoch record JSON: %w", err)
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*e = EpochRecord{
		Epoch: j.Epoch, TrainLoss: val(j.TrainLoss), ValLoss: val(j.ValLoss),
		ValAccuracy: val(j.ValAccuracy), ValMacroF1: val(j.ValMacroF1),
		LR: val(j.LR), Seconds: val(j.Seconds),
	}
	return nil
}

// seriesColor returns the colour of series i: gonum's plotutil.SoftColors,
// fixed here rather than read from plotutil's mutable package variable.
func seriesColor(i int) color.Color {
	soft := [...]color.RGBA{
		{241, 90, 96, 255}, {122, 195, 106, 255}, {90, 155, 212, 255}, {250, 167, 91, 255},
		{158, 103, 171, 255}, {206, 112, 88, 255}, {215, 127, 180, 255},
	}
	return soft[i%len(soft)]
}

// seriesDashes returns the dash pattern of series i.
func seriesDashes(i int) []vg.Length {
	switch i % 4 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(2)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	case 3:
		return []vg.Length{vg.Points(1), vg.Points(1)}
	}
	return nil
}

// seriesShape returns the point glyph of series i.
func seriesShape(i int) draw.GlyphDrawer {
	switch i % 4 {
	case 1:
		return draw.SquareGlyph{}
	case 2:
		return draw.TriangleGlyph{}
	case 3:
		return draw.CrossGlyph{}
	}
	return draw.RingGlyph{}
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// writeFigure renders a figure of size w×h in the format named by path's
// extension (png as intended; svg and pdf also work) and writes it to path.
// It renders into memory first, so a failed rendering leaves no partial
// file. A panic inside the plotting library is turned into an error: every
// input is validated before drawing, so this is only a last guard that
// keeps a plotting bug from killing a finished training run.
func writeFigure(path string, w, h vg.Length, drawFn func(dc draw.Canvas) error) (err error) {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if format == "" {
		return fmt.Errorf("train: plot %s: no file extension to choose the image format (want .png)", path)
	}
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("train: plot %s: %w", path, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: plot %s: plotting library failed: %v", path, r)
		}
	}()
	if err := drawFn(draw.New(c)); err != nil {
		return fmt.Errorf("train: plot %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("train: plot %s: encoding: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("train: plot %s: %w", path, err)
	}
	return nil
}

// rotateTicks tilts the tick labels of a nominal X axis when they would
// otherwise collide.
func rotateTicks(p *plot.Plot, names []string, perName vg.Length) {
	longest := 0
	for _, n := range names {
		longest = max(longest, len([]rune(n)))
	}
	if vg.Length(longest)*vg.Points(6) > perName {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
	}
}

// PlotClassDistribution draws a grouped bar chart of class counts to path:
// one bar group per class and one bar series per labels entry, for example
// before and after balancing; each bar is annotated with its count. With
// logScale the count axis is logarithmic (bars rise from 0.5, so a class of
// one row still shows), which makes 52 U2R rows visible next to 67,343
// normal ones. series[i] must have one non-negative count per class.
func PlotClassDistribution(path, title string, classes []string, series [][]int, labels []string, logScale bool) error {
	if len(classes) == 0 {
		return fmt.Errorf("train: plot %s: no classes", path)
	}
	if len(series) == 0 {
		return fmt.Errorf("train: plot %s: no count series", path)
	}
	if len(labels) != len(series) {
		return fmt.Errorf("train: plot %s: %d labels for %d count series", path, len(labels), len(series))
	}
	maxCount := 0
	for s, counts := range series {
		if len(counts) != len(classes) {
			return fmt.Errorf("train: plot %s: series %q has %d counts for %d classes", path, labels[s], len(counts), len(classes))
		}
		for c, v := range counts {
			if v < 0 {
				return fmt.Errorf("train: plot %s: series %q, class %q: negative count %d", path, labels[s], classes[c], v)
			}
			maxCount = max(maxCount, v)
		}
	}
	if logScale && maxCount == 0 {
		return fmt.Errorf("train: plot %s: every count is 0, nothing to draw on a log scale", path)
	}

	nc, ns := len(classes), len(series)
	groupW := max(vg.Inch*0.7, vg.Inch*0.3*vg.Length(ns))
	width := min(max(6*vg.Inch, 1.5*vg.Inch+groupW*vg.Length(nc)), 30*vg.Inch)
	height := 5 * vg.Inch
	barW := (width - 1.5*vg.Inch) / vg.Length(nc) * 0.8 / vg.Length(ns)

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "class"
	p.Y.Label.Text = "rows"
	p.NominalX(classes...)
	rotateTicks(p, classes, (width-1.5*vg.Inch)/vg.Length(nc))
	p.Add(plotter.NewGrid())
	const floor = 0.5 // bottom of the bars on a log scale
	var base *plotter.BarChart
	if logScale {
		p.Y.Label.Text = "rows (log scale)"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = floor
		p.Y.Max = float64(maxCount) * 8
		// plotter.BarChart starts bars at 0, which a log scale cannot map:
		// stack the bars on an undrawn base of height floor instead.
		vals := make(plotter.Values, nc)
		for i := range vals {
			vals[i] = floor
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return fmt.Errorf("train: plot %s: %w", path, err)
		}
		base = b
	} else {
		p.Y.Min = 0
		p.Y.Max = math.Max(1, float64(maxCount)*1.15)
	}
	rotateLabels := barW < vg.Points(30)
	for s, counts := range series {
		vals := make(plotter.Values, nc)
		xys := make(plotter.XYs, nc)
		texts := make([]string, nc)
		for c, v := range counts {
			vals[c] = float64(v)
			xys[c] = plotter.XY{X: float64(c), Y: float64(v)}
			if logScale {
				vals[c] = math.Max(0, float64(v)-floor)
				xys[c].Y = math.Max(floor, float64(v))
			}
			texts[c] = strconv.Itoa(v)
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return fmt.Errorf("train: plot %s: %w", path, err)
		}
		if base != nil {
			bars.StackOn(base)
		}
		bars.Offset = (vg.Length(s) - vg.Length(ns-1)/2) * barW
		bars.Color = seriesColor(s)
		bars.LineStyle.Width = vg.Points(0.5)
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return fmt.Errorf("train: plot %s: %w", path, err)
		}
		lbl.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		for i := range lbl.TextStyle {
			lbl.TextStyle[i].Font.Size = vg.Points(7)
			lbl.TextStyle[i].XAlign = draw.XCenter
			if rotateLabels {
				lbl.TextStyle[i].Rotation = math.Pi / 2
				lbl.TextStyle[i].XAlign = draw.XLeft
				lbl.TextStyle[i].YAlign = draw.YCenter
			}
		}
		p.Add(bars, lbl)
		p.Legend.Add(labels[s], bars)
	}
	p.Legend.Top = true
	return writeFigure(path, width, height, func(dc draw.Canvas) error {
		p.Draw(dc)
		return nil
	})
}

// PlotHistograms draws one histogram per column, with bins equal-width bins
// over the column's finite range, in a grid of panels in one image under a
// common title. NaN and ±Inf values are skipped, and each panel's title
// says how many were; a column with no finite value gets a panel that says
// so. Heavy-tailed columns read better after log1p, as the encoder applies.
func PlotHistograms(path, title string, names []string, columns [][]float64, bins int) error {
	if len(columns) == 0 {
		return fmt.Errorf("train: plot %s: no columns", path)
	}
	if len(names) != len(columns) {
		return fmt.Errorf("train: plot %s: %d names for %d columns", path, len(names), len(columns))
	}
	if bins < 1 || bins > 10000 {
		return fmt.Errorf("train: plot %s: bins = %d out of range [1, 10000]", path, bins)
	}
	n := len(columns)
	cols := min(int(math.Ceil(math.Sqrt(float64(n)))), 6)
	rows := (n + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, col := range columns {
		p := plot.New()
		p.Title.TextStyle.Font.Size = vg.Points(9)
		p.X.Tick.Label.Font.Size = vg.Points(7)
		p.Y.Tick.Label.Font.Size = vg.Points(7)
		p.Y.Label.TextStyle.Font.Size = vg.Points(7)
		p.Y.Label.Text = "rows"
		vals := make(plotter.Values, 0, len(col))
		var nan, inf int
		for _, v := range col {
			switch {
			case math.IsNaN(v):
				nan++
			case math.IsInf(v, 0):
				inf++
			default:
				vals = append(vals, v)
			}
		}
		var skipped []string
		if nan > 0 {
			skipped = append(skipped, fmt.Sprintf("%d NaN", nan))
		}
		if inf > 0 {
			skipped = append(skipped, fmt.Sprintf("%d ±Inf", inf))
		}
		p.Title.Text = names[i]
		if len(skipped) > 0 {
			p.Title.Text += " (" + strings.Join(skipped, ", ") + " skipped)"
		}
		if len(vals) == 0 {
			lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 0.5, Y: 0.5}}, Labels: []string{"no finite values"}})
			if err != nil {
				return fmt.Errorf("train: plot %s: %w", path, err)
			}
			lbl.TextStyle[0].XAlign = draw.XCenter
			lbl.TextStyle[0].YAlign = draw.YCenter
			p.Add(lbl)
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
			p.Y.Label.Text = ""
			p.HideAxes()
		} else {
			h, err := plotter.NewHist(vals, bins)
			if err != nil {
				return fmt.Errorf("train: plot %s: column %q: %w", path, names[i], err)
			}
			h.FillColor = seriesColor(0)
			h.LineStyle.Width = vg.Points(0.3)
			p.Add(h)
		}
		plots[i/cols][i%cols] = p
	}
	titleH := 0.5 * vg.Inch
	width := vg.Length(cols) * 3 * vg.Inch
	height := vg.Length(rows)*2.3*vg.Inch + titleH
	return writeFigure(path, width, height, func(dc draw.Canvas) error {
		st := plot.New().Title.TextStyle
		st.Font.Size = vg.Points(14)
		st.XAlign = draw.XCenter
		st.YAlign = draw.YCenter
		dc.FillText(st, vg.Point{X: width / 2, Y: height - titleH/2}, title)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: titleH, PadX: vg.Points(8), PadY: vg.Points(8),
			PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
		canvases := plot.Align(plots, tiles, dc)
		for r := range plots {
			for c := range plots[r] {
				if plots[r][c] != nil {
					plots[r][c].Draw(canvases[r][c])
				}
			}
		}
		return nil
	})
}

// cmGrid adapts a confusion matrix to plotter.GridXYZ: column c is the
// predicted class, grid row r is true class k−1−r (so class 0 is at the
// top), and Z is the fraction of the true class predicted as c (NaN for a
// class with no rows). Min and Max fix the colour range to [0, 1]. The
// exported methods implement plotter.GridXYZ.
type cmGrid struct {
	k    int
	frac []float64 // row-major by true class
}

// Dims returns the grid size: k columns and k rows.
func (g cmGrid) Dims() (c, r int) { return g.k, g.k }

// Z returns the fraction of true class k−1−r predicted as c.
func (g cmGrid) Z(c, r int) float64 { return g.frac[(g.k-1-r)*g.k+c] }

// X returns the x coordinate of column c.
func (g cmGrid) X(c int) float64 { return float64(c) }

// Y returns the y coordinate of row r.
func (g cmGrid) Y(r int) float64 { return float64(r) }

// Min returns the bottom of the colour range.
func (g cmGrid) Min() float64 { return 0 }

// Max returns the top of the colour range.
func (g cmGrid) Max() float64 { return 1 }

// trueClass returns the true class of grid row r.
func (g cmGrid) trueClass(r int) int { return g.k - 1 - r }

// at returns the fraction of true class t predicted as p.
func (g cmGrid) at(t, p int) float64 { return g.frac[t*g.k+p] }

// cell returns the plot position of the cell of true class t, predicted p.
func (g cmGrid) cell(t, p int) plotter.XY {
	return plotter.XY{X: float64(p), Y: float64(g.k - 1 - t)}
}

// PlotConfusionMatrix draws cm as a heat map with class names on both axes
// (true class down the side, predicted class along the bottom) and each
// cell's count, or with normalise its fraction of the true class, written
// in it. The colour is always the fraction of the true class, so that the
// rows of rare classes stay as readable as those of common ones; a class
// with no rows is grey.
func PlotConfusionMatrix(path string, cm ConfusionMatrix, classes []string, normalise bool) error {
	k := cm.Classes()
	if k < 1 {
		return fmt.Errorf("train: plot %s: confusion matrix has no classes", path)
	}
	if len(classes) != k {
		return fmt.Errorf("train: plot %s: %d class names for %d classes", path, len(classes), k)
	}
	if cm.Total() == 0 {
		return fmt.Errorf("train: plot %s: confusion matrix is empty", path)
	}
	g := cmGrid{k: k, frac: make([]float64, k*k)}
	for t := range k {
		sup := cm.Support(t)
		for p := range k {
			g.frac[t*k+p] = math.NaN()
			if sup > 0 {
				g.frac[t*k+p] = float64(cm.At(t, p)) / float64(sup)
			}
		}
	}
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return fmt.Errorf("train: plot %s: %w", path, err)
	}
	hm := plotter.NewHeatMap(g, pal)
	hm.NaN = color.Gray{Y: 225}

	xys := make(plotter.XYs, 0, k*k)
	texts := make([]string, 0, k*k)
	for t := range k {
		for p := range k {
			xys = append(xys, g.cell(t, p))
			switch {
			case !normalise:
				texts = append(texts, strconv.FormatInt(cm.At(t, p), 10))
			case math.IsNaN(g.at(t, p)):
				texts = append(texts, "-")
			default:
				texts = append(texts, strconv.FormatFloat(g.at(t, p), 'f', 3, 64))
			}
		}
	}
	lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return fmt.Errorf("train: plot %s: %w", path, err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].XAlign = draw.XCenter
		lbl.TextStyle[i].YAlign = draw.YCenter
		lbl.TextStyle[i].Font.Size = vg.Points(9)
		if f := g.at(i/k, i%k); f > 0.55 {
			lbl.TextStyle[i].Color = color.White
		}
	}

	side := min(max(5*vg.Inch, 2*vg.Inch+0.8*vg.Inch*vg.Length(k)), 16*vg.Inch)
	p := plot.New()
	if normalise {
		p.Title.Text = "Confusion matrix (fraction of each true class)"
	} else {
		p.Title.Text = "Confusion matrix (counts; colour: fraction of each true class)"
	}
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	xt := make(plot.ConstantTicks, k)
	yt := make(plot.ConstantTicks, k)
	for i := range k {
		xt[i] = plot.Tick{Value: float64(i), Label: classes[i]}
		yt[i] = plot.Tick{Value: float64(i), Label: classes[g.trueClass(i)]}
	}
	p.X.Tick.Marker = xt
	p.Y.Tick.Marker = yt
	rotateTicks(p, classes, (side-2*vg.Inch)/vg.Length(k))
	p.Add(hm, lbl)
	return writeFigure(path, side, side, func(dc draw.Canvas) error {
		p.Draw(dc)
		return nil
	})
}

// PlotLearningCurves draws a training run in two aligned panels sharing the
// epoch axis: training and validation loss above, validation macro-F1 and
// accuracy (on [0, 1]) below. Non-finite values (NaN for "not measured",
// or a diverged loss) are left out and the legend says how many. Epoch
// numbers must be strictly increasing.
func PlotLearningCurves(path string, epochs []EpochRecord) error {
	if len(epochs) == 0 {
		return fmt.Errorf("train: plot %s: no epochs", path)
	}
	for i := 1; i < len(epochs); i++ {
		if epochs[i].Epoch <= epochs[i-1].Epoch {
			return fmt.Errorf("train: plot %s: epoch record %d has epoch %d after epoch %d; epochs must increase", path, i, epochs[i].Epoch, epochs[i-1].Epoch)
		}
	}
	loss := plot.New()
	loss.Title.Text = "Learning curves"
	loss.Y.Label.Text = "loss"
	loss.Add(plotter.NewGrid())
	score := plot.New()
	score.X.Label.Text = "epoch"
	score.Y.Label.Text = "validation score"
	score.Y.Min, score.Y.Max = 0, 1
	score.Add(plotter.NewGrid())
	drawn := 0
	add := func(p *plot.Plot, name string, style int, get func(EpochRecord) float64) error {
		xys := make(plotter.XYs, 0, len(epochs))
		for _, e := range epochs {
			if v := get(e); finite(v) {
				xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: v})
			}
		}
		if len(xys) == 0 {
			return nil
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		l.Color = seriesColor(style)
		l.Width = vg.Points(1.5)
		l.Dashes = seriesDashes(style)
		pts.Color = seriesColor(style)
		pts.Shape = seriesShape(style)
		pts.Radius = vg.Points(2)
		if miss := len(epochs) - len(xys); miss > 0 {
			name += fmt.Sprintf(" (%d non-finite left out)", miss)
		}
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
		drawn++
		return nil
	}
	for _, s := range []struct {
		p     *plot.Plot
		name  string
		style int
		get   func(EpochRecord) float64
	}{
		{loss, "training loss", 0, func(e EpochRecord) float64 { return e.TrainLoss }},
		{loss, "validation loss", 1, func(e EpochRecord) float64 { return e.ValLoss }},
		{score, "validation macro-F1", 2, func(e EpochRecord) float64 { return e.ValMacroF1 }},
		{score, "validation accuracy", 3, func(e EpochRecord) float64 { return e.ValAccuracy }},
	} {
		if err := add(s.p, s.name, s.style, s.get); err != nil {
			return fmt.Errorf("train: plot %s: %s: %w", path, s.name, err)
		}
	}
	if drawn == 0 {
		return fmt.Errorf("train: plot %s: no finite loss or score in %d epochs", path, len(epochs))
	}
	for _, p := range []*plot.Plot{loss, score} {
		p.Legend.Top = true
		p.Legend.TextStyle.Font.Size = vg.Points(9)
		p.X.Min = float64(epochs[0].Epoch)
		p.X.Max = float64(epochs[len(epochs)-1].Epoch)
	}
	score.Legend.Top = false
	width, height := 8*vg.Inch, 7*vg.Inch
	return writeFigure(path, width, height, func(dc draw.Canvas) error {
		plots := [][]*plot.Plot{{loss}, {score}}
		tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(10), PadTop: vg.Points(6),
			PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
		canvases := plot.Align(plots, tiles, dc)
		loss.Draw(canvases[0][0])
		score.Draw(canvases[1][0])
		return nil
	})
}
