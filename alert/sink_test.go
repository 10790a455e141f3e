package alert

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// linesOf splits output into lines and decodes each.
func linesOf(t testing.TB, out []byte) []map[string]any {
	t.Helper()
	var ms []map[string]any
	for _, l := range bytes.SplitAfter(out, []byte{'\n'}) {
		if len(l) == 0 {
			continue
		}
		ms = append(ms, decodeLine(t, l))
	}
	return ms
}

func flowIDs(t testing.TB, ms []map[string]any) []int {
	t.Helper()
	var ids []int
	for _, m := range ms {
		ids = append(ids, int(m["flow_id"].(float64)))
	}
	return ids
}

func TestWriterSink(t *testing.T) {
	var buf bytes.Buffer
	s, err := NewWriterSink(&buf, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Write(ctx, connAlerts(t, 3)); err != nil {
		t.Fatal(err)
	}
	bad := connAlert(t, 3)
	bad.Time = time.Time{}
	batch := []Event{connAlert(t, 4), bad, connAlert(t, 5)}
	err = s.Write(ctx, batch)
	if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "1 of 3 events not encoded") ||
		!strings.Contains(err.Error(), "event 1 of the batch") || !strings.Contains(err.Error(), "field timestamp") {
		t.Fatalf("err = %v", err)
	}
	ms := linesOf(t, buf.Bytes())
	if got := flowIDs(t, ms); !equalInts(got, []int{1000, 1001, 1002, 1004, 1005}) {
		t.Fatalf("flow ids %v", got)
	}
	if st := s.Stats(); st != (Stats{Written: 5, Failed: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, connAlerts(t, 2))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrDropped) {
		t.Fatalf("write after close: %v", err)
	}
	if st := s.Stats(); st.Dropped != 2 {
		t.Fatalf("stats after close %+v", st)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A *bufio.Writer is flushed after every batch.
func TestWriterSinkFlushes(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 1<<20)
	s, err := NewWriterSink(bw, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), connAlerts(t, 2)); err != nil {
		t.Fatal(err)
	}
	if n := len(linesOf(t, out.Bytes())); n != 2 {
		t.Fatalf("%d lines reached the underlying writer, want 2", n)
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct {
	buf   bytes.Buffer
	limit int
}

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if room >= len(p) {
		return w.buf.Write(p)
	}
	if room > 0 {
		w.buf.Write(p[:room])
	}
	return max(room, 0), errDiskFull
}

// A failing write counts the lines it took as written, the rest as failed.
func TestWriterSinkWriteError(t *testing.T) {
	enc := newEnc(t, EncoderOptions{})
	ev := connAlert(t, 0)
	one, err := enc.AppendLine(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	w := &failingWriter{limit: 2*len(one) + 5} // two lines and a bit
	s, err := NewWriterSink(w, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(context.Background(), connAlerts(t, 4))
	if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "2 of 4 events not written") {
		t.Fatalf("err = %v", err)
	}
	if st := s.Stats(); st != (Stats{Written: 2, Failed: 2}) {
		t.Fatalf("stats %+v", st)
	}
}

// Big batches are written in chunks, and every line arrives whole.
func TestWriterSinkChunks(t *testing.T) {
	cw := &countingWriter{}
	s, err := NewWriterSink(cw, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evs := connAlerts(t, 500) // about 300 KiB
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if cw.calls < 3 {
		t.Errorf("%d writes for %d bytes, want chunks of about 64 KiB", cw.calls, cw.buf.Len())
	}
	ms := linesOf(t, cw.buf.Bytes())
	if len(ms) != 500 || s.Stats().Written != 500 {
		t.Fatalf("%d lines, stats %+v", len(ms), s.Stats())
	}
}

type countingWriter struct {
	buf   bytes.Buffer
	calls int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	if p[len(p)-1] != '\n' {
		return 0, errors.New("chunk does not end at a line end")
	}
	return w.buf.Write(p)
}

func TestWriterSinkAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	s, err := NewWriterSink(io.Discard, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evs := connAlerts(t, 64)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(50, func() {
		if err := s.Write(ctx, evs); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch of 64, want 0", allocs)
	}
}

func TestFileSinkAppendAndReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "alerts.json")
	if err := os.WriteFile(p, []byte("{\"old\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(p, FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Write(ctx, connAlerts(t, 2)); err != nil {
		t.Fatal(err)
	}
	// logrotate renames; until the reopen, lines go to the renamed file.
	rotated := p + ".1"
	if err := os.Rename(p, rotated); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []Event{connAlert(t, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []Event{connAlert(t, 3), connAlert(t, 4)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	oldLines := linesOf(t, old)
	if len(oldLines) != 4 || oldLines[0]["old"] != 1.0 {
		t.Fatalf("rotated file: %s", old)
	}
	if got := flowIDs(t, oldLines[1:]); !equalInts(got, []int{1000, 1001, 1002}) {
		t.Fatalf("rotated file flow ids %v", got)
	}
	cur, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := flowIDs(t, linesOf(t, cur)); !equalInts(got, []int{1003, 1004}) {
		t.Fatalf("new file flow ids %v", got)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("new file mode %v (%v)", fi.Mode(), err)
	}
	if st := s.Stats(); st.Written != 5 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// When the path cannot be reopened, writing goes on to the old file.
func TestFileSinkReopenFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "alerts.json")
	s, err := OpenFile(p, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	moved := dir + ".moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	err = s.Reopen()
	if err == nil || !strings.Contains(err.Error(), "still writing to the old file") || !strings.Contains(err.Error(), p) {
		t.Fatalf("reopen: %v", err)
	}
	if err := s.Write(context.Background(), connAlerts(t, 1)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(moved, "alerts.json"))
	if err != nil || len(linesOf(t, b)) != 1 {
		t.Fatalf("old file: %q, %v", b, err)
	}
}

func TestOpenFileError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "alerts.json")
	_, err := OpenFile(p, FileOptions{})
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// failSink always fails.
type failSink struct{ writes int }

func (f *failSink) Write(context.Context, []Event) error {
	f.writes++
	return errors.New("collector unreachable")
}
func (f *failSink) Close() error   { return errors.New("close failed") }
func (f *failSink) String() string { return "failing" }

func TestMultiOneFailing(t *testing.T) {
	bad := &failSink{}
	var out bytes.Buffer
	w, err := NewWriterSink(&out, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRing(10)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMulti(bad, nil, w, r)
	err = m.Write(context.Background(), connAlerts(t, 3))
	if err == nil || !strings.Contains(err.Error(), "sink 0 (failing): collector unreachable") {
		t.Fatalf("err = %v", err)
	}
	if bad.writes != 1 || len(linesOf(t, out.Bytes())) != 3 || len(r.Snapshot()) != 3 {
		t.Fatalf("fan-out incomplete: bad %d, writer %d, ring %d", bad.writes, len(linesOf(t, out.Bytes())), len(r.Snapshot()))
	}
	if st := m.Stats(); st.Written != 6 {
		t.Fatalf("multi stats %+v, want 6 written (3 per counting sink)", st)
	}
	if ss := m.SinkStats(); len(ss) != 3 || ss[0] != (Stats{}) || ss[1].Written != 3 || ss[2].Written != 3 {
		t.Fatalf("sink stats %+v", ss)
	}
	err = m.Close()
	if err == nil || !strings.Contains(err.Error(), "closing sink 0 (failing): close failed") {
		t.Fatalf("close: %v", err)
	}
	if err := w.Write(context.Background(), connAlerts(t, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("writer sink not closed by Multi.Close: %v", err)
	}
}

func TestMultiReopen(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(filepath.Join(dir, "a.json"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMulti(&failSink{}, f)
	if err := m.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err == nil {
		t.Fatal("close error of the failing sink lost")
	}
	if err := m.Reopen(); err == nil || !strings.Contains(err.Error(), "reopening sink 1") {
		t.Fatalf("reopen after close: %v", err)
	}
}

// Sinks are safe for concurrent writers.
func TestConcurrentWrites(t *testing.T) {
	var out safeBuffer
	s, err := NewWriterSink(&out, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.Write(context.Background(), connAlerts(t, 3)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(linesOf(t, out.Bytes())); n != 600 || s.Stats().Written != 600 {
		t.Fatalf("%d lines, stats %+v", n, s.Stats())
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}
