package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cnids/cnids/features"
)

// checkRow checks the invariants of a parsed row: every number finite and
// within its field's range, every symbol non-empty, valid UTF-8, without
// control characters.
func checkRow(t *testing.T, p *rowParser, row *features.Row) {
	t.Helper()
	for i := range p.fields {
		f := &p.fields[i]
		if f.Kind == kindSymbol {
			s := row.Symbols[i]
			if s == "" || len(s) > maxSymbolLen || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("field %s: symbol %q", f.Name, s)
			}
			continue
		}
		v := row.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (f.Kind == kindRate && v > 1) || (f.Kind == kindBinary && v != 0 && v != 1) ||
			(f.Max > 0 && v > f.Max) || ((f.Kind == kindCount || f.Kind == kindBytes) && v != math.Trunc(v)) {
			t.Fatalf("field %s (%v): value %v", f.Name, f.Kind, v)
		}
	}
}

// csvLine writes a row as one CSV line.
func csvLine(p *rowParser, row *features.Row) string {
	rec := make([]string, len(p.fields))
	for i := range p.fields {
		if p.fields[i].Kind == kindSymbol {
			rec[i] = row.Symbols[i]
		} else {
			rec[i] = strconv.FormatFloat(row.Values[i], 'g', -1, 64)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rec)
	w.Flush()
	return b.String()
}

func sameRow(p *rowParser, a, b *features.Row) bool {
	for i := range p.fields {
		if p.fields[i].Kind == kindSymbol {
			if a.Symbols[i] != b.Symbols[i] {
				return false
			}
		} else if a.Values[i] != b.Values[i] {
			return false
		}
	}
	return true
}

// FuzzParseCSVRow feeds the classify page's pasted-row parser: it never
// panics, fails only with a located error, and what it accepts is a valid
// row that survives a round trip through CSV.
func FuzzParseCSVRow(f *testing.F) {
	fs := strings.Split(neptuneRow, ",")
	for _, s := range []string{
		neptuneRow, normalRow, strings.Join(fs[:41], ","), "\ufeff" + neptuneRow + "\r\n",
		strings.Join(features.NSLKDD().Names(), ",") + "\n" + normalRow,
		strings.Replace(neptuneRow, "private", `"pri,vate"`, 1), strings.Replace(neptuneRow, "private", `"a""b"`, 1),
		neptuneRow + "\n" + normalRow, "", ",,,", `0,"tcp`, "1e308,tcp,http,SF,1e308,0",
		strings.Replace(normalRow, "0.20", "0x1p-2", 1), strings.Replace(normalRow, "232", "2.32e2", 1),
	} {
		f.Add(s)
	}
	p := testParser(f)
	f.Fuzz(func(t *testing.T, text string) {
		pr, err := p.parsePasted(text)
		if err != nil {
			var ce *csvError
			if !errors.As(err, &ce) || ce.File != "pasted row" {
				t.Fatalf("error without a location: %v", err)
			}
			return
		}
		checkRow(t, p, &pr.Row)
		again, err := p.parsePasted(csvLine(p, &pr.Row))
		if err != nil {
			t.Fatalf("round trip of %q: %v", csvLine(p, &pr.Row), err)
		}
		if !sameRow(p, &pr.Row, &again.Row) {
			t.Fatalf("round trip changed the row: %q", csvLine(p, &pr.Row))
		}
		_ = p.unseen(&pr.Row)
	})
}

// FuzzDecodeJSON feeds the API's body decoder: it never panics, fails
// only with an apiError, and what it accepts are valid rows that survive a
// round trip through JSON.
func FuzzDecodeJSON(f *testing.F) {
	one := apiBody(f, neptuneRow)
	for _, s := range []string{
		one, "[" + one + "," + apiBody(f, normalRow) + "]", "[]", "{}", "null", `{"duration":1}`, one + "x",
		strings.Replace(one, `"src_bytes":0`, `"src_bytes":"12"`, 1), strings.Replace(one, `"src_bytes":0`, `"src_bytes":1e400`, 1),
		strings.Replace(one, `"service":"private"`, `"service":"\u0000"`, 1), "[" + one + ",[" + one + "]]", `{"a":{"b":[1,2,{"c":null}]}}`,
	} {
		f.Add([]byte(s))
	}
	p := testParser(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, list, err := p.decodeJSON(body, 4)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Msg == "" {
				t.Fatalf("error of another kind: %v", err)
			}
			if _, err := json.Marshal(ae); err != nil {
				t.Fatal(err)
			}
			return
		}
		if len(rows) == 0 || len(rows) > 4 || (!list && len(rows) != 1) {
			t.Fatalf("%d rows, list %v", len(rows), list)
		}
		var objs []map[string]any
		for i := range rows {
			checkRow(t, p, &rows[i])
			m := map[string]any{}
			for j := range p.fields {
				if p.fields[j].Kind == kindSymbol {
					m[p.fields[j].Name] = rows[i].Symbols[j]
				} else {
					m[p.fields[j].Name] = rows[i].Values[j]
				}
			}
			objs = append(objs, m)
		}
		b, err := json.Marshal(objs)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := p.decodeJSON(b, 4)
		if err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		for i := range rows {
			if !sameRow(p, &rows[i], &again[i]) {
				t.Fatalf("round trip changed row %d: %s", i, b)
			}
		}
	})
}
