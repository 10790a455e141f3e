package dataset

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cnids/cnids/features"
)

// arffAttr is one @attribute declaration.
type arffAttr struct {
	line    int
	name    string
	typ     string   // lower-cased type keyword: real, numeric, integer, string, date, nominal
	nominal []string // the values of a nominal type
}

// hasKeyword reports whether t starts with the ARFF keyword kw (ignoring
// case) followed by a space, a tab or the end of the line.
func hasKeyword(t []byte, kw string) bool {
	if len(t) < len(kw) || !bytes.EqualFold(t[:len(kw)], []byte(kw)) {
		return false
	}
	return len(t) == len(kw) || t[len(kw)] == ' ' || t[len(kw)] == '\t'
}

// startARFF reads an NSL-KDD ARFF header, from its first line up to and
// including @data, checks it against the schema and installs the ARFF
// layout: the 41 features then class in {normal, anomaly}.
func (l *loader) startARFF(lr *lineReader, first []byte) error {
	if l.mode != LabelsBinary {
		return fmt.Errorf("dataset: %s: an NSL-KDD ARFF file labels rows only normal or anomaly, so label mode %q is impossible; read it with label mode %q: %w",
			l.file, l.mode, LabelsBinary, ErrLabelMode)
	}
	var attrs []arffAttr
	line, n := first, lr.line
	for {
		t := trimSpace(line)
		switch {
		case len(t) == 0 || t[0] == '%':
			l.rep.Ignored++
		case hasKeyword(t, "@relation"):
		case hasKeyword(t, "@attribute"):
			a, err := parseAttribute(t[len("@attribute"):])
			if err != nil {
				return &ParseError{File: l.file, Line: n, Err: because(ErrHeader, "@attribute "+err.Error())}
			}
			a.line = n
			if err := l.checkAttr(len(attrs), a); err != nil {
				return err
			}
			attrs = append(attrs, a)
		case hasKeyword(t, "@data"):
			if len(trimSpace(t[len("@data"):])) > 0 {
				return &ParseError{File: l.file, Line: n, Err: because(ErrHeader, "has text after @data")}
			}
			return l.finishARFF(attrs, n)
		default:
			return &ParseError{File: l.file, Line: n, Value: clip(t), Err: because(ErrHeader,
				fmt.Sprintf("%q is not an ARFF header line (@relation, @attribute, @data or a %% comment)", clip(t)))}
		}
		var err error
		line, err = lr.next()
		switch {
		case err == io.EOF:
			return &ParseError{File: l.file, Line: lr.line, Err: because(ErrHeader, "the ARFF header ends without an @data line")}
		case err == errLineTooLong:
			return &ParseError{File: l.file, Line: lr.line, Err: because(ErrHeader, fmt.Sprintf("ARFF header line is longer than %d bytes", MaxLineBytes))}
		case err != nil:
			return l.readError(lr, err)
		}
		n = lr.line
	}
}

