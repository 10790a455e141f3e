package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
)

// classifyBatch is the most rows classified per network call.
const classifyBatch = 256

// verdict is a classification kept beyond the model session's call.
type verdict struct {
	Class, Top int
	Score      float64
	Alert      bool
	Probs      []float32
	Unseen     []string
}

// clfSession takes a classifier session from the pool (making one when
// the pool is empty); release returns it.
func (s *Server) clfSession() *model.Session {
	select {
	case sess := <-s.pool:
		return sess
	default:
		return s.clf.NewSession(classifyBatch, 0)
	}
}

func (s *Server) release(sess *model.Session) {
	select {
	case s.pool <- sess:
	default:
	}
}

// classifyRows classifies rows in batches and calls fn with each verdict
// (its Probs valid during the call only).
func (s *Server) classifyRows(ctx context.Context, rows []features.Row, fn func(i int, v *model.Verdict)) error {
	sess := s.clfSession()
	defer s.release(sess)
	out := make([]model.Verdict, classifyBatch)
	for lo := 0; lo < len(rows); lo += classifyBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+classifyBatch, len(rows))
		if err := sess.Classify(rows[lo:hi], out[:hi-lo]); err != nil {
			return fmt.Errorf("web: classify: %w", err)
		}
		for i := range out[:hi-lo] {
			fn(lo+i, &out[i])
		}
	}
	return nil
}

// keep copies a model verdict.
func keep(v *model.Verdict, unseen []string) verdict {
	return verdict{Class: v.Class, Top: v.Top, Score: float64(v.Score), Alert: v.Alert, Probs: slices.Clone(v.Probs), Unseen: unseen}
}

// classifyOne classifies a single row.
func (s *Server) classifyOne(ctx context.Context, row features.Row) (verdict, error) {
	var out verdict
	err := s.classifyRows(ctx, []features.Row{row}, func(_ int, v *model.Verdict) {
		out = keep(v, s.parser.unseen(&row))
	})
	return out, err
}

// headline states a verdict plainly.
func (s *Server) headline(v verdict) string {
	if v.Alert {
		return fmt.Sprintf("Attack detected: %s, score %.2f", s.clf.Classes()[v.Top], v.Score)
	}
	return fmt.Sprintf("No attack detected: it is normal, score %.2f", v.Score)
}

// probView is one class's probability on a page.
type probView struct {
	Class string
	P     float64
	Best  bool
}

// resultView is a verdict on a page.
type resultView struct {
	Attack    bool
	Headline  string
	Class     string // the most probable class
	Category  string // the most probable attack class
	Score     float64
	Threshold float64
	Probs     []probView
	Unseen    []string
	// Label and LabelCategory come from a pasted NSL-KDD row with its label.
	Label, LabelCategory string
}

func (s *Server) resultView(v verdict) *resultView {
	classes := s.clf.Classes()
	rv := &resultView{Attack: v.Alert, Headline: s.headline(v), Class: classes[v.Class], Category: classes[v.Top],
		Score: v.Score, Threshold: s.clf.Threshold(), Unseen: v.Unseen}
	for i, p := range v.Probs {
		rv.Probs = append(rv.Probs, probView{Class: classes[i], P: float64(p), Best: i == v.Class})
	}
	return rv
}

// formField is one input of the classify form.
type formField struct {
	*field
	Value   string
	Err     string
	Unknown bool // a symbolic value outside the options
}

// formGroup is a fieldset of the classify form.
type formGroup struct {
	Name   string
	Fields []formField
}

// classifyData is the classify page.
type classifyData struct {
	Groups     []formGroup
	Mode       string
	Paste      string
	PasteError string
	FormErrors int
	Result     *resultView
	MaxUpload  string
	MaxRows    int
	Batches    []batchSummary
}

// defaultValue is the form's initial value of a field.
func defaultValue(f *field) string {
	if f.Kind != kindSymbol {
		return "0"
	}
	pref := map[string]string{"protocol_type": "tcp", "service": "http", "flag": "SF"}[f.Name]
	if slices.Contains(f.Options, pref) || len(f.Options) == 0 {
		return pref
	}
	return f.Options[0]
}

// form builds the form from values and errors.
func (s *Server) form(values func(*field) string, errs map[string]string) []formGroup {
	var groups []formGroup
	for i := range s.parser.fields {
		f := &s.parser.fields[i]
		if len(groups) == 0 || groups[len(groups)-1].Name != f.Group {
			groups = append(groups, formGroup{Name: f.Group})
		}
		v := values(f)
		ff := formField{field: f, Value: v, Err: errs[f.Name]}
		if f.Kind == kindSymbol && v != "" && !f.known[v] {
			ff.Unknown = true
		}
		g := &groups[len(groups)-1]
		g.Fields = append(g.Fields, ff)
	}
	return groups
}

func (s *Server) classifyPage(w http.ResponseWriter, rc *reqCtx, status int, d *classifyData) {
	d.MaxUpload = formatBytes(s.cfg.MaxUpload)
	d.MaxRows = s.cfg.MaxRows
	d.Batches = s.batches.list(rc.user)
	if d.Mode == "" {
		d.Mode = "fields"
	}
	s.render(w, status, "classify", &pageData{Title: "Classify a connection", Nav: "classify", User: &rc.user, CSRF: rc.csrf, Data: d})
}

func (s *Server) handleClassifyPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := &classifyData{Groups: s.form(defaultValue, nil)}
	s.classifyPage(w, rc, http.StatusOK, d)
}

// rowValue formats a parsed row's value of a field for the form.
func rowValue(row *features.Row) func(*field) string {
	return func(f *field) string {
		if f.Kind == kindSymbol {
			return row.Symbols[f.Index]
		}
		return strconv.FormatFloat(row.Values[f.Index], 'f', -1, 64)
	}
}

func (s *Server) handleClassify(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := &classifyData{Mode: r.PostFormValue("mode")}
	var row features.Row
	var label string
	switch d.Mode {
	case "paste":
		d.Paste = r.PostFormValue("row")
		pr, err := s.parser.parsePasted(d.Paste)
		if err != nil {
			d.PasteError = err.Error()
			d.Groups = s.form(defaultValue, nil)
			s.classifyPage(w, rc, http.StatusBadRequest, d)
			return
		}
		row, label = pr.Row, pr.Label
	case "fields":
		var errs map[string]string
		row, errs = s.parser.fromValues(r.PostFormValue)
		if len(errs) > 0 {
			d.FormErrors = len(errs)
			d.Groups = s.form(func(f *field) string { return r.PostFormValue(f.Name) }, errs)
			s.classifyPage(w, rc, http.StatusBadRequest, d)
			return
		}
	default:
		s.fail(w, r, rc, http.StatusBadRequest, "Unknown input mode: use the form or paste a row.")
		return
	}
	v, err := s.classifyOne(r.Context(), row)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.cfg.Log.Error().Err(err).Msg("classify")
		s.fail(w, r, rc, http.StatusInternalServerError, "Classification failed; see the server log.")
		return
	}
	d.Groups = s.form(rowValue(&row), nil)
	d.Result = s.resultView(v)
	if label != "" {
		d.Result.Label = label
		if c, ok := dataset.KDDCategory(label); ok {
			d.Result.LabelCategory = c
		}
	}
	s.cfg.Log.Debug().Str("user", rc.user.Name).Str("verdict", d.Result.Headline).Msg("classified one row")
	s.classifyPage(w, rc, http.StatusOK, d)
}
