package web

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cnids/cnids/features"
)

// fieldKind is how a feature is entered and checked.
type fieldKind uint8

const (
	kindSymbol  fieldKind = iota // one of the model's known values (a warning otherwise)
	kindBinary                   // 0 or 1
	kindCount                    // a whole number >= 0, capped for window counts
	kindBytes                    // a whole number of bytes >= 0
	kindSeconds                  // a number of seconds >= 0
	kindRate                     // a fraction in [0, 1]
)

// field describes one of the 41 NSL-KDD features for the form, the
// pasted rows, the uploads and the API.
type field struct {
	Name  string
	Index int // schema column
	Label string
	Unit  string
	Help  string
	Kind  fieldKind
	Group string
	Max   float64 // upper bound of counts (0: none)
	// Options are the known values of a symbolic field (the model's
	// training vocabulary).
	Options []string
	known   map[string]bool
}

// Symbol reports whether the field is symbolic (a select in the form).
func (f *field) Symbol() bool { return f.Kind == kindSymbol }

// Binary reports whether the field is 0/1.
func (f *field) Binary() bool { return f.Kind == kindBinary }

// InputMax returns the form's max attribute ("" for none).
func (f *field) InputMax() string {
	switch {
	case f.Kind == kindRate:
		return "1"
	case f.Max > 0:
		return strconv.FormatFloat(f.Max, 'f', -1, 64)
	}
	return ""
}

// Step returns the form's step attribute.
func (f *field) Step() string {
	switch f.Kind {
	case kindCount, kindBytes:
		return "1"
	case kindRate:
		return "0.01"
	}
	return "any"
}

// TypeName describes the expected value for the form.
func (f *field) TypeName() string {
	switch f.Kind {
	case kindSymbol:
		return "symbol"
	case kindBinary:
		return "0 or 1"
	case kindCount:
		if f.Max > 0 {
			return fmt.Sprintf("count 0-%g", f.Max)
		}
		return "count"
	case kindBytes:
		return "bytes"
	case kindSeconds:
		return "seconds"
	case kindRate:
		return "fraction 0-1"
	}
	return ""
}

// fieldDoc is the documentation of the NSL-KDD features (after the KDD
// Cup 1999 task description), in schema order.
var fieldDocs = [...]struct {
	name, label, help string
	kind              fieldKind
	group             string
}{
	{"duration", "Duration", "length of the connection", kindSeconds, groupBasic},
	{"protocol_type", "Protocol", "transport protocol", kindSymbol, groupBasic},
	{"service", "Service", "network service on the destination (by port)", kindSymbol, groupBasic},
	{"flag", "Flag", "connection state (normal or error status)", kindSymbol, groupBasic},
	{"src_bytes", "Source bytes", "data bytes from source to destination", kindBytes, groupBasic},
	{"dst_bytes", "Destination bytes", "data bytes from destination to source", kindBytes, groupBasic},
	{"land", "Land", "1 if source and destination address and port are equal", kindBinary, groupBasic},
	{"wrong_fragment", "Wrong fragments", "number of wrong fragments", kindCount, groupBasic},
	{"urgent", "Urgent packets", "number of urgent packets", kindCount, groupBasic},
	{"hot", "Hot indicators", "number of \"hot\" indicators (system directories, program creation)", kindCount, groupContent},
	{"num_failed_logins", "Failed log-ins", "number of failed log-in attempts", kindCount, groupContent},
	{"logged_in", "Logged in", "1 if successfully logged in", kindBinary, groupContent},
	{"num_compromised", "Compromised", "number of \"compromised\" conditions", kindCount, groupContent},
	{"root_shell", "Root shell", "1 if a root shell was obtained", kindCount, groupContent},
	{"su_attempted", "su attempted", "\"su root\" attempts", kindCount, groupContent},
	{"num_root", "Root accesses", "number of root accesses", kindCount, groupContent},
	{"num_file_creations", "File creations", "number of file creation operations", kindCount, groupContent},
	{"num_shells", "Shells", "number of shell prompts", kindCount, groupContent},
	{"num_access_files", "Access files", "operations on access control files", kindCount, groupContent},
	{"num_outbound_cmds", "Outbound commands", "outbound commands in an FTP session", kindCount, groupContent},
	{"is_host_login", "Host log-in", "1 if the log-in belongs to the \"hot\" list", kindBinary, groupContent},
	{"is_guest_login", "Guest log-in", "1 if the log-in is a guest log-in", kindBinary, groupContent},
	{"count", "Count", "connections to the same host in the past 2 seconds", kindCount, groupTime},
	{"srv_count", "Service count", "connections to the same service in the past 2 seconds", kindCount, groupTime},
	{"serror_rate", "SYN error rate", "share of the same-host connections with SYN errors", kindRate, groupTime},
	{"srv_serror_rate", "Service SYN error rate", "share of the same-service connections with SYN errors", kindRate, groupTime},
	{"rerror_rate", "REJ error rate", "share of the same-host connections with REJ errors", kindRate, groupTime},
	{"srv_rerror_rate", "Service REJ error rate", "share of the same-service connections with REJ errors", kindRate, groupTime},
	{"same_srv_rate", "Same service rate", "share of the same-host connections to the same service", kindRate, groupTime},
	{"diff_srv_rate", "Different service rate", "share of the same-host connections to other services", kindRate, groupTime},
	{"srv_diff_host_rate", "Service different host rate", "share of the same-service connections to other hosts", kindRate, groupTime},
	{"dst_host_count", "Host count", "connections to the same destination host among the last 256", kindCount, groupHost},
	{"dst_host_srv_count", "Host service count", "of those, connections to the same service", kindCount, groupHost},
	{"dst_host_same_srv_rate", "Host same service rate", "share of the host's connections to the same service", kindRate, groupHost},
	{"dst_host_diff_srv_rate", "Host different service rate", "share of the host's connections to other services", kindRate, groupHost},
	{"dst_host_same_src_port_rate", "Host same source port rate", "share of the host's connections from the same source port", kindRate, groupHost},
	{"dst_host_srv_diff_host_rate", "Host service different host rate", "share of the service's connections to other hosts", kindRate, groupHost},
	{"dst_host_serror_rate", "Host SYN error rate", "share of the host's connections with SYN errors", kindRate, groupHost},
	{"dst_host_srv_serror_rate", "Host service SYN error rate", "share of the host's same-service connections with SYN errors", kindRate, groupHost},
	{"dst_host_rerror_rate", "Host REJ error rate", "share of the host's connections with REJ errors", kindRate, groupHost},
	{"dst_host_srv_rerror_rate", "Host service REJ error rate", "share of the host's same-service connections with REJ errors", kindRate, groupHost},
}

