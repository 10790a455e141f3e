package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cnids/cnids/model"
)

// prob is a probability or score written with 6 significant digits.
type prob float64

// MarshalJSON writes the number in strconv's 'g' form with 6 digits.
func (p prob) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(p), 'g', 6, 64), nil
}

// classProbs writes class -> probability as a JSON object in the model's
// class order.
type classProbs struct {
	classes []string
	p       []float32
}

// MarshalJSON writes the object.
func (c classProbs) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, name := range c.classes {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = append(b, ':')
		b = strconv.AppendFloat(b, float64(c.p[i]), 'g', 6, 64)
	}
	return append(b, '}'), nil
}

// APIResult is the API's answer for one row.
type APIResult struct {
	// Verdict states the result plainly, as the classify page does.
	Verdict string `json:"verdict"`
	// Class is the verdict's class: the most probable attack class when
	// Alert, the normal class otherwise.
	Class string `json:"class"`
	// MostProbable is the most probable class.
	MostProbable string `json:"most_probable"`
	// Score is 1 - P(normal).
	Score prob `json:"score"`
	// Alert is Score > Threshold.
	Alert bool `json:"alert"`
	// Threshold is the alert threshold in use.
	Threshold prob `json:"threshold"`
	// Probabilities maps each class to its probability, in model order.
	Probabilities classProbs `json:"probabilities"`
	// Unseen lists the symbolic values the model never saw in training,
	// as "column=value"; each was encoded as an all-zero block.
	Unseen []string `json:"unseen"`
}

func (s *Server) apiResult(v verdict) APIResult {
	classes := s.clf.Classes()
	class := classes[s.cfg.Model.Header.NormalClass]
	if v.Alert {
		class = classes[v.Top]
	}
	unseen := v.Unseen
	if unseen == nil {
		unseen = []string{}
	}
	return APIResult{Verdict: s.headline(v), Class: class, MostProbable: classes[v.Class], Score: prob(v.Score), Alert: v.Alert,
		Threshold: prob(s.clf.Threshold()), Probabilities: classProbs{classes, v.Probs}, Unseen: unseen}
}

// writeJSON writes v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeJSONError writes {"error": ..., "row": ..., "field": ...}.
func writeJSONError(w http.ResponseWriter, status int, e *apiError) {
	writeJSON(w, status, e)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// handleAPIClassify classifies one row or a list of rows for a client
// holding an API token.
func (s *Server) handleAPIClassify(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" || len(tok) > 100 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cnids"`)
		writeJSONError(w, http.StatusUnauthorized, &apiError{Msg: "missing API token: send Authorization: Bearer TOKEN (create one on your account page)"})
		return
	}
	t, u, err := s.store.lookupAPIToken(tok, s.cfg.Now())
	if err != nil {
		if !errors.Is(err, errNoSession) {
			s.cfg.Log.Error().Err(err).Msg("API token lookup")
			writeJSONError(w, http.StatusInternalServerError, &apiError{Msg: "the account database failed"})
			return
		}
		s.cfg.Log.Warn().Str("client", clientAddr(r.RemoteAddr).String()).Msg("API call with an unknown or revoked token")
		w.Header().Set("WWW-Authenticate", `Bearer realm="cnids", error="invalid_token"`)
		writeJSONError(w, http.StatusUnauthorized, &apiError{Msg: "invalid, revoked or disabled API token"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSONError(w, http.StatusUnsupportedMediaType, &apiError{Msg: "send the rows as Content-Type: application/json"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.tooLarge(w, r, mbe.Limit)
			return
		}
		writeJSONError(w, http.StatusBadRequest, &apiError{Msg: "reading the body: " + err.Error()})
		return
	}
	rows, list, err := s.parser.decodeJSON(body, s.cfg.MaxAPIRows)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Msg: err.Error()}
		}
		writeJSONError(w, http.StatusBadRequest, ae)
		return
	}
	results := make([]APIResult, len(rows))
	err = s.classifyRows(r.Context(), rows, func(i int, v *model.Verdict) {
		results[i] = s.apiResult(keep(v, s.parser.unseen(&rows[i])))
	})
	if err != nil {
		s.cfg.Log.Error().Err(err).Msg("API classify")
		writeJSONError(w, http.StatusInternalServerError, &apiError{Msg: "classification failed"})
		return
	}
	s.cfg.Log.Debug().Str("user", u.Name).Str("token", t.ID).Int("rows", len(rows)).Msg("API classify")
	if list {
		writeJSON(w, http.StatusOK, results)
		return
	}
	writeJSON(w, http.StatusOK, results[0])
}
