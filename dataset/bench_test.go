package dataset

import (
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestParseAllocs checks that parsing a row allocates nothing once its
// symbols have been seen: the fields are split in place, numbers parsed
// from the line's bytes, symbols interned and labels looked up without
// copying.
func TestParseAllocs(t *testing.T) {
	bot := fileLines(t, "testdata/botiot_header.csv")
	unsw := fileLines(t, "testdata/unsw_small.csv")
	cases := []struct {
		name, header string
		opt          Options
		lines        []string
	}{
		{"nsl-kdd", "", Options{Family: "nsl-kdd", Labels: "attack"}, []string{kddRow, kddWith(41, "Neptune"), kddWith(0, "?")}},
		{"unsw-nb15", unsw[0], Options{Family: "unsw-nb15"}, unsw[1:]},
		{"bot-iot quoted", bot[0], Options{Family: "bot-iot"}, bot[1:]},
		{"bot-iot plain", "", Options{Family: "bot-iot"}, []string{strings.ReplaceAll(bot[3], `"`, "")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Join(c.lines, "\n") + "\n"
			if c.header != "" {
				text = c.header + "\n" + text
			}
			// Read once, through the real entry point, to set the layout
			// and intern the symbols.
			l, err := newLoader(c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.readStream(strings.NewReader(text), "allocs"); err != nil {
				t.Fatal(err)
			}
			lines := make([][]byte, len(c.lines))
			for i, s := range c.lines {
				lines[i] = []byte(s)
			}
			allocs := testing.AllocsPerRun(200, func() {
				for i, line := range lines {
					if _, _, _, pe := l.parseLine(line, i+1); pe != nil {
						t.Fatal(pe)
					}
				}
			})
			if allocs != 0 {
				t.Errorf("parsing %d rows allocates %v times", len(lines), allocs)
			}
		})
	}
}

// BenchmarkReadKDDTrain reads the whole KDDTrain+.txt.gz (125,973 rows,
// 18 MB of text) from disk, gunzip included.
func BenchmarkReadKDDTrain(b *testing.B) {
	path := sharedData(b, "nsl-kdd/KDDTrain+.txt.gz")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		f, _, err := ReadFile(path, Options{Family: "nsl-kdd"})
		if err != nil {
			b.Fatal(err)
		}
		rows = f.Len()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseKDDRow measures the per-row parsing cost without gunzip
// and without appending to the frame.
func BenchmarkParseKDDRow(b *testing.B) {
	l, err := newLoader(Options{Family: "nsl-kdd"})
	if err != nil {
		b.Fatal(err)
	}
	if err := l.readStream(strings.NewReader(kddRow+"\n"), "bench"); err != nil {
		b.Fatal(err)
	}
	line := []byte(kddRow)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, pe := l.parseLine(line, 1); pe != nil {
			b.Fatal(pe)
		}
	}
}

// paddedRows is an io.Reader of n NSL-KDD rows whose fields are padded
// with pad spaces each: much text, few values.
type paddedRows struct {
	n         int
	line, buf []byte
}

func newPaddedRows(n, pad int) *paddedRows {
	spaces := strings.Repeat(" ", pad)
	return &paddedRows{n: n, line: []byte(strings.ReplaceAll(kddRow, ",", spaces+","+spaces) + "\n")}
}

func (p *paddedRows) Read(b []byte) (int, error) {
	if len(p.buf) == 0 {
		if p.n == 0 {
			return 0, io.EOF
		}
		p.n--
		p.buf = p.line
	}
	k := copy(b, p.buf)
	p.buf = p.buf[k:]
	return k, nil
}

// TestStreamingMemory reads 40 MB of text holding 200 rows and checks
// that the read allocates a small fraction of the text: the reader keeps
// the frame, not the text.
func TestStreamingMemory(t *testing.T) {
	const rows, pad = 200, 2400
	src := newPaddedRows(rows, pad)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, _, err := Read(src, "padded", Options{Family: "nsl-kdd"})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	text := rows * (len(kddRow) + 2*pad*42)
	if f.Len() != rows || f.Num[4][rows-1] != 491 {
		t.Fatalf("%d rows, src_bytes %v", f.Len(), f.Num[4][rows-1])
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes of text, %d bytes allocated", text, alloc)
	if alloc > uint64(text/20) {
		t.Errorf("reading %d MB of text allocated %d MB", text>>20, alloc>>20)
	}
}
