package dataset

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cnids/cnids/features"
)

// Options configures a read.
type Options struct {
	// Family is the dataset family: "nsl-kdd", "unsw-nb15" or "bot-iot"
	// (the aliases "kdd", "unsw" and "botiot" are accepted too).
	Family string
	// Labels is the label mode (LabelsCategory, LabelsBinary, ...); empty
	// means the family default. See Classes and LabelModes.
	Labels string
	// SkipBad skips bad rows, counting them in the Report, instead of
	// stopping at the first one. Read errors, header errors and label-mode
	// errors always stop the read.
	SkipBad bool
}

// ReadFile reads one dataset file (see Open for paths and compression).
func ReadFile(path string, opt Options) (*features.Frame, *Report, error) {
	return ReadFiles([]string{path}, opt)
}

// ReadFiles reads several files of one family into one frame, in order.
// The files share the frame's vocabularies, so a symbol has one code
// whatever file it came from; Frame.Line holds line numbers within each
// row's own file. The files may mix formats of the family (NSL-KDD text
// and ARFF with label mode binary) except that files with and without
// NSL-KDD's difficulty column cannot be combined. Every file must hold at
// least one data row.
//
// On failure the frame is nil, the error says which file, line and
// column, and the Report describes what was read before it.
func ReadFiles(paths []string, opt Options) (*features.Frame, *Report, error) {
	l, err := newLoader(opt)
	if err != nil {
		return nil, newReport(), err
	}
	if len(paths) == 0 {
		return nil, l.rep, errors.New("dataset: no input files given")
	}
	for _, p := range paths {
		if err := l.readPath(p); err != nil {
			l.fillReport()
			return nil, l.rep, err
		}
	}
	return l.finish()
}

// Read reads a dataset from r, which may be gzip-compressed (detected by
// its magic bytes). name is used in messages and as Frame.Source.
func Read(r io.Reader, name string, opt Options) (*features.Frame, *Report, error) {
	l, err := newLoader(opt)
	if err != nil {
		return nil, newReport(), err
	}
	src, err := decompress(r, name)
	if err == nil {
		err = l.readStream(src, name)
	}
	if err != nil {
		l.fillReport()
		return nil, l.rep, err
	}
	return l.finish()
}

// format is the layout of one input file.
type format uint8

const (
	fmtKDDText format = iota + 1
	fmtARFF
	fmtUNSW
	fmtBotIoT
)

// role says what a field of the file holds.
type role uint8

const (
	roleFeature    role = iota // a schema column
	roleIgnore                 // a column nobody asked for
	roleLabel                  // KDD label, ARFF class, UNSW attack_cat, BoT-IoT category
	roleDifficulty             // KDD difficulty
	roleBinLabel               // UNSW label, BoT-IoT attack (0/1)
	roleSubcat                 // BoT-IoT subcategory
	numRoles
)

// conv says how a feature field is converted.
type conv uint8

const (
	convNumber conv = iota // a number; missing values allowed
	convBinary             // 0 or 1; missing values allowed
	convCount              // a binary column whose data also holds small counts
	convSymbol             // a string, interned
	convPort               // a string that must be a decimal or hex port, "" or "-"
)

// fieldSpec describes one field of a row.
type fieldSpec struct {
	name string // as the header (or schema) spells it
	role role
	col  int // schema column for roleFeature
	conv conv
}

// loader holds the state of one ReadFiles/Read call.
type loader struct {
	opt    Options
	family string
	mode   string
	schema *features.Schema
	frame  *features.Frame
	rep    *Report

	colIndex  map[string]int // lower-cased schema column name -> index
	missing   []int          // per schema column
	nonFinite []int
	nonBinary []int
	intern    []map[string]string // per symbolic column

	kdd      map[string]kddLabel
	unswCat  map[string]int
	botCat   map[string]int
	botSub   map[string]int
	catNames []string // canonical UNSW-NB15 or BoT-IoT category names
	subNames []string // canonical BoT-IoT subcategory names
	subOK    [][]bool // BoT-IoT: subOK[category][subcategory]

	hasDiff bool // whether the frame's rows have a difficulty

	// The current file.
	file        string
	lr          *lineReader
	sizeHint    int64 // the file's decompressed size when known, else 0
	fileRows0   int   // frame rows before this file
	format      format
	specs       []fieldSpec
	labPos      [numRoles]int
	dashMissing bool

	// Per-row scratch, reused.
	fields    [][]byte
	scratch   []byte
	lower     []byte
	row       features.Row
	lab       [numRoles][]byte
	rowMiss   []int
	rowInf    []int
	rowNonBin []int
}