// Field groups, in form order.
const (
	groupBasic   = "Basic features of the connection"
	groupContent = "Content features (from the payload)"
	groupTime    = "Traffic in the past 2 seconds"
	groupHost    = "Traffic among the last 256 connections to the host"
)

// rowParser turns text (form values, CSV rows, JSON rows) into feature
// rows of the NSL-KDD schema, checking every value.
type rowParser struct {
	schema *features.Schema
	fields []field
	byName map[string]int
}

// newRowParser builds the parser from the model's vocabularies (column ->
// known values) and the window caps of its feature semantics.
func newRowParser(vocab map[string][]string, countCap, hostCap int) (*rowParser, error) {
	schema := features.NSLKDD()
	if len(schema.Columns) != len(fieldDocs) {
		return nil, fmt.Errorf("web: schema has %d columns, the form documents %d", len(schema.Columns), len(fieldDocs))
	}
	p := &rowParser{schema: schema, byName: map[string]int{}}
	for i, d := range fieldDocs {
		if schema.Columns[i].Name != d.name {
			return nil, fmt.Errorf("web: schema column %d is %q, the form documents %q", i, schema.Columns[i].Name, d.name)
		}
		f := field{Name: d.name, Index: i, Label: d.label, Help: d.help, Kind: d.kind, Group: d.group}
		switch d.name {
		case "count", "srv_count":
			f.Max = float64(countCap)
		case "dst_host_count", "dst_host_srv_count":
			f.Max = float64(hostCap)
		}
		switch d.kind {
		case kindSeconds:
			f.Unit = "s"
		case kindBytes:
			f.Unit = "bytes"
		}
		if d.kind == kindSymbol {
			f.Options = slices.Clone(vocab[d.name])
			f.known = map[string]bool{}
			for _, v := range f.Options {
				f.known[v] = true
			}
		}
		p.fields = append(p.fields, f)
		p.byName[d.name] = i
	}
	return p, nil
}

// vocabulary returns the known values of each categorical column, from
// the encoder's candidate column names ("service=http"): the training
// vocabulary, before any feature selection.
func vocabulary(enc *features.Encoder) map[string][]string {
	out := map[string][]string{}
	for _, n := range enc.CandidateNames() {
		col, val, ok := strings.Cut(n, "=")
		if ok {
			out[col] = append(out[col], val)
		}
	}
	return out
}

// fieldError is a bad value of one field.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return "field " + e.Field + ": " + e.Msg }

