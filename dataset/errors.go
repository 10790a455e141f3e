package dataset

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Every *ParseError unwraps to one of them (or, for a
// failed read, to the underlying I/O or decompression error), so callers
// can classify failures with errors.Is.
var (
	// ErrFieldCount: a row has the wrong number of fields.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrNotNumber: a field that must hold a number does not.
	ErrNotNumber = errors.New("is not a number")
	// ErrUnknownLabel: a label field holds a value outside the family's
	// label set.
	ErrUnknownLabel = errors.New("unknown label")
	// ErrBadValue: a field holds a value its column does not allow (a
	// binary column that is not 0 or 1, a malformed port, broken quoting,
	// invalid UTF-8, an over-long line).
	ErrBadValue = errors.New("bad value")
	// ErrLabelMismatch: two label columns of one row contradict each other
	// (UNSW-NB15 attack_cat Normal with label 1, BoT-IoT category DDoS with
	// subcategory Keylogging, ...).
	ErrLabelMismatch = errors.New("label columns disagree")
	// ErrHeader: a header (CSV header row, ARFF @attribute section) is
	// missing, lacks a column or names columns the schema does not expect.
	ErrHeader = errors.New("bad header")
	// ErrLabelMode: a label mode that the family or file format cannot
	// provide.
	ErrLabelMode = errors.New("unsupported label mode")
)

// MaxReportErrors is the number of skipped-row errors a Report keeps for
// display.
const MaxReportErrors = 5

// maxValueInError bounds the length of a field value quoted in an error.
const maxValueInError = 64

// ParseError describes a bad row, field or header. Its text reads like
//
//	KDDTrain+.txt.gz:17: column 1 (duration): "abc" is not a number
//
// and it unwraps to one of the package's sentinel errors (or to the I/O
// error that stopped a read).
type ParseError struct {
	// File names the input (a path, or "stdin").
	File string
	// Line is the 1-based line number, 0 when the error concerns the whole
	// file.
	Line int
	// Column is the 1-based field position in the line, 0 when the error
	// concerns the whole row.
	Column int
	// Name is the column's name (as the header or schema spells it).
	Name string
	// Value is the offending field text (clipped to 64 bytes).
	Value string
	// Err says what is wrong; it wraps a sentinel such as ErrNotNumber.
	Err error
}

// Error formats the error as "file:line: column N (name): "value" what".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Column > 0 {
		b.WriteString("column ")
		b.WriteString(strconv.Itoa(e.Column))
		if e.Name != "" {
			b.WriteString(" (")
			b.WriteString(e.Name)
			b.WriteByte(')')
		}
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Value))
		b.WriteByte(' ')
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// reasonError is an error with its own message that unwraps to a sentinel.
type reasonError struct {
	sentinel error
	msg      string
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.sentinel }

// because returns an error reading msg that unwraps to sentinel.
func because(sentinel error, msg string) error {
	return &reasonError{sentinel: sentinel, msg: msg}
}

// reasonOf returns the sentinel that err wraps, for the Report's counts.
func reasonOf(err error) error {
	for _, s := range []error{ErrFieldCount, ErrNotNumber, ErrUnknownLabel, ErrBadValue, ErrLabelMismatch, ErrHeader} {
		if errors.Is(err, s) {
			return s
		}
	}
	return ErrBadValue
}

// clip returns b as a string of at most maxValueInError bytes, cut at a
// rune boundary and marked with "..." when cut.
func clip(b []byte) string {
	if len(b) <= maxValueInError {
		return string(b)
	}
	n := maxValueInError
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}