func newLoader(opt Options) (*loader, error) {
	fam, mode, err := resolveMode(opt.Family, opt.Labels)
	if err != nil {
		return nil, err
	}
	classes, err := Classes(fam, mode)
	if err != nil {
		return nil, err
	}
	s, err := family(fam)
	if err != nil {
		return nil, err
	}
	l := &loader{
		opt:       opt,
		family:    fam,
		mode:      mode,
		schema:    s,
		frame:     features.NewFrame(s, classes),
		rep:       newReport(),
		colIndex:  make(map[string]int, len(s.Columns)),
		missing:   make([]int, len(s.Columns)),
		nonFinite: make([]int, len(s.Columns)),
		nonBinary: make([]int, len(s.Columns)),
		intern:    make([]map[string]string, len(s.Columns)),
		row:       features.NewRow(s),
	}
	for i, c := range s.Columns {
		l.colIndex[strings.ToLower(c.Name)] = i
		if features.IsSymbolic(c) {
			l.intern[i] = map[string]string{}
		}
	}
	switch fam {
	case FamilyNSLKDD:
		l.kdd = kddLabels()
	case FamilyUNSWNB15:
		l.catNames = unswCategories()
		l.unswCat = lowerIndex(l.catNames)
		l.unswCat["backdoors"] = l.unswCat["backdoor"] // the spelling of some partitions
		l.dashMissing = true
	case FamilyBotIoT:
		l.catNames, l.subNames = botCategories(), botSubcategories()
		l.botCat, l.botSub = lowerIndex(l.catNames), lowerIndex(l.subNames)
		l.subOK = make([][]bool, len(l.catNames))
		for c := range l.subOK {
			l.subOK[c] = make([]bool, len(l.subNames))
			for s := range l.subNames {
				l.subOK[c][s] = botSubcategoryAllows(c, s)
			}
		}
		l.dashMissing = true
	}
	return l, nil
}

// readPath opens and reads one file.
func (l *loader) readPath(path string) error {
	rc, err := open(path, os.Stdin)
	if err != nil {
		return err
	}
	l.sizeHint = sizeHint(rc)
	err = l.readStream(rc.Reader, displayName(path))
	l.sizeHint = 0
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("dataset: %s: %w", displayName(path), cerr)
	}
	return err
}

// readStream reads one (decompressed) input into the frame.
func (l *loader) readStream(r io.Reader, name string) error {
	l.file = name
	l.rep.Files = append(l.rep.Files, name)
	rows0, skipped0 := l.rep.Rows, l.rep.Skipped
	lr := newLineReader(r)
	l.lr, l.fileRows0 = lr, l.frame.Len()

	first, err := l.firstContent(lr)
	if err != nil {
		return err
	}
	if first == nil {
		if l.family == FamilyUNSWNB15 {
			return &ParseError{File: name, Err: because(ErrHeader, "is empty; a UNSW-NB15 CSV file needs a header row")}
		}
		return fmt.Errorf("dataset: %s: no data rows", name)
	}
	switch l.family {
	case FamilyNSLKDD:
		if t := trimSpace(first); t[0] == '@' || t[0] == '%' {
			if err := l.startARFF(lr, first); err != nil {
				return err
			}
			first = nil
		} else {
			l.startFixed(fmtKDDText, []fieldSpec{{name: "label", role: roleLabel}, {name: "difficulty", role: roleDifficulty}})
		}
	case FamilyUNSWNB15:
		if err := l.startHeader(fmtUNSW, first, lr.line, map[string]role{"attack_cat": roleLabel, "label": roleBinLabel}); err != nil {
			return err
		}
		first = nil
	case FamilyBotIoT:
		labels := map[string]role{"attack": roleBinLabel, "category": roleLabel, "subcategory": roleSubcat}
		if l.botHeader(first) {
			if err := l.startHeader(fmtBotIoT, first, lr.line, labels); err != nil {
				return err
			}
			first = nil
		} else {
			l.startFixed(fmtBotIoT, []fieldSpec{{name: "attack", role: roleBinLabel},
				{name: "category", role: roleLabel}, {name: "subcategory", role: roleSubcat}})
		}
	}
	if err := l.checkDifficulty(); err != nil {
		return err
	}
	if first != nil {
		if err := l.processLine(first, lr.line); err != nil {
			return err
		}
	}
	for {
		line, err := lr.next()
		switch {
		case err == io.EOF:
			if l.rep.Rows == rows0 && l.rep.Skipped == skipped0 {
				return fmt.Errorf("dataset: %s: no data rows", name)
			}
			return nil
		case err == errLineTooLong:
			pe := &ParseError{File: name, Line: lr.line, Err: because(ErrBadValue, fmt.Sprintf("line is longer than %d bytes", MaxLineBytes))}
			if err := l.badRow(pe); err != nil {
				return err
			}
			continue
		case err != nil:
			return l.readError(lr, err)
		}
		if isBlank(line) || (l.format == fmtARFF && trimSpace(line)[0] == '%') {
			l.rep.Ignored++
			continue
		}
		if err := l.processLine(line, lr.line); err != nil {
			return err
		}
	}
}

