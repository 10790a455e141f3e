package web

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cnids/cnids/model"
)

// validationMetrics is the part of the trainer's metrics (train.Metrics,
// marshalled into the model header's Training.Validation) that the model
// page shows.
type validationMetrics struct {
	Classes          int     `json:"classes"`
	Total            int64   `json:"total"`
	Accuracy         float64 `json:"accuracy"`
	BalancedAccuracy float64 `json:"balanced_accuracy"`
	MCC              float64 `json:"mcc"`
	Macro            avgs    `json:"macro"`
	Weighted         avgs    `json:"weighted"`
	HasScores        bool    `json:"has_scores"`
	MacroPRAUC       float64 `json:"macro_pr_auc"`
	PerClass         []struct {
		Class             int     `json:"class"`
		Support           int64   `json:"support"`
		Predicted         int64   `json:"predicted"`
		Precision         float64 `json:"precision"`
		Recall            float64 `json:"recall"`
		F1                float64 `json:"f1"`
		Specificity       float64 `json:"specificity"`
		FalsePositiveRate float64 `json:"false_positive_rate"`
		PRAUC             float64 `json:"pr_auc"`
	} `json:"per_class"`
	Detection *struct {
		Normals        int64   `json:"normals"`
		Attacks        int64   `json:"attacks"`
		Detected       int64   `json:"detected"`
		FalseAlarms    int64   `json:"false_alarms"`
		DetectionRate  float64 `json:"detection_rate"`
		FalseAlarmRate float64 `json:"false_alarm_rate"`
	} `json:"detection"`
	Confusion struct {
		Classes int       `json:"classes"`
		Counts  [][]int64 `json:"counts"`
	} `json:"confusion_matrix"`
}

type avgs struct {
	Precision   float64 `json:"precision"`
	Recall      float64 `json:"recall"`
	F1          float64 `json:"f1"`
	Specificity float64 `json:"specificity"`
}

// classRow is one class on the model page.
type classRow struct {
	Name                                           string
	TrainRows, BalancedRows                        int
	Support, Predicted                             int64
	Precision, Recall, F1, Specificity, FPR, PRAUC float64
}

// confusionRow is one true class's row of the confusion matrix.
type confusionRow struct {
	Class  string
	Counts []int64
}

// modelView is the model page's fixed part, computed once.
type modelView struct {
	Name       string
	Arch       string
	Params     int
	Inputs     int
	Classes    []string
	Normal     string
	Threshold  float64
	Stored     float64 // the file's threshold
	Encoder    string
	Semantics  string
	Header     *model.Header
	Metrics    *validationMetrics
	MetricsErr string
	ClassRows  []classRow
	Confusion  []confusionRow
	Balanced   bool
}

// describeArch writes an architecture in one line.
func describeArch(a model.Arch) string {
	var parts []string
	for _, c := range a.Conv {
		p := fmt.Sprintf("conv %d×%d", c.Filters, c.Kernel)
		if c.Stride > 1 {
			p += fmt.Sprintf(" stride %d", c.Stride)
		}
		if c.Pool > 1 {
			p += fmt.Sprintf(", max-pool %d", c.Pool)
		}
		parts = append(parts, p)
	}
	if a.LSTMHidden > 0 {
		parts = append(parts, fmt.Sprintf("LSTM %d", a.LSTMHidden))
	}
	for _, d := range a.Dense {
		parts = append(parts, fmt.Sprintf("dense %d", d))
	}
	s := a.Name + ": " + strings.Join(parts, " → ")
	if a.Dropout > 0 {
		s += fmt.Sprintf(" (dropout %g)", a.Dropout)
	}
	if a.BatchNorm || a.DenseBatchNorm {
		s += ", batch norm"
	}
	return s
}

