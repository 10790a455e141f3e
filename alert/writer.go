package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// chunkSize is how many encoded bytes a line sink gathers before it writes:
// one write per batch for ordinary batches, bounded memory for huge ones.
const chunkSize = 64 << 10

// lineSink is the core of the writer and file sinks: it encodes a batch
// into a reused buffer and writes it in chunks.
type lineSink struct {
	mu     sync.Mutex
	name   string
	enc    *Encoder
	buf    []byte
	closed bool
	c      counters
}

func (s *lineSink) init(name string, opts EncoderOptions) error {
	enc, err := NewEncoder(opts)
	if err != nil {
		return fmt.Errorf("alert: %s: %w", name, err)
	}
	s.name, s.enc, s.buf = name, enc, make([]byte, 0, 4096)
	return nil
}

// writeBatch encodes events and writes them to w. The caller holds mu.
func (s *lineSink) writeBatch(w io.Writer, events []Event) error {
	var firstEnc, firstWrite error
	encFailed := 0
	buf := s.buf[:0]
	lines := 0
	for i := range events {
		n0 := len(buf)
		var err error
		buf, err = s.enc.AppendLine(buf, &events[i])
		if err != nil {
			buf = buf[:n0]
			encFailed++
			if firstEnc == nil {
				firstEnc = fmt.Errorf("event %d of the batch: %w", i, err)
			}
			continue
		}
		lines++
		if len(buf) >= chunkSize {
			if err := s.writeChunk(w, buf, lines); err != nil && firstWrite == nil {
				firstWrite = err
			}
			buf, lines = buf[:0], 0
		}
	}
	if lines > 0 {
		if err := s.writeChunk(w, buf, lines); err != nil && firstWrite == nil {
			firstWrite = err
		}
	}
	s.buf = buf[:0]
	s.c.failed.Add(uint64(encFailed))
	s.c.clamped.Store(s.enc.Clamped())
	var errs []error
	if firstEnc != nil {
		errs = append(errs, fmt.Errorf("alert: %s: %d of %d events not encoded; first: %w", s.name, encFailed, len(events), firstEnc))
	}
	if firstWrite != nil {
		errs = append(errs, firstWrite)
	}
	return errors.Join(errs...)
}

// writeChunk writes lines complete JSON lines; on error it counts the lines
// the writer took as written and the rest as failed.
func (s *lineSink) writeChunk(w io.Writer, buf []byte, lines int) error {
	n, err := w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		done := bytes.Count(buf[:n], []byte{'\n'})
		s.c.written.Add(uint64(done))
		s.c.failed.Add(uint64(lines - done))
		return fmt.Errorf("alert: %s: %d of %d events not written: %w", s.name, lines-done, lines, err)
	}
	s.c.written.Add(uint64(lines))
	return nil
}

// refuse counts a batch written after Close.
func (s *lineSink) refuse(n int) error {
	s.c.dropped.Add(uint64(n))
	return fmt.Errorf("alert: %s: %d events: %w: %w", s.name, n, ErrDropped, ErrClosed)
}

// WriterSink writes JSON lines to an io.Writer (standard output, a pipe).
// Each batch is encoded into one reused buffer and written with one Write
// call per 64 KiB; when the writer has a Flush() error method (a
// *bufio.Writer) it is flushed after each batch and on Close. Close does
// not close the writer.
type WriterSink struct {
	lineSink
	w io.Writer
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(w io.Writer, opts EncoderOptions) (*WriterSink, error) {
	if w == nil {
		return nil, errors.New("alert: writer sink: nil writer")
	}
	s := &WriterSink{w: w}
	if err := s.init(fmt.Sprintf("writer %T", w), opts); err != nil {
		return nil, err
	}
	return s, nil
}

// String names the sink.
func (s *WriterSink) String() string { return s.name }

// Write encodes and writes events.
func (s *WriterSink) Write(_ context.Context, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.refuse(len(events))
	}
	err := s.writeBatch(s.w, events)
	if f, ok := s.w.(interface{ Flush() error }); ok {
		if ferr := f.Flush(); ferr != nil {
			err = errors.Join(err, fmt.Errorf("alert: %s: flush: %w", s.name, ferr))
		}
	}
	return err
}

// Close flushes the writer when it can be flushed; later writes fail.
func (s *WriterSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if f, ok := s.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("alert: %s: flush: %w", s.name, err)
		}
	}
	return nil
}

// Stats returns the sink's counters.
func (s *WriterSink) Stats() Stats { return s.c.stats() }

// FileOptions configures a FileSink.
type FileOptions struct {
	// Encoder configures the JSON lines.
	Encoder EncoderOptions
	// Perm is the mode of a newly created file; 0 means 0640.
	Perm os.FileMode
	// Sync makes every batch end with fsync.
	Sync bool
}

// FileSink appends JSON lines to a file. Reopen reopens the path, for
// logrotate's rename-and-signal rotation (the daemon calls it on SIGHUP);
// with copytruncate no reopen is needed, as the file is opened O_APPEND.
type FileSink struct {
	lineSink
	path string
	opts FileOptions
	f    *os.File
}

// OpenFile opens (creating it if needed) path for appending.
func OpenFile(path string, opts FileOptions) (*FileSink, error) {
	if opts.Perm == 0 {
		opts.Perm = 0o640
	}
	s := &FileSink{path: path, opts: opts}
	if err := s.init("file "+path, opts.Encoder); err != nil {
		return nil, err
	}
	f, err := s.open()
	if err != nil {
		return nil, err
	}
	s.f = f
	return s, nil
}

func (s *FileSink) open() (*os.File, error) {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, s.opts.Perm)
	if err != nil {
		return nil, fmt.Errorf("alert: file sink: %w", err)
	}
	return f, nil
}

// String names the sink.
func (s *FileSink) String() string { return s.name }

// Path returns the file's path.
func (s *FileSink) Path() string { return s.path }

// Write appends events to the file (and fsyncs when FileOptions.Sync).
func (s *FileSink) Write(_ context.Context, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.refuse(len(events))
	}
	err := s.writeBatch(s.f, events)
	if s.opts.Sync && len(events) > 0 {
		if serr := s.f.Sync(); serr != nil {
			err = errors.Join(err, fmt.Errorf("alert: %s: fsync: %w", s.name, serr))
		}
	}
	return err
}

// Reopen opens the path anew and switches to it, then closes the old file.
// When the path cannot be opened, the sink keeps writing to the old file
// and Reopen returns the error.
func (s *FileSink) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("alert: %s: reopen: %w", s.name, ErrClosed)
	}
	f, err := s.open()
	if err != nil {
		return fmt.Errorf("alert: %s: reopen (still writing to the old file): %w", s.name, err)
	}
	old := s.f
	s.f = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("alert: %s: closing the old file after reopen: %w", s.name, err)
	}
	return nil
}

// Close syncs (when FileOptions.Sync) and closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.opts.Sync {
		if err := s.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("alert: %s: fsync: %w", s.name, err))
		}
	}
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("alert: %s: close: %w", s.name, err))
	}
	return errors.Join(errs...)
}

// Stats returns the sink's counters.
func (s *FileSink) Stats() Stats { return s.c.stats() }
