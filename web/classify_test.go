package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// Lines 3 and 4 of KDDTrain+_20Percent.txt (TestKnownRows checks them
// against the file): a neptune SYN flood connection and a normal HTTP
// request.
const (
	neptuneRow = "0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00,neptune,19"
	normalRow  = "0,tcp,http,SF,232,8153,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,5,5,0.20,0.20,0.00,0.00,1.00,0.00,0.00,30,255,1.00,0.00,0.03,0.04,0.03,0.01,0.00,0.01,normal,21"
)

// scanKDD calls line with each line of the 20 % NSL-KDD training file
// until it returns false.
func scanKDD(t testing.TB, line func(string) bool) {
	t.Helper()
	f, err := os.Open(shared(t, "datasets", "nsl-kdd", "KDDTrain+_20Percent.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() && line(sc.Text()) {
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// kddLines returns the first n lines of the 20 % NSL-KDD training file.
func kddLines(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	scanKDD(t, func(l string) bool {
		out = append(out, l)
		return len(out) < n
	})
	if len(out) < n {
		t.Fatalf("%d lines, want %d", len(out), n)
	}
	return out
}

func TestKnownRows(t *testing.T) {
	lines := kddLines(t, 4)
	if lines[2] != neptuneRow || lines[3] != normalRow {
		t.Fatalf("lines 3 and 4 of KDDTrain+_20Percent:\n%s\n%s", lines[2], lines[3])
	}
}

// apiBody turns a CSV line into the API's JSON object.
func apiBody(t testing.TB, line string) string {
	t.Helper()
	fs := strings.Split(line, ",")
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range features.NSLKDD().Names() {
		if i > 0 {
			b.WriteByte(',')
		}
		if i >= 1 && i <= 3 {
			fmt.Fprintf(&b, "%q:%q", name, fs[i])
		} else {
			fmt.Fprintf(&b, "%q:%s", name, fs[i])
		}
	}
	b.WriteByte('}')
	return b.String()
}

func testParser(t testing.TB) *rowParser {
	t.Helper()
	mf := testModel(t)
	p, err := newRowParser(vocabulary(mf.Encoder()), mf.Header.Semantics.CountCap, mf.Header.Semantics.HostCountCap)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The neptune line parses to the values written in it, by hand.
func TestParseRecord(t *testing.T) {
	p := testParser(t)
	pr, err := p.parsePasted(neptuneRow + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]float64{0: 0, 4: 0, 5: 0, 22: 123, 23: 6, 24: 1, 25: 1, 26: 0, 28: 0.05, 29: 0.07, 31: 255, 32: 26,
		33: 0.10, 34: 0.05, 37: 1, 38: 1, 40: 0}
	for i, v := range want {
		if pr.Row.Values[i] != v {
			t.Errorf("column %d (%s) = %v, want %v", i+1, p.fields[i].Name, pr.Row.Values[i], v)
		}
	}
	if got := pr.Row.Symbols[1:4]; got[0] != "tcp" || got[1] != "private" || got[2] != "S0" {
		t.Errorf("symbols %q", got)
	}
	if !pr.HasLabel || pr.Label != "neptune" || pr.Difficulty != 19 {
		t.Errorf("label %q %d %v", pr.Label, pr.Difficulty, pr.HasLabel)
	}
	// 41 fields, a byte-order mark, a header row and quotes are fine.
	fs := strings.Split(neptuneRow, ",")
	text := "\ufeff" + strings.Join(p.schema.Names(), ",") + "\n" + strings.Join(fs[:41], ",")
	var rows []parsedRow
	if err := p.readCSV(strings.NewReader(text), "x.csv", 10, func(line int, pr parsedRow) error {
		if line != 2 {
			t.Errorf("line %d, want 2", line)
		}
		rows = append(rows, pr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].HasLabel || rows[0].Row.Values[22] != 123 {
		t.Fatalf("rows %+v", rows)
	}
	quoted := strings.Replace(strings.Join(fs[:41], ","), "private", `"private"`, 1)
	if pr, err := p.parsePasted(quoted); err != nil || pr.Row.Symbols[2] != "private" {
		t.Errorf("quoted field: %v %q", err, pr.Row.Symbols[2])
	}
	// An unseen service is not an error; unseen names it.
	fs[2] = "gopher_v2"
	pr, err = p.parsePasted(strings.Join(fs, ","))
	if err != nil {
		t.Fatal(err)
	}
	if u := p.unseen(&pr.Row); len(u) != 1 || u[0] != "service=gopher_v2" {
		t.Errorf("unseen %q", u)
	}
}

// Bad rows are refused with the file, line, column and field.
func TestParseErrors(t *testing.T) {
	p := testParser(t)
	fs := strings.Split(neptuneRow, ",")
	with := func(i int, v string) string {
		c := append([]string(nil), fs...)
		c[i] = v
		return strings.Join(c, ",")
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Join(fs[:40], ","), "pasted row:1: wrong number of fields: 40 fields, want 41"},
		{with(4, "abc"), `pasted row:1: column 5 (src_bytes): "abc" is not a number`},
		{with(4, ""), "pasted row:1: column 5 (src_bytes): missing value"},
		{with(4, "?"), "pasted row:1: column 5 (src_bytes): missing value"},
		{with(4, "-1"), "column 5 (src_bytes): -1 is not a whole number >= 0"},
		{with(4, "1.5"), "column 5 (src_bytes): 1.5 is not a whole number >= 0"},
		{with(4, "NaN"), `column 5 (src_bytes): "NaN" is not a number`},
		{with(4, "1e999"), `column 5 (src_bytes): "1e999" is not a number`},
		{with(6, "2"), "column 7 (land): 2 must be 0 or 1"},
		{with(24, "1.01"), "column 25 (serror_rate): 1.01 is not a fraction between 0 and 1"},
		{with(22, "512"), "column 23 (count): 512 exceeds the feature's cap of 511"},
		{with(31, "256"), "column 32 (dst_host_count): 256 exceeds the feature's cap of 255"},
		{with(0, "-3"), "column 1 (duration): -3 is negative"},
		{with(2, ""), "column 3 (service): missing value"},
		{with(2, "a\x01b"), "column 3 (service): control character U+0001"},
		{with(42, "x"), `column 43 (difficulty): "x" is not a difficulty`},
		{with(41, " "), "column 42 (label): missing or invalid label"},
		{neptuneRow + "\n" + normalRow, "paste a single row; upload a file to classify several"},
		{"", "pasted row: no rows"},
		{`0,"tcp`, `pasted row:1: character 7: extraneous or missing " in quoted-field`},
	} {
		_, err := p.parsePasted(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.50q: error %v, want %q", tc.in, err, tc.want)
		}
	}
	// A header that names other columns.
	err := p.readCSV(strings.NewReader("duration,protocol,"+strings.Repeat("x,", 39)+"x\n"), "h.csv", 10, func(int, parsedRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `h.csv:1: column 2 (protocol_type): header names "protocol", want "protocol_type"`) {
		t.Errorf("bad header: %v", err)
	}
	// A line without end.
	err = p.readCSV(strings.NewReader(strings.Repeat("1", maxLineBytes+10)), "long.csv", 10, func(int, parsedRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "long.csv:1: line longer than 65536 bytes") {
		t.Errorf("long line: %v", err)
	}
	// Too many rows.
	err = p.readCSV(strings.NewReader(neptuneRow+"\n"+normalRow+"\n"+neptuneRow+"\n"), "many.csv", 2, func(int, parsedRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "many.csv:3: more than 2 rows") {
		t.Errorf("row limit: %v", err)
	}
}

func TestDecodeJSON(t *testing.T) {
	p := testParser(t)
	one := apiBody(t, neptuneRow)
	rows, list, err := p.decodeJSON([]byte(one), 10)
	if err != nil || list || len(rows) != 1 || rows[0].Values[22] != 123 || rows[0].Symbols[2] != "private" {
		t.Fatalf("one row: %v %v %d", err, list, len(rows))
	}
	rows, list, err = p.decodeJSON([]byte(" ["+one+", "+apiBody(t, normalRow)+"]\n"), 10)
	if err != nil || !list || len(rows) != 2 || rows[1].Symbols[2] != "http" || rows[1].Values[5] != 8153 {
		t.Fatalf("two rows: %v %v %d", err, list, len(rows))
	}
	// Numbers given as strings are accepted.
	if rows, _, err := p.decodeJSON([]byte(strings.Replace(one, `"src_bytes":0`, `"src_bytes":"17"`, 1)), 10); err != nil || rows[0].Values[4] != 17 {
		t.Fatalf("numeric string: %v", err)
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(one, `"src_bytes":0`, `"src_bytes":"abc"`, 1), `row 1: field "src_bytes": "abc" is not a number`},
		{strings.Replace(one, `"src_bytes":0,`, ``, 1), `row 1: field "src_bytes": missing feature`},
		{strings.Replace(one, `"src_bytes":0,"dst_bytes":0,`, ``, 1), `row 1: missing features: src_bytes, dst_bytes`},
		{strings.Replace(one, `"src_bytes":0`, `"src_bytes":null`, 1), `field "src_bytes": missing value (null)`},
		{strings.Replace(one, `"src_bytes":0`, `"src_bytes":true`, 1), `field "src_bytes": want a number, got a boolean`},
		{strings.Replace(one, `"src_bytes":0`, `"src_bytes":[1]`, 1), `field "src_bytes": want a number, got an array or object`},
		{strings.Replace(one, `"service":"private"`, `"service":7`, 1), `field "service": want a string`},
		{strings.Replace(one, `"src_bytes":0`, `"src_byte":0`, 1), `field "src_byte": unknown feature`},
		{strings.Replace(one, `"src_bytes":0`, `"src_bytes":0,"src_bytes":1`, 1), `field "src_bytes": given twice`},
		{strings.Replace(one, `"serror_rate":1.00`, `"serror_rate":2`, 1), `field "serror_rate": 2 is not a fraction between 0 and 1`},
		{"[" + one + "," + strings.Replace(one, `"land":0`, `"land":3`, 1) + "]", `row 2: field "land": 3 must be 0 or 1`},
		{one + "{}", "unexpected data after the JSON value"},
		{"[]", "empty list of rows"},
		{"[1]", "row 1: want an object"},
		{`"x"`, "want an object of feature name -> value"},
		{"", "body is not JSON: unexpected end of input"},
		{"{", "invalid JSON"},
		{"[" + strings.Repeat(one+",", 10) + one + "]", "more than 10 rows in one request"},
	} {
		_, _, err := p.decodeJSON([]byte(tc.in), 10)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// directVerdict classifies one CSV line with the model directly.
func directVerdict(t testing.TB, line string) model.Verdict {
	t.Helper()
	p := testParser(t)
	pr, err := p.parsePasted(line)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := model.NewClassifier(testModel(t), -1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]model.Verdict, 1)
	if err := clf.NewSession(1, 0).Classify([]features.Row{pr.Row}, out); err != nil {
		t.Fatal(err)
	}
	v := out[0]
	v.Probs = append([]float32(nil), v.Probs...)
	return v
}

// formValues returns the classify form's values for a CSV line.
func formValues(line string) url.Values {
	fs := strings.Split(line, ",")
	v := url.Values{"mode": {"fields"}}
	for i, n := range features.NSLKDD().Names() {
		v.Set(n, fs[i])
	}
	return v
}

func verdictText(body string) string {
	return between(body, `<h2 id="verdict-text">`, "</h2>")
}

// The classify page states the model's verdict for the neptune (DoS) and
// normal rows, through the form and a pasted row, with the score the
// classifier gives.
func TestClassifyPage(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)

	nv := directVerdict(t, neptuneRow)
	if !nv.Alert || nv.Top != 1 {
		t.Fatalf("the model does not call the neptune row DoS: %+v", nv)
	}
	r := c.post("/classify", formValues(neptuneRow))
	want := fmt.Sprintf("Attack detected: DoS, score %.2f", nv.Score)
	if r.status != http.StatusOK || verdictText(r.body) != want {
		t.Fatalf("neptune via the form: %d %q, want %q (%s)", r.status, verdictText(r.body), want, pageError(r.body))
	}
	for i, class := range []string{"normal", "DoS", "Probe", "R2L", "U2R"} {
		row := fmt.Sprintf(`<th scope="row">%s</th><td class="bar"><meter min="0" max="1" value="%.4f">`, class, nv.Probs[i])
		if !strings.Contains(r.body, row) {
			t.Errorf("no probability bar %s", row)
		}
	}
	// The form keeps the submitted values.
	if !strings.Contains(r.body, `<option selected>private</option>`) || !strings.Contains(r.body, `id="f-count" name="count" type="number" inputmode="decimal" min="0" max="511" step="1" value="123"`) {
		t.Error("the form does not show the classified values")
	}

	mv := directVerdict(t, normalRow)
	if mv.Alert {
		t.Fatalf("the model alerts on the normal row: %+v", mv)
	}
	r = c.post("/classify", url.Values{"mode": {"paste"}, "row": {normalRow}})
	want = fmt.Sprintf("No attack detected: it is normal, score %.2f", mv.Score)
	if r.status != http.StatusOK || verdictText(r.body) != want {
		t.Fatalf("normal row pasted: %d %q, want %q", r.status, verdictText(r.body), want)
	}
	if !strings.Contains(r.body, "The pasted row's label: <strong>normal</strong> (normal)") {
		t.Error("the pasted row's label is not shown")
	}
}

// Bad values get a message on the page and 400; an unseen service is a
// warning next to a verdict.
func TestClassifyBadInput(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)

	v := formValues(neptuneRow)
	v.Set("src_bytes", "12abc")
	v.Del("duration")
	v.Set("dst_host_srv_serror_rate", "1.5")
	r := c.post("/classify", v)
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad fields: status %d", r.status)
	}
	for id, msg := range map[string]string{
		"err-src_bytes":                `&#34;12abc&#34; is not a number`,
		"err-duration":                 "missing value",
		"err-dst_host_srv_serror_rate": "1.5 is not a fraction between 0 and 1",
	} {
		if got := between(r.body, `<small class="msg" id="`+id+`">`, "</small>"); got != msg {
			t.Errorf("%s: %q, want %q", id, got, msg)
		}
	}
	if !strings.Contains(r.body, `3 fields need attention`) || strings.Contains(r.body, `id="verdict"`) {
		t.Error("no summary, or a verdict despite errors")
	}
	if !strings.Contains(r.body, `value="12abc"`) {
		t.Error("the bad value is not kept in the form")
	}

	r = c.post("/classify", url.Values{"mode": {"paste"}, "row": {"0,tcp,http,SF,1,2"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "pasted row:1: wrong number of fields: 6 fields, want 41") {
		t.Errorf("short pasted row: %d %q", r.status, between(r.body, `id="paste-error">`, "<"))
	}

	unseen := strings.Replace(normalRow, ",http,", ",http_9999,", 1)
	r = c.post("/classify", url.Values{"mode": {"paste"}, "row": {unseen}})
	if r.status != http.StatusOK || !strings.HasPrefix(verdictText(r.body), "") || !strings.Contains(r.body, `id="unseen">Unseen value: <code>service=http_9999</code>`) {
		t.Fatalf("unseen service: %d %q", r.status, between(r.body, `id="unseen">`, "</p>"))
	}
	dv := directVerdict(t, unseen)
	if dv.Unseen != 1 {
		t.Fatalf("the classifier counts %d unseen values", dv.Unseen)
	}
	if !strings.Contains(r.body, fmt.Sprintf("score %.2f", dv.Score)) {
		t.Error("the unseen-service verdict differs from the classifier's")
	}
	// The form shows the unseen value as an extra option.
	if !strings.Contains(r.body, `<option selected value="http_9999">http_9999 (unseen)</option>`) {
		t.Error("the unseen service is not in the form")
	}
	if r := c.post("/classify", url.Values{"mode": {"other"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown mode: %d", r.status)
	}
}

// apiCall posts a body to the API with a token.
func apiCall(t *testing.T, e *env, token, contentType, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/classify", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("API content type %q", ct)
	}
	return res.StatusCode, b
}

func TestAPIClassify(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	tok, _, err := e.s.Store().createAPIToken("ana", "test", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	nv, mv := directVerdict(t, neptuneRow), directVerdict(t, normalRow)

	st, b := apiCall(t, e, tok, "application/json", apiBody(t, neptuneRow))
	if st != http.StatusOK {
		t.Fatalf("one row: %d %s", st, b)
	}
	// The probabilities come in model order, with 6 significant digits.
	wantProbs := `"probabilities":{"normal":` + strconv.FormatFloat(float64(nv.Probs[0]), 'g', 6, 64) + `,"DoS":` + strconv.FormatFloat(float64(nv.Probs[1]), 'g', 6, 64)
	if !bytes.Contains(b, []byte(wantProbs)) {
		t.Errorf("probabilities: %s, want %s", b, wantProbs)
	}
	var res struct {
		Verdict string   `json:"verdict"`
		Class   string   `json:"class"`
		Score   float64  `json:"score"`
		Alert   bool     `json:"alert"`
		Unseen  []string `json:"unseen"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Class != "DoS" || !res.Alert || math.Abs(res.Score-float64(nv.Score)) > 1e-5 || res.Unseen == nil || len(res.Unseen) != 0 ||
		res.Verdict != fmt.Sprintf("Attack detected: DoS, score %.2f", nv.Score) {
		t.Errorf("neptune: %s", b)
	}

	unseen := strings.Replace(normalRow, ",http,", ",http_9999,", 1)
	st, b = apiCall(t, e, tok, "application/json; charset=utf-8", "["+apiBody(t, normalRow)+","+apiBody(t, unseen)+"]")
	var list []struct {
		Class  string   `json:"class"`
		Score  float64  `json:"score"`
		Alert  bool     `json:"alert"`
		Unseen []string `json:"unseen"`
	}
	if st != http.StatusOK || json.Unmarshal(b, &list) != nil || len(list) != 2 {
		t.Fatalf("two rows: %d %s", st, b)
	}
	if list[0].Class != "normal" || list[0].Alert || math.Abs(list[0].Score-float64(mv.Score)) > 1e-6*math.Max(1, float64(mv.Score)) {
		t.Errorf("normal row: %+v, classifier %v", list[0], mv.Score)
	}
	if len(list[1].Unseen) != 1 || list[1].Unseen[0] != "service=http_9999" {
		t.Errorf("unseen: %+v", list[1])
	}

	for _, tc := range []struct {
		ct, body string
		status   int
		field    string
	}{
		{"application/json", strings.Replace(apiBody(t, neptuneRow), `"src_bytes":0`, `"src_bytes":"lots"`, 1), 400, "src_bytes"},
		{"application/json", strings.Replace(apiBody(t, neptuneRow), `"flag":"S0",`, ``, 1), 400, "flag"},
		{"application/json", "{", 400, ""},
		{"text/plain", apiBody(t, neptuneRow), 415, ""},
	} {
		st, b := apiCall(t, e, tok, tc.ct, tc.body)
		var ae apiError
		if st != tc.status || json.Unmarshal(b, &ae) != nil || ae.Msg == "" || ae.Field != tc.field {
			t.Errorf("%.40q: %d %s, want %d with field %q", tc.body, st, b, tc.status, tc.field)
		}
	}
	st, b = apiCall(t, e, tok, "application/json", `{"duration": 0, "bogus": 1}`)
	if st != 400 || !strings.Contains(string(b), `"field":"bogus"`) {
		t.Errorf("unknown field: %d %s", st, b)
	}
	// Other API paths are JSON 404s.
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/api/v2/anything", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("unknown API path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// upload posts a file to the upload form.
func (c *client) upload(name string, data io.Reader) resp {
	c.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf", c.csrf)
		fw, err := mw.CreateFormFile("file", name)
		if err == nil {
			_, err = io.Copy(fw, data)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest(http.MethodPost, c.e.ts.URL+"/classify/upload", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// uploadBytes posts a file whose length is known (Content-Length set).
func (c *client) uploadBytes(name string, data []byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", c.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.ts.URL+"/classify/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// batchCSV follows an upload's redirect and downloads the batch's CSV.
func batchCSV(t *testing.T, c *client, r resp) [][]string {
	t.Helper()
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/classify/batch/") {
		t.Fatalf("upload: %d %q", r.status, pageError(r.body))
	}
	if page := c.get(loc); page.status != http.StatusOK || !strings.Contains(page.body, `id="batch-table"`) {
		t.Fatalf("batch page: %d", page.status)
	}
	d := c.get(loc + "/csv")
	if d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("CSV download: %d %v", d.status, d.header)
	}
	recs, err := csv.NewReader(strings.NewReader(d.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// An uploaded NSL-KDD file is classified as the dataset package reads it
// and the classifier classifies it: every row's class and score in the
// CSV download match.
func TestUploadCSVMatchesDatasetReader(t *testing.T) {
	const n = 1500
	lines := kddLines(t, n)
	text := strings.Join(lines, "\n") + "\n"
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	recs := batchCSV(t, c, c.uploadBytes("kdd-head.txt.gz", gz.Bytes()))

	frame, _, err := dataset.Read(strings.NewReader(text), "head", dataset.Options{Family: "nsl-kdd"})
	if err != nil {
		t.Fatal(err)
	}
	clf, err := model.NewClassifier(testModel(t), -1)
	if err != nil {
		t.Fatal(err)
	}
	// The reference classifies the reader's rows in the same batches of
	// 256 as the console, so that every row sits at the same position and
	// the probabilities are bit for bit the same (see model.Session).
	sess := clf.NewSession(classifyBatch, 0)
	rows := make([]features.Row, n)
	for i := range rows {
		rows[i] = features.NewRow(frame.Schema)
		frame.Row(i, &rows[i])
	}
	want := make([]model.Verdict, n)
	probs := make([][]float32, n)
	for lo := 0; lo < n; lo += classifyBatch {
		hi := min(lo+classifyBatch, n)
		if err := sess.Classify(rows[lo:hi], want[lo:hi]); err != nil {
			t.Fatal(err)
		}
		for i := lo; i < hi; i++ {
			probs[i] = append([]float32(nil), want[i].Probs...)
		}
	}
	head := recs[0]
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	if len(recs) != n+1 {
		t.Fatalf("%d CSV rows, want %d", len(recs)-1, n)
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	agree := 0
	for i := range n {
		v, rec := want[i], recs[i+1]
		if rec[col["class"]] != clf.Classes()[v.Class] || rec[col["alert"]] != strconv.FormatBool(v.Alert) || rec[col["score"]] != g(float64(v.Score)) {
			t.Fatalf("row %d: %v; classifier: class %d score %v alert %v", i+1, rec, v.Class, v.Score, v.Alert)
		}
		for k, c := range clf.Classes() {
			if rec[col["p_"+c]] != g(float64(probs[i][k])) {
				t.Fatalf("row %d: P(%s) %s, classifier %v", i+1, c, rec[col["p_"+c]], probs[i][k])
			}
		}
		if cat, _ := dataset.KDDCategory(rec[col["label"]]); cat == rec[col["class"]] {
			agree++
		}
		if rec[col["label"]] != frame.AttackNames[frame.Attack[i]] || rec[col["line"]] != strconv.Itoa(int(frame.Line[i])) {
			t.Fatalf("row %d: label %q line %s, the reader's %q line %d", i+1, rec[col["label"]], rec[col["line"]], frame.AttackNames[frame.Attack[i]], frame.Line[i])
		}
	}
	page := c.get("/classify/batch/" + between(c.get("/classify").body, `<a href="/classify/batch/`, `"`))
	if agreement := fmt.Sprintf("(%d of %d labelled rows)", agree, n); !strings.Contains(page.body, agreement) {
		t.Errorf("batch page lacks the agreement %s", agreement)
	}
}

// collect is a sink that keeps copies of the events.
type collect struct {
	mu  sync.Mutex
	evs []alert.Event
}

func (c *collect) Write(_ context.Context, evs []alert.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range evs {
		ev.Alert.Probabilities = append([]alert.ClassProb(nil), ev.Alert.Probabilities...)
		ev.KDD.Features = append([]alert.FeatureValue(nil), ev.KDD.Features...)
		c.evs = append(c.evs, ev)
	}
	return nil
}

func (c *collect) Close() error { return nil }

// An uploaded capture is classified through the sensor pipeline: the
// batch lists every connection the sensor reports, with its verdict, and
// its alerts reach the alerts page.
func TestUploadPcapMatchesSensor(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)
	path := shared(t, "pcaps", "lab", "r2l-ftp-bruteforce.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := batchCSV(t, c, c.upload("hydra <ftp>.pcap", bytes.NewReader(data)))

	clf, err := model.NewClassifier(testModel(t), -1)
	if err != nil {
		t.Fatal(err)
	}
	sink := &collect{}
	p, err := sensor.New(sensor.Config{Classifier: clf, Sink: sink, Emit: sensor.EmitAll, Features: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if len(recs)-1 != len(sink.evs) || len(sink.evs) == 0 {
		t.Fatalf("%d batch rows, the sensor reports %d connections", len(recs)-1, len(sink.evs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	alerts := 0
	for i, ev := range sink.evs {
		rec := recs[i+1]
		if rec[col["flow_id"]] != strconv.FormatUint(ev.FlowID, 10) || rec[col["alert"]] != strconv.FormatBool(ev.Type == alert.TypeAlert) ||
			rec[col["score"]] != strconv.FormatFloat(ev.Alert.Score, 'g', 6, 64) || rec[col["service"]] != ev.AppProto || rec[col["src_bytes"]] != strconv.FormatFloat(ev.KDD.Features[4].Num, 'g', -1, 64) {
			t.Fatalf("connection %d: batch %v, sensor %+v", i, rec, ev)
		}
		if ev.Type == alert.TypeAlert {
			alerts++
			if rec[col["alert_class"]] != ev.Alert.Signature.Class {
				t.Errorf("connection %d: alert class %q, sensor %q", i, rec[col["alert_class"]], ev.Alert.Signature.Class)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alert in the FTP brute force")
	}
	// The alerts went to the console's feed, named after the upload.
	entries, _, _ := e.s.hub.since(0, 1000)
	if len(entries) != alerts {
		t.Fatalf("%d events on the alerts page, want %d", len(entries), alerts)
	}
	d := c.get(fmt.Sprintf("/alerts/%d", entries[0].Seq))
	if !strings.Contains(d.body, `&#34;file&#34;:&#34;hydra &lt;ftp&gt;.pcap&#34;`) {
		t.Errorf("alert detail does not name the uploaded file: %s", between(d.body, `<pre id="json-line">`, "</pre>"))
	}
}

// zeros reads n zero bytes without holding them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// A 100 MB upload is refused with 413 and a message naming the limit,
// whether its length is declared or not; the server stays up.
func TestUploadTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)
	const size = 100 << 20
	want := "The upload is larger than the limit of 32 MiB"

	// Declared length: refused before the body is read.
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/classify/upload", &zeros{size})
	req.ContentLength = size
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	r := c.do(req)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(pageError(r.body), want) {
		t.Fatalf("declared 100 MB: %d %q", r.status, pageError(r.body))
	}
	// Chunked: refused when the limit is crossed.
	r = c.upload("big.pcap", &zeros{size})
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(pageError(r.body), want) {
		t.Fatalf("chunked 100 MB: %d %q", r.status, pageError(r.body))
	}
	if r := c.get("/healthz"); r.status != http.StatusOK {
		t.Fatalf("server down after big uploads: %d", r.status)
	}
	// The API has its own limit, answered in JSON.
	tok, _, _ := e.s.Store().createAPIToken("ana", "t", e.clock.Now())
	req, _ = http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/classify", &zeros{size})
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "limit of 8 MiB") {
		t.Fatalf("API 100 MB: %d %s", res.StatusCode, b)
	}
}

// Bad uploads get a clear message and 400.
func TestUploadBadFiles(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("ana", analystPW, RoleAnalyst)
	c := e.client()
	c.login("ana", analystPW)
	pcap, err := os.ReadFile(shared(t, "pcaps", "lab", "probe-ping-sweep.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty.csv", nil, "empty.csv: the file is empty"},
		{"blob.bin", []byte{0x00, 0x01, 0x02, 0xff, 0xfe}, "blob.bin: the file is neither CSV text"},
		{"bad.csv", []byte(neptuneRow + "\n" + normalRow + "\n" + strings.Replace(neptuneRow, "S0,0,0", "S0,x,0", 1) + "\n"), "bad.csv: line 3: column 5 (src_bytes): &#34;x&#34; is not a number"},
		{"short.pcap", pcap[:10], "short.pcap: the capture could not be read"},
		{"nothing.pcap", pcap[:24], "short.pcap"},
	} {
		r := c.uploadBytes(tc.name, tc.data)
		if tc.name == "nothing.pcap" {
			if r.status != http.StatusBadRequest || !strings.Contains(pageError(r.body), "no connection") {
				t.Errorf("%s: %d %q", tc.name, r.status, pageError(r.body))
			}
			continue
		}
		if r.status != http.StatusBadRequest || !strings.Contains(pageError(r.body), tc.want) {
			t.Errorf("%s: %d %q, want %q", tc.name, r.status, pageError(r.body), tc.want)
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", c.csrf)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/classify/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := c.do(req); r.status != http.StatusBadRequest || !strings.Contains(pageError(r.body), "Choose a CSV file") {
		t.Errorf("no file: %d %q", r.status, pageError(r.body))
	}
}
