package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// bufSize is the read buffer size of the opener and of the line reader.
const bufSize = 16 << 10

// Open opens a dataset file for reading. The path "-" means standard input
// (closing the result does not close stdin). A gzip stream is recognised
// by its magic bytes, whatever the file is called, and decompressed
// transparently; concatenated gzip members are read as one stream. A
// truncated or corrupt gzip stream makes a later Read fail with the
// decompressor's error (io.ErrUnexpectedEOF, gzip.ErrChecksum, a
// flate.CorruptInputError); the readers of this package add the file name
// and line. Zip, bzip2, xz and zstd files are refused with an error saying
// to unpack them first.
func Open(path string) (io.ReadCloser, error) {
	rc, err := open(path, os.Stdin)
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// open is Open with the standard input passed in, so tests can supply it.
func open(path string, stdin io.Reader) (*readCloser, error) {
	if path == "-" {
		r, err := decompress(stdin, displayName(path))
		if err != nil {
			return nil, err
		}
		return newReadCloser(r, nil), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := decompress(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return newReadCloser(r, f), nil
}

// newReadCloser wraps r, remembering the decompressor and file to close.
func newReadCloser(r io.Reader, f *os.File) *readCloser {
	rc := &readCloser{Reader: r, file: f}
	if gz, ok := r.(*gzip.Reader); ok {
		rc.gz = gz
	}
	return rc
}

// displayName returns the name used in messages for a path.
func displayName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}

// readCloser closes the decompressor and then the file.
type readCloser struct {
	io.Reader
	gz   *gzip.Reader
	file *os.File
}

// Close releases the decompressor and closes the file (never stdin).
func (rc *readCloser) Close() error {
	var err error
	if rc.gz != nil {
		err = rc.gz.Close()
	}
	if rc.file != nil {
		err = errors.Join(err, rc.file.Close())
	}
	return err
}

// sizeHint returns the decompressed size of an opened regular file when
// it can tell cheaply: the file size, or for a single-member gzip file the
// size recorded in its trailer (modulo 2^32, trusted only when within the
// deflate format's 1032:1 limit). It is only a capacity hint; 0 means
// unknown.
func sizeHint(rc *readCloser) int64 {
	if rc.file == nil {
		return 0
	}
	st, err := rc.file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	if rc.gz == nil {
		return st.Size()
	}
	var trailer [4]byte
	if st.Size() < 18 {
		return 0
	}
	if _, err := rc.file.ReadAt(trailer[:], st.Size()-4); err != nil {
		return 0
	}
	n := int64(binary.LittleEndian.Uint32(trailer[:]))
	if n > 1032*st.Size() {
		return 0
	}
	return n
}

// decompress returns a reader of r's content, gunzipped when r starts with
// the gzip magic bytes. name is used in error messages.
func decompress(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, bufSize)
	magic, err := br.Peek(6)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("dataset: %s: reading: %w", name, err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: gzip magic bytes but not a valid gzip stream: %w", name, err)
		}
		return gz, nil
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		return nil, fmt.Errorf("dataset: %s: is a zip archive; unpack it first", name)
	case len(magic) >= 4 && bytes.HasPrefix(magic, []byte("BZh")) && magic[3] >= '1' && magic[3] <= '9':
		return nil, fmt.Errorf("dataset: %s: is bzip2-compressed; decompress it first (or recompress with gzip)", name)
	case bytes.HasPrefix(magic, []byte("\xfd7zXZ\x00")):
		return nil, fmt.Errorf("dataset: %s: is xz-compressed; decompress it first (or recompress with gzip)", name)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("dataset: %s: is zstd-compressed; decompress it first (or recompress with gzip)", name)
	}
	return br, nil
}