// maxSymbolLen bounds symbolic values.
const maxSymbolLen = 64

// parseValue checks one raw value of field f and stores it into row.
func (f *field) parseValue(raw string, row *features.Row) error {
	s := strings.TrimSpace(raw)
	if s == "" || s == "?" {
		return &fieldError{f.Name, "missing value"}
	}
	if f.Kind == kindSymbol {
		if !utf8.ValidString(s) {
			return &fieldError{f.Name, "not valid UTF-8"}
		}
		if len(s) > maxSymbolLen {
			return &fieldError{f.Name, fmt.Sprintf("value longer than %d bytes", maxSymbolLen)}
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return &fieldError{f.Name, fmt.Sprintf("control character %U in %q", r, s)}
			}
		}
		row.Symbols[f.Index] = s
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return &fieldError{f.Name, fmt.Sprintf("%q is not a number", clip(s))}
	}
	switch f.Kind {
	case kindBinary:
		if v != 0 && v != 1 {
			return &fieldError{f.Name, fmt.Sprintf("%s must be 0 or 1", s)}
		}
	case kindRate:
		if v < 0 || v > 1 {
			return &fieldError{f.Name, fmt.Sprintf("%s is not a fraction between 0 and 1", s)}
		}
	case kindCount, kindBytes:
		if v < 0 || v != math.Trunc(v) {
			return &fieldError{f.Name, fmt.Sprintf("%s is not a whole number >= 0", s)}
		}
		if f.Max > 0 && v > f.Max {
			return &fieldError{f.Name, fmt.Sprintf("%s exceeds the feature's cap of %g", s, f.Max)}
		}
	case kindSeconds:
		if v < 0 {
			return &fieldError{f.Name, fmt.Sprintf("%s is negative", s)}
		}
	}
	row.Values[f.Index] = v
	return nil
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// unseen lists the row's symbolic values the model never saw in training,
// as "column=value".
func (p *rowParser) unseen(row *features.Row) []string {
	var out []string
	for i := range p.fields {
		f := &p.fields[i]
		if f.Kind == kindSymbol && !f.known[row.Symbols[f.Index]] {
			out = append(out, f.Name+"="+row.Symbols[f.Index])
		}
	}
	return out
}

// fromValues parses the 41 fields from get (form values); it returns
// every field's error, by field name.
func (p *rowParser) fromValues(get func(name string) string) (features.Row, map[string]string) {
	row := features.NewRow(p.schema)
	errs := map[string]string{}
	for i := range p.fields {
		f := &p.fields[i]
		if err := f.parseValue(get(f.Name), &row); err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				errs[f.Name] = fe.Msg
			} else {
				errs[f.Name] = err.Error()
			}
		}
	}
	return row, errs
}

// parsedRow is one parsed CSV row.
type parsedRow struct {
	Row features.Row
	// Label and Difficulty are the 42nd and 43rd fields of the NSL-KDD
	// text format, when given.
	Label      string
	Difficulty int
	HasLabel   bool
}

// csvError is a bad CSV row: the file (or "pasted row"), the line, and
// the column when one field is at fault.
type csvError struct {
	File   string
	Line   int
	Column int // 1-based; 0 when the whole row is at fault
	Name   string
	Err    error
}