// firstContent returns the first non-blank line, or nil at the end of
// input.
func (l *loader) firstContent(lr *lineReader) ([]byte, error) {
	for {
		line, err := lr.next()
		switch {
		case err == io.EOF:
			return nil, nil
		case err == errLineTooLong:
			return nil, &ParseError{File: l.file, Line: lr.line, Err: because(ErrBadValue, fmt.Sprintf("first line is longer than %d bytes", MaxLineBytes))}
		case err != nil:
			return nil, l.readError(lr, err)
		}
		if !isBlank(line) {
			return line, nil
		}
		l.rep.Ignored++
	}
}

// readError describes a failed read at the line being read.
func (l *loader) readError(lr *lineReader, err error) error {
	return &ParseError{File: l.file, Line: lr.line + 1, Err: fmt.Errorf("reading failed (truncated or corrupt input?): %w", err)}
}

// checkDifficulty refuses to mix files with and without NSL-KDD's
// difficulty column in one frame.
func (l *loader) checkDifficulty() error {
	has := l.format == fmtKDDText
	if l.frame.Len() == 0 {
		l.hasDiff = has
		return nil
	}
	if has != l.hasDiff {
		what := map[bool]string{true: "have a difficulty column", false: "have no difficulty column"}
		return fmt.Errorf("dataset: %s: its rows %s but those of the files before it %s; read them separately",
			l.file, what[has], what[l.hasDiff])
	}
	return nil
}

// schemaSpecs returns one feature spec per schema column, in order.
func (l *loader) schemaSpecs() []fieldSpec {
	specs := make([]fieldSpec, 0, len(l.schema.Columns)+3)
	for i, c := range l.schema.Columns {
		specs = append(specs, fieldSpec{name: c.Name, role: roleFeature, col: i, conv: l.convFor(c)})
	}
	return specs
}

// convFor returns how a schema column's fields are converted.
func (l *loader) convFor(c features.Column) conv {
	switch {
	case features.IsSymbolic(c):
		if l.family == FamilyBotIoT && (c.Name == "sport" || c.Name == "dport") {
			return convPort
		}
		return convSymbol
	case c.Kind == features.Binary:
		if l.family == FamilyUNSWNB15 && c.Name == "is_ftp_login" {
			return convCount
		}
		return convBinary
	}
	return convNumber
}

// startFixed sets a header-less layout: the schema's columns in order,
// then the given label fields.
func (l *loader) startFixed(f format, labels []fieldSpec) {
	l.format = f
	l.setSpecs(append(l.schemaSpecs(), labels...))
}

// setSpecs installs a layout and records where its label fields are.
func (l *loader) setSpecs(specs []fieldSpec) {
	l.specs = specs
	for i := range l.labPos {
		l.labPos[i] = -1
	}
	for i, s := range specs {
		if s.role != roleFeature && s.role != roleIgnore {
			l.labPos[s.role] = i
		}
	}
	if n := 2 * len(specs); cap(l.fields) < n {
		l.fields = make([][]byte, 0, n)
	}
}