func newModelView(clf *model.Classifier, name string) (modelView, error) {
	f := clf.File()
	h := &f.Header
	v := modelView{Name: name, Arch: describeArch(h.Arch), Inputs: h.Inputs, Classes: h.Classes, Threshold: clf.Threshold(),
		Stored: h.Threshold, Encoder: f.Encoder().String(), Header: h, Balanced: len(h.Training.BalancedCounts) == len(h.Classes)}
	if h.NormalClass >= 0 && h.NormalClass < len(h.Classes) {
		v.Normal = h.Classes[h.NormalClass]
	}
	if n, err := h.Arch.NumParams(h.Inputs, len(h.Classes)); err == nil {
		v.Params = n
	}
	sem, _ := json.Marshal(h.Semantics)
	v.Semantics = string(sem)
	for i, c := range h.Classes {
		r := classRow{Name: c}
		if i < len(h.Training.ClassCounts) {
			r.TrainRows = h.Training.ClassCounts[i]
		}
		if i < len(h.Training.BalancedCounts) {
			r.BalancedRows = h.Training.BalancedCounts[i]
		}
		v.ClassRows = append(v.ClassRows, r)
	}
	if len(h.Training.Validation) > 0 {
		var m validationMetrics
		if err := json.Unmarshal(h.Training.Validation, &m); err != nil {
			v.MetricsErr = "the validation metrics in the model file cannot be read: " + err.Error()
		} else {
			v.Metrics = &m
			for _, pc := range m.PerClass {
				if pc.Class >= 0 && pc.Class < len(v.ClassRows) {
					r := &v.ClassRows[pc.Class]
					r.Support, r.Predicted = pc.Support, pc.Predicted
					r.Precision, r.Recall, r.F1, r.Specificity, r.FPR, r.PRAUC = pc.Precision, pc.Recall, pc.F1, pc.Specificity, pc.FalsePositiveRate, pc.PRAUC
				}
			}
			if m.Confusion.Classes == len(h.Classes) && len(m.Confusion.Counts) == len(h.Classes) {
				for t, row := range m.Confusion.Counts {
					v.Confusion = append(v.Confusion, confusionRow{Class: h.Classes[t], Counts: row})
				}
			}
		}
	}
	return v, nil
}

// modelData is the model page.
type modelData struct {
	M         *modelView
	Images    []string
	ReportDir string
	ReportErr string
	Created   time.Time
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := &modelData{M: &s.model, ReportDir: s.cfg.ReportDir}
	if s.cfg.ReportDir != "" {
		imgs, err := s.reportImages()
		if err != nil {
			d.ReportErr = err.Error()
		}
		d.Images = imgs
	}
	s.render(w, http.StatusOK, "model", &pageData{Title: "Model", Nav: "model", User: &rc.user, CSRF: rc.csrf, Data: d})
}

// reportNameRE is the shape of a report image name: a plain file name.
var reportNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.png$`)

// reportImages lists the PNG files at the top of the report folder, read
// through an os.Root so that no name or symbolic link reaches outside it.
func (s *Server) reportImages() ([]string, error) {
	root, err := os.OpenRoot(s.cfg.ReportDir)
	if err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	defer root.Close()
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !reportNameRE.MatchString(e.Name()) {
			continue
		}
		st, err := root.Stat(e.Name()) // follows links, but only inside the root
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out, nil
}

// maxImageBytes bounds a served report image.
const maxImageBytes = 32 << 20

// handleReportImage serves one report image: the name must be a plain
// .png file name, and the file is opened through an os.Root of the report
// folder (which refuses "..", absolute paths and links leading out).
func (s *Server) handleReportImage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := r.PathValue("name")
	if s.cfg.ReportDir == "" || !reportNameRE.MatchString(name) {
		s.fail(w, r, rc, http.StatusNotFound, "No such report image.")
		return
	}
	root, err := os.OpenRoot(s.cfg.ReportDir)
	if err != nil {
		s.fail(w, r, rc, http.StatusNotFound, "No such report image.")
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		s.fail(w, r, rc, http.StatusNotFound, "No such report image.")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxImageBytes {
		s.fail(w, r, rc, http.StatusNotFound, "No such report image.")
		return
	}
	var magic [8]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "\x89PNG\r\n\x1a\n" {
		s.fail(w, r, rc, http.StatusNotFound, "No such report image (not a PNG file).")
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, rc, http.StatusInternalServerError, "The image could not be read.")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