func (e *csvError) Error() string {
	var b strings.Builder
	switch {
	case e.File == "" && e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
	case e.Line > 0:
		fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	default:
		b.WriteString(e.File)
	}
	if e.Column > 0 {
		fmt.Fprintf(&b, ": column %d (%s)", e.Column, e.Name)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	msg := e.Err.Error()
	var fe *fieldError
	if errors.As(e.Err, &fe) {
		msg = fe.Msg
	}
	b.WriteString(msg)
	return b.String()
}

func (e *csvError) Unwrap() error { return e.Err }

// errRowShape is wrapped by errors of rows with the wrong field count.
var errRowShape = errors.New("wrong number of fields")

// parseRecord parses one CSV record of 41 fields, or 43 with the label and
// difficulty of the NSL-KDD text format.
func (p *rowParser) parseRecord(rec []string, file string, line int) (parsedRow, error) {
	n := len(p.fields)
	if len(rec) != n && len(rec) != n+2 {
		return parsedRow{}, &csvError{File: file, Line: line,
			Err: fmt.Errorf("%w: %d fields, want %d (the features) or %d (NSL-KDD text with label and difficulty)", errRowShape, len(rec), n, n+2)}
	}
	pr := parsedRow{Row: features.NewRow(p.schema)}
	for i := range p.fields {
		if err := p.fields[i].parseValue(rec[i], &pr.Row); err != nil {
			return parsedRow{}, &csvError{File: file, Line: line, Column: i + 1, Name: p.fields[i].Name, Err: err}
		}
	}
	if len(rec) == n+2 {
		label := strings.TrimSpace(rec[n])
		if label == "" || len(label) > maxSymbolLen || !utf8.ValidString(label) {
			return parsedRow{}, &csvError{File: file, Line: line, Column: n + 1, Name: "label", Err: errors.New("missing or invalid label")}
		}
		d, err := strconv.Atoi(strings.TrimSpace(rec[n+1]))
		if err != nil || d < 0 || d > 21 {
			return parsedRow{}, &csvError{File: file, Line: line, Column: n + 2, Name: "difficulty",
				Err: fmt.Errorf("%q is not a difficulty (a whole number 0-21)", clip(rec[n+1]))}
		}
		pr.Label, pr.Difficulty, pr.HasLabel = label, d, true
	}
	return pr, nil
}

// isHeader reports whether rec is a header row naming the schema's
// columns.
func (p *rowParser) isHeader(rec []string) bool {
	return len(rec) >= len(p.fields) && strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")) == p.fields[0].Name
}

// checkHeader checks that a header row names the columns in order.
func (p *rowParser) checkHeader(rec []string, file string, line int) error {
	for i := range p.fields {
		got := strings.TrimSpace(rec[i])
		if i == 0 {
			got = strings.TrimPrefix(got, "\ufeff")
		}
		if got != p.fields[i].Name {
			return &csvError{File: file, Line: line, Column: i + 1, Name: p.fields[i].Name,
				Err: fmt.Errorf("header names %q, want %q", clip(got), p.fields[i].Name)}
		}
	}
	return nil
}

// maxLineBytes bounds one CSV line.
const maxLineBytes = 64 << 10

// readCSV reads rows of the NSL-KDD text format (41 or 43 fields, an
// optional header row, blank lines skipped, CRLF and a byte-order mark
// accepted) and hands each to fn with its line number. It stops at the
// first bad row with an error naming file, line and column, and after
// maxRows rows with an error saying so.
func (p *rowParser) readCSV(r io.Reader, file string, maxRows int, fn func(line int, pr parsedRow) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	lines := &lineLimiter{r: br, max: maxLineBytes}
	cr := csv.NewReader(lines)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rows := 0
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &csvError{File: file, Line: pe.Line, Err: fmt.Errorf("character %d: %w", pe.Column, pe.Err)}
			}
			if errors.Is(err, errLineTooLong) {
				return &csvError{File: file, Line: lines.line, Err: err}
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			if p.isHeader(rec) {
				if err := p.checkHeader(rec, file, line); err != nil {
					return err
				}
				continue
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if rows == maxRows {
			return &csvError{File: file, Line: line, Err: fmt.Errorf("more than %d rows: split the file", maxRows)}
		}
		pr, err := p.parseRecord(rec, file, line)
		if err != nil {
			return err
		}
		rows++
		if err := fn(line, pr); err != nil {
			return err
		}
	}
	if rows == 0 {
		return &csvError{File: file, Err: errors.New("no rows")}
	}
	return nil
}

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLineBytes)

// lineLimiter fails a read once a line grows beyond max bytes, so that a
// file without newlines cannot make the CSV reader buffer it whole.
type lineLimiter struct {
	r    *bufio.Reader
	max  int
	cur  int // bytes of the current line so far
	line int // 1-based number of the current line
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.line == 0 {
		l.line = 1
	}
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.cur = 0
			l.line++
			continue
		}
		l.cur++
		if l.cur > l.max {
			return 0, errLineTooLong
		}
	}
	return n, err
}

// parsePasted parses one pasted row: exactly one non-blank CSV line.
func (p *rowParser) parsePasted(text string) (parsedRow, error) {
	const name = "pasted row"
	if len(text) > maxLineBytes {
		return parsedRow{}, &csvError{File: name, Err: errLineTooLong}
	}
	var got []parsedRow
	err := p.readCSV(strings.NewReader(text), name, 1, func(_ int, pr parsedRow) error {
		got = append(got, pr)
		return nil
	})
	if err != nil {
		var ce *csvError
		if errors.As(err, &ce) && len(got) == 1 && ce.Column == 0 && strings.HasPrefix(ce.Err.Error(), "more than") {
			return parsedRow{}, &csvError{File: name, Line: ce.Line, Err: errors.New("paste a single row; upload a file to classify several")}
		}
		return parsedRow{}, err
	}
	return got[0], nil
}