// botHeader reports whether a BoT-IoT file's first line is a header: its
// first field is not a number (the public files' headers start with
// "pkSeqID", quoted or not).
func (l *loader) botHeader(first []byte) bool {
	l.scratch = slices.Grow(l.scratch[:0], len(first))
	fields, err := splitQuoted(l.fields[:0], l.scratch, first, ',', `"`, false)
	if err != nil || len(fields) == 0 {
		return false
	}
	_, st := parseNumber(fields[0], true)
	return st == numBad
}

// startHeader maps a CSV header row onto the schema and the label
// columns, by name (ignoring case and order).
func (l *loader) startHeader(f format, header []byte, line int, labels map[string]role) error {
	l.format = f
	l.scratch = slices.Grow(l.scratch[:0], len(header))
	fields, err := splitQuoted(nil, l.scratch, header, ',', `"`, false)
	if err != nil {
		return &ParseError{File: l.file, Line: line, Err: because(ErrHeader, fmt.Sprintf("header field %d has broken quoting", len(fields)+1))}
	}
	specs := make([]fieldSpec, len(fields))
	seenCol := make([]bool, len(l.schema.Columns))
	seenRole := make(map[role]bool)
	for i, b := range fields {
		name := string(b)
		key := strings.ToLower(name)
		dup := func() error {
			return &ParseError{File: l.file, Line: line, Column: i + 1, Name: name, Value: name,
				Err: because(ErrHeader, "names a column a second time")}
		}
		if c, ok := l.colIndex[key]; ok {
			if seenCol[c] {
				return dup()
			}
			seenCol[c] = true
			specs[i] = fieldSpec{name: name, role: roleFeature, col: c, conv: l.convFor(l.schema.Columns[c])}
			continue
		}
		if r, ok := labels[key]; ok {
			if seenRole[r] {
				return dup()
			}
			seenRole[r] = true
			specs[i] = fieldSpec{name: name, role: r}
			continue
		}
		specs[i] = fieldSpec{name: name, role: roleIgnore}
		if !slices.Contains(l.rep.IgnoredColumns, name) {
			l.rep.IgnoredColumns = append(l.rep.IgnoredColumns, name)
		}
	}
	var missing []string
	for c, ok := range seenCol {
		if !ok {
			missing = append(missing, l.schema.Columns[c].Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if !seenRole[labels[name]] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		quoted := make([]string, len(missing))
		for i, m := range missing {
			quoted[i] = fmt.Sprintf("%q", m)
		}
		return &ParseError{File: l.file, Line: line, Name: missing[0], Err: because(ErrHeader,
			fmt.Sprintf("header row lacks column %s (the %s reader maps columns by header name; is the header row missing?)",
				strings.Join(quoted, ", "), l.family))}
	}
	l.setSpecs(specs)
	return nil
}

// badRow handles a bad row: it is the error to stop with, or, with
// SkipBad, it is counted and nil is returned.
func (l *loader) badRow(pe *ParseError) error {
	if !l.opt.SkipBad {
		return pe
	}
	l.rep.Skipped++
	l.rep.SkippedBy[reasonOf(pe.Err)]++
	if len(l.rep.Errors) < MaxReportErrors {
		l.rep.Errors = append(l.rep.Errors, pe)
	}
	return nil
}

// processLine parses one data line and appends it to the frame.
func (l *loader) processLine(line []byte, n int) error {
	class, attack, diff, pe := l.parseLine(line, n)
	if pe != nil {
		return l.badRow(pe)
	}
	if len(l.frame.Y) == cap(l.frame.Y) {
		l.reserve()
	}
	l.frame.Append(l.row, class, attack, diff, n)
	l.rep.Rows++
	for _, c := range l.rowMiss {
		l.missing[c]++
	}
	for _, c := range l.rowInf {
		l.nonFinite[c]++
	}
	for _, c := range l.rowNonBin {
		l.nonBinary[c]++
	}
	return nil
}

// reserve grows the capacity of every column of the frame ahead of
// Frame.Append, which would otherwise grow each slice by append's policy
// (1.25x for large slices, copying each column about four times over).
// Capacity doubles; once 1024 rows of a file of known size have been
// read, it jumps instead to the number of rows the file is expected to
// hold (from its size and the bytes per row so far, plus 1%), but never
// by more than the larger of 2^18 rows and the rows read so far, so a
// wrong size hint (a forged gzip trailer, lines of changing length) costs
// at most that much memory.
func (l *loader) reserve() {
	f := l.frame
	n := len(f.Y)
	want := max(2*n, 64)
	if fileRows := n - l.fileRows0; l.sizeHint > 0 && fileRows >= 1024 && l.lr != nil && l.lr.bytes > 0 {
		est := l.fileRows0 + int(float64(fileRows)*float64(l.sizeHint)/float64(l.lr.bytes)*1.01) + 64
		if est > n {
			want = min(est, max(2*n, 1<<18))
		}
	}
	add := want - n
	for j := range f.Num {
		if f.Num[j] != nil {
			f.Num[j] = slices.Grow(f.Num[j], add)
		}
		if f.Codes[j] != nil {
			f.Codes[j] = slices.Grow(f.Codes[j], add)
		}
	}
	f.Y = slices.Grow(f.Y, add)
	f.Attack = slices.Grow(f.Attack, add)
	f.Line = slices.Grow(f.Line, add)
	if f.Difficulty != nil {
		f.Difficulty = slices.Grow(f.Difficulty, add)
	}
}

// fieldErr describes a bad field i (0-based) of line n.
func (l *loader) fieldErr(n, i int, b []byte, err error) *ParseError {
	return &ParseError{File: l.file, Line: n, Column: i + 1, Name: l.specs[i].name, Value: clip(b), Err: err}
}

// split splits a line into l.fields according to the file format.
func (l *loader) split(line []byte, n int) *ParseError {
	var quotes string
	backslash := false
	switch l.format {
	case fmtKDDText:
		l.fields = splitPlain(l.fields, line, ',')
		return nil
	case fmtARFF:
		if line[0] == '{' {
			return &ParseError{File: l.file, Line: n, Err: because(ErrBadValue, "is a sparse ARFF row, which this reader does not support")}
		}
		quotes, backslash = `'"`, true
	default:
		quotes = `"`
	}
	if !hasAny(line, quotes) {
		l.fields = splitPlain(l.fields, line, ',')
		return nil
	}
	l.scratch = slices.Grow(l.scratch[:0], len(line))
	var err error
	l.fields, err = splitQuoted(l.fields, l.scratch, line, ',', quotes, backslash)
	if err != nil {
		k := len(l.fields)
		what := fmt.Sprintf("field %d has broken quoting (an unterminated quote, or text after a closing quote)", k+1)
		if k < len(l.specs) {
			what = fmt.Sprintf("field %d (%s) has broken quoting (an unterminated quote, or text after a closing quote)", k+1, l.specs[k].name)
		}
		return &ParseError{File: l.file, Line: n, Err: because(ErrBadValue, what)}
	}
	return nil
}

// hasAny reports whether b contains any byte of chars.
func hasAny(b []byte, chars string) bool {
	for i := 0; i < len(chars); i++ {
		for _, c := range b {
			if c == chars[i] {
				return true
			}
		}
	}
	return false
}

// parseLine parses one data line into l.row and returns its class index,
// raw label and difficulty (-1 when the format has none).
func (l *loader) parseLine(line []byte, n int) (int, string, int, *ParseError) {
	l.rowMiss, l.rowInf, l.rowNonBin = l.rowMiss[:0], l.rowInf[:0], l.rowNonBin[:0]
	l.lab = [numRoles][]byte{}
	if pe := l.split(line, n); pe != nil {
		return 0, "", 0, pe
	}
	if len(l.fields) != len(l.specs) {
		return 0, "", 0, &ParseError{File: l.file, Line: n,
			Err: because(ErrFieldCount, fmt.Sprintf("has %d fields, want %d", len(l.fields), len(l.specs)))}
	}
	for i, b := range l.fields {
		s := &l.specs[i]
		switch s.role {
		case roleFeature:
			if pe := l.feature(s, i, b, n); pe != nil {
				return 0, "", 0, pe
			}
		case roleIgnore:
		default:
			l.lab[s.role] = b
		}
	}
	switch l.format {
	case fmtKDDText, fmtARFF:
		return l.kddLabel(n)
	case fmtUNSW:
		return l.unswLabel(n)
	default:
		return l.botLabel(n)
	}
}

// feature converts field i of line n into l.row.
func (l *loader) feature(s *fieldSpec, i int, b []byte, n int) *ParseError {
	switch s.conv {
	case convSymbol, convPort:
		if s.conv == convPort && len(b) > 0 && !(len(b) == 1 && b[0] == '-') {
			if _, ok := parsePort(b); !ok {
				return l.fieldErr(n, i, b, because(ErrBadValue, "is not a port number (decimal or 0x-prefixed hex, 0..65535)"))
			}
		}
		v, ok := l.symbol(s.col, b)
		if !ok {
			return l.fieldErr(n, i, b, because(ErrBadValue, "is not valid UTF-8"))
		}
		l.row.Symbols[s.col] = v
		return nil
	}
	v, st := parseNumber(b, l.dashMissing)
	switch st {
	case numBad:
		return l.fieldErr(n, i, b, ErrNotNumber)
	case numMissing:
		l.rowMiss = append(l.rowMiss, s.col)
	case numInf:
		if s.conv != convNumber {
			return l.fieldErr(n, i, b, because(ErrBadValue, "is not 0 or 1"))
		}
		l.rowInf = append(l.rowInf, s.col)
	case numOK:
		switch {
		case s.conv == convBinary && v != 0 && v != 1:
			return l.fieldErr(n, i, b, because(ErrBadValue, "is not 0 or 1"))
		case s.conv == convCount && (v < 0 || v != float64(int64(v))):
			return l.fieldErr(n, i, b, because(ErrBadValue, "is not 0, 1 or a small whole count"))
		case s.conv == convCount && v > 1:
			l.rowNonBin = append(l.rowNonBin, s.col)
		}
	}
	l.row.Values[s.col] = v
	return nil
}

// symbol returns b as an interned string of column col; it fails only on
// invalid UTF-8.
func (l *loader) symbol(col int, b []byte) (string, bool) {
	m := l.intern[col]
	if v, ok := m[string(b)]; ok {
		return v, true
	}
	if !utf8.Valid(b) {
		return "", false
	}
	v := string(b)
	m[v] = v
	return v, true
}

// lookupFold looks b up in a map keyed by lower-case names.
func (l *loader) lookupFold(m map[string]int, b []byte) (int, bool) {
	l.lower = appendLower(l.lower[:0], b)
	v, ok := m[string(l.lower)]
	return v, ok
}

// labelField returns the field index and text of a label role.
func (l *loader) labelField(r role) (int, []byte) {
	return l.labPos[r], l.lab[r]
}

// kddLabel resolves an NSL-KDD text or ARFF row's label and difficulty.
func (l *loader) kddLabel(n int) (int, string, int, *ParseError) {
	pos, b := l.labelField(roleLabel)
	if l.format == fmtARFF {
		// Only the binary mode gets here (startARFF checks).
		l.lower = appendLower(l.lower[:0], b)
		switch string(l.lower) {
		case "normal":
			return 0, "normal", -1, nil
		case "anomaly":
			return 1, "anomaly", -1, nil
		}
		return 0, "", 0, l.fieldErr(n, pos, b, because(ErrUnknownLabel, "is not an ARFF class (normal or anomaly)"))
	}
	e, ok := l.kdd[string(b)]
	if !ok {
		l.lower = appendLower(l.lower[:0], b)
		e, ok = l.kdd[string(l.lower)]
	}
	if !ok {
		return 0, "", 0, l.fieldErr(n, pos, b, because(ErrUnknownLabel, "is not an NSL-KDD label (normal or a known attack name)"))
	}
	dpos, db := l.labelField(roleDifficulty)
	d, ok := parseSmallInt(db)
	if !ok {
		if _, st := parseNumber(db, false); st == numBad {
			return 0, "", 0, l.fieldErr(n, dpos, db, ErrNotNumber)
		}
		return 0, "", 0, l.fieldErr(n, dpos, db, because(ErrBadValue, "is not a whole number 0..21"))
	}
	if d > 21 {
		return 0, "", 0, l.fieldErr(n, dpos, db, because(ErrBadValue, "is not a whole number 0..21"))
	}
	class := e.category
	switch l.mode {
	case LabelsAttack:
		if e.attack < 0 {
			return 0, "", 0, l.fieldErr(n, pos, b, because(ErrUnknownLabel, "is a category, not an attack name (label mode attack needs attack names)"))
		}
		class = e.attack
	case LabelsBinary:
		class = min(e.category, 1)
	}
	return class, e.name, d, nil
}

// binaryLabel parses a 0/1 label field.
func (l *loader) binaryLabel(r role, n int) (int, *ParseError) {
	pos, b := l.labelField(r)
	v, st := parseNumber(b, false)
	switch {
	case st == numBad:
		return 0, l.fieldErr(n, pos, b, ErrNotNumber)
	case st != numOK || (v != 0 && v != 1):
		return 0, l.fieldErr(n, pos, b, because(ErrBadValue, "is not 0 or 1"))
	}
	return int(v), nil
}

// unswLabel resolves a UNSW-NB15 row's attack_cat and label.
func (l *loader) unswLabel(n int) (int, string, int, *ParseError) {
	pos, b := l.labelField(roleLabel)
	cat, ok := l.lookupFold(l.unswCat, b)
	if !ok {
		return 0, "", 0, l.fieldErr(n, pos, b, because(ErrUnknownLabel,
			"is not a UNSW-NB15 attack category (Normal, Generic, Exploits, Fuzzers, DoS, Reconnaissance, Analysis, Backdoor, Shellcode, Worms)"))
	}
	bin, pe := l.binaryLabel(roleBinLabel, n)
	if pe != nil {
		return 0, "", 0, pe
	}
	name := l.catNames[cat]
	if (cat == 0) != (bin == 0) {
		bpos, bb := l.labelField(roleBinLabel)
		return 0, "", 0, l.fieldErr(n, bpos, bb, because(ErrLabelMismatch,
			fmt.Sprintf("disagrees with attack_cat %q (Normal rows have label 0, attacks label 1)", name)))
	}
	if l.mode == LabelsBinary {
		return bin, name, -1, nil
	}
	return cat, name, -1, nil
}

// botLabel resolves a BoT-IoT row's attack, category and subcategory.
func (l *loader) botLabel(n int) (int, string, int, *ParseError) {
	cpos, cb := l.labelField(roleLabel)
	cat, ok := l.lookupFold(l.botCat, cb)
	if !ok {
		return 0, "", 0, l.fieldErr(n, cpos, cb, because(ErrUnknownLabel,
			"is not a BoT-IoT category (Normal, DDoS, DoS, Reconnaissance, Theft)"))
	}
	spos, sb := l.labelField(roleSubcat)
	sub, ok := l.lookupFold(l.botSub, sb)
	if !ok {
		return 0, "", 0, l.fieldErr(n, spos, sb, because(ErrUnknownLabel,
			"is not a BoT-IoT subcategory (Normal, TCP, UDP, HTTP, Service_Scan, OS_Fingerprint, Keylogging, Data_Exfiltration)"))
	}
	bin, pe := l.binaryLabel(roleBinLabel, n)
	if pe != nil {
		return 0, "", 0, pe
	}
	if (cat == 0) != (bin == 0) {
		bpos, bb := l.labelField(roleBinLabel)
		return 0, "", 0, l.fieldErr(n, bpos, bb, because(ErrLabelMismatch,
			fmt.Sprintf("disagrees with category %q (Normal rows have attack 0, attacks 1)", l.catNames[cat])))
	}
	if !l.subOK[cat][sub] {
		return 0, "", 0, l.fieldErr(n, spos, sb, because(ErrLabelMismatch,
			fmt.Sprintf("is not a subcategory of category %q", l.catNames[cat])))
	}
	name := l.subNames[sub]
	switch l.mode {
	case LabelsBinary:
		return bin, name, -1, nil
	case LabelsSubcategory:
		return sub, name, -1, nil
	}
	return cat, name, -1, nil
}

// fillReport copies the per-column counters into the Report's maps.
func (l *loader) fillReport() {
	fill := func(m map[string]int, counts []int) {
		clear(m)
		for c, k := range counts {
			if k > 0 {
				m[l.schema.Columns[c].Name] = k
			}
		}
	}
	fill(l.rep.Missing, l.missing)
	fill(l.rep.NonFinite, l.nonFinite)
	fill(l.rep.NonBinary, l.nonBinary)
}

// finish returns the frame, or an error when it holds no rows.
func (l *loader) finish() (*features.Frame, *Report, error) {
	l.fillReport()
	if l.frame.Len() == 0 {
		return nil, l.rep, fmt.Errorf("dataset: %s: no rows read (%d bad rows skipped)", strings.Join(l.rep.Files, ", "), l.rep.Skipped)
	}
	l.frame.Source = strings.Join(l.rep.Files, ", ")
	return l.frame, l.rep, nil
}