// parseAttribute parses the rest of an @attribute line: a name, quoted or
// not, then a type keyword or a {nominal, set}.
func parseAttribute(t []byte) (arffAttr, error) {
	var a arffAttr
	t = trimSpace(t)
	if len(t) == 0 {
		return a, fmt.Errorf("has no name")
	}
	if q := t[0]; q == '\'' || q == '"' {
		var name []byte
		i := 1
		for ; i < len(t) && t[i] != q; i++ {
			if t[i] == '\\' && i+1 < len(t) {
				i++
			}
			name = append(name, t[i])
		}
		if i >= len(t) {
			return a, fmt.Errorf("name %q has no closing quote", clip(t))
		}
		a.name, t = string(name), t[i+1:]
	} else {
		i := bytes.IndexAny(t, " \t{")
		if i < 0 {
			return a, fmt.Errorf("%q has no type", clip(t))
		}
		a.name, t = string(t[:i]), t[i:]
	}
	t = trimSpace(t)
	if len(t) > 0 && t[0] == '{' {
		if t[len(t)-1] != '}' {
			return a, fmt.Errorf("%q: nominal set has no closing brace", a.name)
		}
		inner := t[1 : len(t)-1]
		vals, err := splitQuoted(nil, make([]byte, 0, len(inner)), inner, ',', `'"`, true)
		if err != nil {
			return a, fmt.Errorf("%q: nominal set has broken quoting", a.name)
		}
		a.typ = "nominal"
		for _, v := range vals {
			a.nominal = append(a.nominal, string(v))
		}
		return a, nil
	}
	kw := strings.ToLower(string(t))
	switch f := strings.Fields(kw); {
	case len(f) == 1 && (kw == "real" || kw == "numeric" || kw == "integer" || kw == "string"):
		a.typ = kw
		return a, nil
	case len(f) >= 1 && f[0] == "date": // an optional date format follows
		a.typ = "date"
		return a, nil
	}
	return a, fmt.Errorf("%q: type %q is not real, numeric, integer, string, date or a {nominal} set", a.name, clip(t))
}

// checkAttr checks the i-th (0-based) @attribute against the schema: the
// 41 NSL-KDD features in order, with compatible types, then class
// {normal, anomaly}.
func (l *loader) checkAttr(i int, a arffAttr) error {
	cols := l.schema.Columns
	bad := func(want, msg string) error {
		return &ParseError{File: l.file, Line: a.line, Column: i + 1, Name: want, Value: a.name, Err: because(ErrHeader, msg)}
	}
	if i > len(cols) {
		return &ParseError{File: l.file, Line: a.line, Err: because(ErrHeader,
			fmt.Sprintf("declares attribute %d (%q); want %d (the %d %s features, then class)", i+1, a.name, len(cols)+1, len(cols), l.family))}
	}
	if i == len(cols) {
		if !strings.EqualFold(a.name, "class") {
			return bad("class", `is not the expected attribute name "class"`)
		}
		set := slices.Clone(a.nominal)
		for k := range set {
			set[k] = strings.ToLower(set[k])
		}
		slices.Sort(set)
		if a.typ != "nominal" || !slices.Equal(set, []string{"anomaly", "normal"}) {
			return bad("class", fmt.Sprintf("is declared %s %q, want the nominal set {normal, anomaly}", a.typ, a.nominal))
		}
		return nil
	}
	c := cols[i]
	if !strings.EqualFold(a.name, c.Name) {
		return bad(c.Name, fmt.Sprintf("is not the expected attribute name %q", c.Name))
	}
	switch {
	case features.IsSymbolic(c):
		if a.typ != "nominal" && a.typ != "string" {
			return bad(c.Name, fmt.Sprintf("is declared %s, want a {nominal} set or string", a.typ))
		}
	case a.typ == "nominal":
		for _, v := range a.nominal {
			if _, st := parseNumber([]byte(v), false); st != numOK {
				return bad(c.Name, fmt.Sprintf("is declared with the nominal value %q, want numbers", v))
			}
		}
	case a.typ != "real" && a.typ != "numeric" && a.typ != "integer":
		return bad(c.Name, fmt.Sprintf("is declared %s, want real, numeric or integer", a.typ))
	}
	return nil
}

// finishARFF checks the attribute count at @data and installs the layout.
func (l *loader) finishARFF(attrs []arffAttr, dataLine int) error {
	cols := l.schema.Columns
	if len(attrs) != len(cols)+1 {
		return &ParseError{File: l.file, Line: dataLine, Err: because(ErrHeader,
			fmt.Sprintf("the ARFF header declares %d attributes, want %d (the %d %s features, then class)",
				len(attrs), len(cols)+1, len(cols), l.family))}
	}
	l.format = fmtARFF
	l.setSpecs(append(l.schemaSpecs(), fieldSpec{name: attrs[len(cols)].name, role: roleLabel}))
	return nil
}