// apiError is a bad API request body.
type apiError struct {
	Row   int    `json:"row,omitempty"` // 1-based; 0 for the whole body
	Field string `json:"field,omitempty"`
	Msg   string `json:"error"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", clip(e.Field))
	}
	b.WriteString(e.Msg)
	return b.String()
}

// decodeJSON decodes an API body: one row as an object from feature name
// to value (numbers for the numeric features, strings for protocol_type,
// service and flag; numeric strings are accepted too), or an array of
// such objects. Unknown, repeated and missing names are errors. list
// reports whether the body was an array.
func (p *rowParser) decodeJSON(body []byte, maxRows int) (rows []features.Row, list bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, false, &apiError{Msg: "body is not JSON: " + jsonMsg(err)}
	}
	switch tok {
	case json.Delim('{'):
		row, err := p.decodeObject(dec, 1)
		if err != nil {
			return nil, false, err
		}
		rows = append(rows, row)
	case json.Delim('['):
		list = true
		for dec.More() {
			if len(rows) == maxRows {
				return nil, true, &apiError{Msg: fmt.Sprintf("more than %d rows in one request", maxRows)}
			}
			t, err := dec.Token()
			if err != nil {
				return nil, true, &apiError{Row: len(rows) + 1, Msg: "invalid JSON: " + jsonMsg(err)}
			}
			if t != json.Delim('{') {
				return nil, true, &apiError{Row: len(rows) + 1, Msg: "want an object of feature name -> value"}
			}
			row, err := p.decodeObject(dec, len(rows)+1)
			if err != nil {
				return nil, true, err
			}
			rows = append(rows, row)
		}
		if _, err := dec.Token(); err != nil {
			return nil, true, &apiError{Msg: "invalid JSON: " + jsonMsg(err)}
		}
		if len(rows) == 0 {
			return nil, true, &apiError{Msg: "empty list of rows"}
		}
	default:
		return nil, false, &apiError{Msg: "want an object of feature name -> value, or a list of them"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, list, &apiError{Msg: "unexpected data after the JSON value"}
	}
	return rows, list, nil
}

// decodeObject decodes the members of one row object, after its '{'.
func (p *rowParser) decodeObject(dec *json.Decoder, rowNum int) (features.Row, error) {
	row := features.NewRow(p.schema)
	seen := make([]bool, len(p.fields))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return row, &apiError{Row: rowNum, Msg: "invalid JSON: " + jsonMsg(err)}
		}
		name, _ := t.(string)
		i, ok := p.byName[name]
		if !ok {
			return row, &apiError{Row: rowNum, Field: name, Msg: "unknown feature (the 41 NSL-KDD feature names are expected)"}
		}
		if seen[i] {
			return row, &apiError{Row: rowNum, Field: name, Msg: "given twice"}
		}
		seen[i] = true
		v, err := dec.Token()
		if err != nil {
			return row, &apiError{Row: rowNum, Field: name, Msg: "invalid JSON: " + jsonMsg(err)}
		}
		f := &p.fields[i]
		var raw string
		switch v := v.(type) {
		case json.Number:
			if f.Kind == kindSymbol {
				return row, &apiError{Row: rowNum, Field: name, Msg: "want a string"}
			}
			raw = v.String()
		case string:
			raw = v
			if raw == "" || raw == "?" {
				raw = " " // a missing value, reported as such
			}
		case nil:
			return row, &apiError{Row: rowNum, Field: name, Msg: "missing value (null)"}
		default:
			return row, &apiError{Row: rowNum, Field: name, Msg: fmt.Sprintf("want a %s, got %s", jsonWant(f), jsonKind(v))}
		}
		if err := f.parseValue(raw, &row); err != nil {
			var fe *fieldError
			errors.As(err, &fe)
			return row, &apiError{Row: rowNum, Field: name, Msg: fe.Msg}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return row, &apiError{Row: rowNum, Msg: "invalid JSON: " + jsonMsg(err)}
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, p.fields[i].Name)
		}
	}
	if len(missing) > 0 {
		msg := "missing features: " + strings.Join(missing, ", ")
		if len(missing) == 1 {
			return row, &apiError{Row: rowNum, Field: missing[0], Msg: "missing feature"}
		}
		return row, &apiError{Row: rowNum, Msg: msg}
	}
	return row, nil
}

func jsonWant(f *field) string {
	if f.Kind == kindSymbol {
		return "string"
	}
	return "number"
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case json.Delim:
		return "an array or object"
	}
	return fmt.Sprintf("%T", v)
}

// jsonMsg shortens a JSON syntax error for a message.
func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}
