package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
)

// MaxLineBytes bounds the length of one input line. A longer line is a bad
// row (ErrBadValue); with Options.SkipBad it is skipped and reading goes on
// at the next line.
const MaxLineBytes = 1 << 20

// errLineTooLong is returned by lineReader.next for a line over
// MaxLineBytes (the reader has moved past it).
var errLineTooLong = errors.New("line too long")

// lineReader yields the lines of a stream one at a time, without their
// LF or CRLF terminator, and with a UTF-8 byte-order mark removed from the
// first line. A returned line is valid until the next call.
type lineReader struct {
	br    *bufio.Reader
	line  int    // number of the last line returned
	bytes int64  // bytes consumed so far, terminators included
	long  []byte // reused for lines longer than the bufio buffer
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, bufSize)}
}

// next returns the next line. At the end of input it returns io.EOF; a
// final line without a terminator is returned first. Any other read error
// is returned at once, without the partial line that preceded it, so that
// a truncated stream never yields a truncated row.
func (lr *lineReader) next() ([]byte, error) {
	lr.long = lr.long[:0]
	tooLong := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.bytes += int64(len(chunk))
		switch {
		case err == nil || (err == io.EOF && (len(chunk) > 0 || len(lr.long) > 0 || tooLong)):
			lr.line++
			if tooLong || len(lr.long)+len(chunk) > MaxLineBytes+2 {
				return nil, errLineTooLong
			}
			if len(lr.long) > 0 {
				lr.long = append(lr.long, chunk...)
				chunk = lr.long
			}
			return lr.trim(chunk), nil
		case err == bufio.ErrBufferFull:
			if !tooLong {
				if len(lr.long)+len(chunk) > MaxLineBytes+2 {
					tooLong = true
					lr.long = lr.long[:0]
				} else {
					lr.long = append(lr.long, chunk...)
				}
			}
		default:
			return nil, err
		}
	}
}

// trim removes the line terminator and, on line 1, a byte-order mark.
func (lr *lineReader) trim(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if lr.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return b
}

// isBlank reports whether a line holds only spaces and tabs.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// trimSpace removes leading and trailing spaces and tabs.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// splitPlain splits line at every sep, trimming spaces and tabs around
// each field. The fields alias line. dst is reused.
func splitPlain(dst [][]byte, line []byte, sep byte) [][]byte {
	dst = dst[:0]
	start := 0
	for i, c := range line {
		if c == sep {
			dst = append(dst, trimSpace(line[start:i]))
			start = i + 1
		}
	}
	return append(dst, trimSpace(line[start:]))
}

// errQuote describes broken quoting; splitQuoted returns it with the
// 0-based index of the field concerned.
var errQuote = errors.New("has broken quoting")

// splitQuoted splits a line whose fields may be enclosed in any of the
// quote bytes in quotes. Inside a quoted field a doubled quote stands for
// one (CSV); with backslash, a backslash escapes the next byte (ARFF).
// Spaces and tabs around fields are trimmed, but kept inside quotes.
// Unquoted content is written to scratch, which must have a capacity of
// at least len(line) so that it is never reallocated while fields alias
// it. On broken quoting it returns the fields so far and errQuote; the
// bad field is the one after the last returned.
func splitQuoted(dst [][]byte, scratch []byte, line []byte, sep byte, quotes string, backslash bool) ([][]byte, error) {
	dst = dst[:0]
	scratch = scratch[:0]
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && bytes.IndexByte([]byte(quotes), line[i]) >= 0 {
			q := line[i]
			i++
			start := len(scratch)
			closed := false
			for i < len(line) {
				c := line[i]
				switch {
				case c == q && i+1 < len(line) && line[i+1] == q:
					scratch = append(scratch, q)
					i += 2
					continue
				case c == q:
					closed = true
					i++
				case backslash && c == '\\' && i+1 < len(line):
					scratch = append(scratch, line[i+1])
					i += 2
					continue
				default:
					scratch = append(scratch, c)
					i++
					continue
				}
				break
			}
			if !closed {
				return dst, errQuote
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i < len(line) && line[i] != sep {
				return dst, errQuote
			}
			dst = append(dst, scratch[start:len(scratch):len(scratch)])
		} else {
			j := bytes.IndexByte(line[i:], sep)
			if j < 0 {
				j = len(line)
			} else {
				j += i
			}
			dst = append(dst, trimSpace(line[i:j]))
			i = j
		}
		if i >= len(line) {
			return dst, nil
		}
		i++ // the separator
	}
}

// numStatus classifies a parsed numeric field.
type numStatus uint8

const (
	numOK      numStatus = iota // a finite number
	numMissing                  // empty, "?", "-" (when allowed) or NaN: stored as NaN
	numInf                      // ±Inf, stored as such
	numBad                      // not a number
)

// parseNumber parses a numeric field. dashMissing says whether "-" means
// a missing value (UNSW-NB15, BoT-IoT) rather than a bad one (NSL-KDD).
// Overflowing values ("1e999") become ±Inf, as strconv.ParseFloat returns
// them.
func parseNumber(b []byte, dashMissing bool) (float64, numStatus) {
	switch {
	case len(b) == 0:
		return math.NaN(), numMissing
	case len(b) == 1:
		switch c := b[0]; {
		case c >= '0' && c <= '9':
			return float64(c - '0'), numOK // the most common field by far
		case c == '?' || (dashMissing && c == '-'):
			return math.NaN(), numMissing
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, numBad
		}
	}
	switch {
	case math.IsNaN(v):
		return math.NaN(), numMissing
	case math.IsInf(v, 0):
		return v, numInf
	}
	return v, numOK
}

// parseSmallInt parses a non-negative decimal integer of at most 9 digits.
func parseSmallInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// appendLower appends b lower-cased (ASCII) to dst.
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
