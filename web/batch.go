package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/netip"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// connInfo is the connection behind a batch row of a capture.
type connInfo struct {
	FlowID                  uint64
	CommunityID             string
	Start, End              time.Time
	Src, Dst                netip.Addr
	SrcPort, DstPort        uint16
	Proto                   string
	Flag                    string
	FirstPacket, LastPacket uint64
	Features                []alert.FeatureValue
}

// batchRow is one classified row of an upload.
type batchRow struct {
	Line                 int // CSV line (0 for captures)
	Label, LabelCategory string
	Protocol, Service    string
	Flag                 string
	Conn                 *connInfo
	V                    verdict
}

// batch is a classified upload, kept in memory for its results page and
// CSV download.
type batch struct {
	ID       string
	Owner    string
	File     string
	Kind     string // "csv" or "pcap"
	Created  time.Time
	Seconds  float64
	Classes  []string
	Rows     []batchRow
	Alerts   int
	ByClass  []int // rows by most probable class
	Unseen   int   // rows with a symbolic value unseen in training
	Labelled int   // rows whose label maps to a model class
	Agree    int   // of those, rows whose most probable class is the label's
	// Dropped counts capture connections beyond the row limit: classified
	// (their alerts reached the alerts page) but not kept here.
	Dropped  int
	Packets  uint64
	Warnings []string
}

// batchSummary lists a batch on the classify page.
type batchSummary struct {
	ID, File, Kind string
	Created        time.Time
	Rows, Alerts   int
}

// batchStore keeps the last batches for a while.
type batchStore struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	items []*batch // oldest first
}

func newBatchStore(max int, ttl time.Duration) *batchStore {
	return &batchStore{max: max, ttl: ttl}
}

func (b *batchStore) add(bt *batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, bt)
	if len(b.items) > b.max {
		b.items = slices.Delete(b.items, 0, len(b.items)-b.max)
	}
}

// get returns a batch visible to u: the owner's, or any for an admin.
func (b *batchStore) get(id string, u User) *batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bt := range b.items {
		if bt.ID == id && (bt.Owner == u.Name || u.Role == RoleAdmin) {
			return bt
		}
	}
	return nil
}

func (b *batchStore) list(u User) []batchSummary {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []batchSummary
	for i := len(b.items) - 1; i >= 0; i-- {
		bt := b.items[i]
		if bt.Owner == u.Name {
			out = append(out, batchSummary{ID: bt.ID, File: bt.File, Kind: bt.Kind, Created: bt.Created, Rows: len(bt.Rows) + bt.Dropped, Alerts: bt.Alerts})
		}
	}
	return out
}

func (b *batchStore) expire(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = slices.DeleteFunc(b.items, func(bt *batch) bool { return now.Sub(bt.Created) > b.ttl })
}

// newBatch starts a batch.
func (s *Server) newBatch(owner, file, kind string) (*batch, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("web: batch id: %w", err)
	}
	classes := s.clf.Classes()
	return &batch{ID: hex.EncodeToString(id), Owner: owner, File: file, Kind: kind, Created: s.cfg.Now(),
		Classes: classes, ByClass: make([]int, len(classes))}, nil
}

// count adds a row's verdict to the batch's totals.
func (bt *batch) count(r *batchRow) {
	bt.ByClass[r.V.Class]++
	if r.V.Alert {
		bt.Alerts++
	}
	if len(r.V.Unseen) > 0 {
		bt.Unseen++
	}
	if r.LabelCategory != "" {
		if i := slices.Index(bt.Classes, r.LabelCategory); i >= 0 {
			bt.Labelled++
			if i == r.V.Class {
				bt.Agree++
			}
		}
	}
}

// uploadName keeps a safe display name of an uploaded file.
func uploadName(h *multipart.FileHeader) string {
	n := path.Base(strings.ReplaceAll(h.Filename, "\\", "/"))
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, n)
	if n == "" || n == "." || n == "/" {
		n = "upload"
	}
	return clip(n)
}

// Upload kinds, from the first bytes.
const (
	kindCSV  = "csv"
	kindPcap = "pcap"
)

// sniff tells a capture (pcap, pcapng, possibly gzipped) from CSV text.
func sniff(head []byte) (string, error) {
	if len(head) >= 4 {
		switch string(head[:4]) {
		case "\xa1\xb2\xc3\xd4", "\xd4\xc3\xb2\xa1", "\xa1\xb2\x3c\x4d", "\x4d\x3c\xb2\xa1", "\x0a\x0d\x0d\x0a":
			return kindPcap, nil
		}
	}
	if len(head) == 0 {
		return "", errors.New("the file is empty")
	}
	probe := head
	for len(probe) > 0 && !utf8.Valid(probe) && len(head)-len(probe) < 4 {
		probe = probe[:len(probe)-1] // a character cut by the peek
	}
	if !utf8.Valid(probe) || slices.Contains(head, 0) {
		return "", errors.New("the file is neither CSV text (NSL-KDD rows) nor a pcap or pcapng capture")
	}
	return kindCSV, nil
}

// limitedReader fails once more than max bytes were read (a gzip bomb).
type limitedReader struct {
	r    io.Reader
	max  int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.max {
		return 0, &uploadError{fmt.Sprintf("the decompressed file exceeds %s", formatBytes(l.max))}
	}
	return n, err
}

// uploadError is a bad upload, shown on the classify page with 400.
type uploadError struct{ msg string }

func (e *uploadError) Error() string { return e.msg }

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	again := func(status int, msg string) {
		d := &classifyData{Mode: "upload", PasteError: "", Groups: s.form(defaultValue, nil)}
		s.render(w, status, "classify", &pageData{Title: "Classify a connection", Nav: "classify", User: &rc.user, CSRF: rc.csrf,
			Error: msg, Data: s.fillClassify(rc, d)})
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		again(http.StatusBadRequest, "Choose a CSV file or a capture to upload.")
		return
	}
	defer f.Close()
	name := uploadName(h)
	select {
	case s.jobSem <- struct{}{}:
		defer func() { <-s.jobSem }()
	case <-r.Context().Done():
		return
	}
	start := time.Now()
	bt, err := s.classifyUpload(r.Context(), f, name, rc.user.Name)
	if err != nil {
		var ue *uploadError
		var ce *csvError
		switch {
		case errors.As(err, &ue), errors.As(err, &ce):
			again(http.StatusBadRequest, fmt.Sprintf("%s: %v", name, err))
		case errors.Is(err, context.Canceled):
		default:
			s.cfg.Log.Error().Err(err).Str("file", name).Msg("upload")
			again(http.StatusInternalServerError, "Classifying the upload failed; see the server log.")
		}
		return
	}
	bt.Seconds = time.Since(start).Seconds()
	s.batches.add(bt)
	s.cfg.Log.Info().Str("user", rc.user.Name).Str("file", name).Str("kind", bt.Kind).Int("rows", len(bt.Rows)).
		Int("alerts", bt.Alerts).Msg("upload classified")
	http.Redirect(w, r, "/classify/batch/"+bt.ID, http.StatusSeeOther)
}

// fillClassify completes the classify page's data.
func (s *Server) fillClassify(rc *reqCtx, d *classifyData) *classifyData {
	d.MaxUpload = formatBytes(s.cfg.MaxUpload)
	d.MaxRows = s.cfg.MaxRows
	d.Batches = s.batches.list(rc.user)
	return d
}

// classifyUpload classifies an uploaded CSV file or capture.
func (s *Server) classifyUpload(ctx context.Context, f io.ReadSeeker, name, owner string) (*batch, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	kind, err := sniff(head)
	var in io.Reader = br
	if err != nil && len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return nil, &uploadError{"gzip: " + zerr.Error()}
		}
		zb := bufio.NewReaderSize(&limitedReader{r: zr, max: 8 * s.cfg.MaxUpload}, 64<<10)
		zhead, _ := zb.Peek(512)
		kind, err = sniff(zhead)
		in = zb
	}
	if err != nil {
		return nil, &uploadError{err.Error()}
	}
	bt, err := s.newBatch(owner, name, kind)
	if err != nil {
		return nil, err
	}
	if kind == kindPcap {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return bt, s.classifyCapture(ctx, f, bt)
	}
	return bt, s.classifyCSV(ctx, in, bt)
}

// classifyCSV reads NSL-KDD rows and classifies them.
func (s *Server) classifyCSV(ctx context.Context, in io.Reader, bt *batch) error {
	var rows []features.Row
	err := s.parser.readCSV(in, bt.File, s.cfg.MaxRows, func(line int, pr parsedRow) error {
		br := batchRow{Line: line, Protocol: pr.Row.Symbols[1], Service: pr.Row.Symbols[2], Flag: pr.Row.Symbols[3]}
		if pr.HasLabel {
			br.Label = pr.Label
			br.LabelCategory, _ = dataset.KDDCategory(pr.Label)
		}
		bt.Rows = append(bt.Rows, br)
		rows = append(rows, pr.Row)
		return nil
	})
	if err != nil {
		var ce *csvError
		if errors.As(err, &ce) {
			ce.File = "" // the page names the file
			return &uploadError{ce.Error()}
		}
		return &uploadError{err.Error()}
	}
	return s.classifyRows(ctx, rows, func(i int, v *model.Verdict) {
		r := &bt.Rows[i]
		r.V = keep(v, s.parser.unseen(&rows[i]))
		bt.count(r)
	})
}

// classifyCapture runs the sensor pipeline over an uploaded capture: every
// connection becomes a batch row, and the alerts also go to the alerts
// page.
func (s *Server) classifyCapture(ctx context.Context, f io.Reader, bt *batch) error {
	tmp, err := os.CreateTemp("", "cnids-upload-*.pcap")
	if err != nil {
		return fmt.Errorf("web: temporary file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, f); err != nil {
		tmp.Close()
		return fmt.Errorf("web: temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("web: temporary file: %w", err)
	}
	src, err := capture.OpenFiles([]string{tmp.Name()}, capture.FileOptions{})
	if err != nil {
		return err
	}
	col := &collector{s: s, bt: bt, max: s.cfg.MaxRows}
	var logMu sync.Mutex
	p, err := sensor.New(sensor.Config{
		Classifier: s.clf, ModelName: s.cfg.ModelName, Sink: col, Emit: sensor.EmitAll, Features: true,
		Workers: min(2, runtime.GOMAXPROCS(0)),
		Log: func(format string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			if len(bt.Warnings) < 20 {
				bt.Warnings = append(bt.Warnings, strings.ReplaceAll(fmt.Sprintf(format, args...), tmp.Name(), bt.File))
			}
		},
	})
	if err != nil {
		src.Close()
		return err
	}
	st, runErr := p.Run(ctx, src)
	src.Close()
	if runErr != nil {
		return runErr
	}
	bt.Packets = st.Capture.Received
	for _, e := range src.Errs() {
		bt.Warnings = append(bt.Warnings, strings.ReplaceAll(e.Error(), tmp.Name(), bt.File))
	}
	if st.Capture.FilesFailed > 0 {
		msg := "the capture could not be read"
		if len(bt.Warnings) > 0 {
			msg += ": " + bt.Warnings[len(bt.Warnings)-1]
		}
		return &uploadError{msg}
	}
	if len(bt.Rows) == 0 && bt.Dropped == 0 {
		return &uploadError{fmt.Sprintf("the capture holds no connection the sensor could classify (%d packets read)", st.Capture.Received)}
	}
	return nil
}

// collector is the sink of an uploaded capture's pipeline.
type collector struct {
	s   *Server
	bt  *batch
	max int
	out []alert.Event
}

// Write keeps each event as a batch row and forwards the alerts to the
// console's ring with the uploaded file's name.
func (c *collector) Write(ctx context.Context, events []alert.Event) error {
	c.out = c.out[:0]
	normal := c.s.cfg.Model.Header.NormalClass
	for i := range events {
		ev := &events[i]
		if ev.Type == alert.TypeAlert {
			c.out = append(c.out, *ev)
			c.out[len(c.out)-1].Source.File = c.bt.File
			c.out[len(c.out)-1].Source.LastFile = ""
		}
		if len(c.bt.Rows) >= c.max {
			c.bt.Dropped++
			if ev.Type == alert.TypeAlert {
				c.bt.Alerts++
			}
			continue
		}
		v := verdict{Score: ev.Alert.Score, Alert: ev.Type == alert.TypeAlert, Top: -1}
		for j, p := range ev.Alert.Probabilities {
			v.Probs = append(v.Probs, float32(p.P))
			if p.P > ev.Alert.Probabilities[v.Class].P {
				v.Class = j
			}
			if j != normal && (v.Top < 0 || p.P > ev.Alert.Probabilities[v.Top].P) {
				v.Top = j
			}
		}
		row := features.NewRow(c.s.parser.schema)
		feats := slices.Clone(ev.KDD.Features)
		for j, fv := range feats {
			if j < len(row.Values) {
				row.Values[j], row.Symbols[j] = fv.Num, fv.Text
			}
		}
		v.Unseen = c.s.parser.unseen(&row)
		r := batchRow{Protocol: row.Symbols[1], Service: ev.AppProto, Flag: ev.KDD.Flag, V: v, Conn: &connInfo{
			FlowID: ev.FlowID, CommunityID: ev.CommunityID, Start: ev.Flow.Start, End: ev.Flow.End,
			Src: ev.SrcIP, Dst: ev.DestIP, SrcPort: ev.SrcPort, DstPort: ev.DestPort, Proto: alert.ProtoName(ev.Proto),
			Flag: ev.KDD.Flag, FirstPacket: ev.Source.FirstPacket, LastPacket: ev.Source.LastPacket, Features: feats,
		}}
		c.bt.Rows = append(c.bt.Rows, r)
		c.bt.count(&c.bt.Rows[len(c.bt.Rows)-1])
	}
	if len(c.out) > 0 {
		return c.s.ring.Write(ctx, c.out)
	}
	return nil
}

// Close does nothing: the batch outlives the pipeline.
func (c *collector) Close() error { return nil }

// batchData is the batch results page.
type batchData struct {
	B          *batch
	Rows       []batchRow
	First      int // 1-based index of the first row shown
	Page       int
	Pages      int
	OnlyAlerts bool
	Shown      int
	ClassRows  []classCount
	Agreement  float64
}

type classCount struct {
	Class string
	N     int
	Share float64
}

const batchPageRows = 200

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bt := s.batches.get(r.PathValue("id"), rc.user)
	if bt == nil {
		s.fail(w, r, rc, http.StatusNotFound, "No such batch: results are kept for an hour, 16 uploads at most.")
		return
	}
	d := &batchData{B: bt, OnlyAlerts: r.URL.Query().Get("only") == "alerts"}
	rows := bt.Rows
	if d.OnlyAlerts {
		rows = nil
		for _, row := range bt.Rows {
			if row.V.Alert {
				rows = append(rows, row)
			}
		}
	}
	d.Shown = len(rows)
	d.Pages = max(1, (len(rows)+batchPageRows-1)/batchPageRows)
	d.Page = 1
	if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && p >= 1 && p <= d.Pages {
		d.Page = p
	}
	lo := (d.Page - 1) * batchPageRows
	d.Rows = rows[lo:min(lo+batchPageRows, len(rows))]
	d.First = lo + 1
	total := len(bt.Rows)
	for i, c := range bt.Classes {
		cc := classCount{Class: c, N: bt.ByClass[i]}
		if total > 0 {
			cc.Share = float64(cc.N) / float64(total)
		}
		d.ClassRows = append(d.ClassRows, cc)
	}
	if bt.Labelled > 0 {
		d.Agreement = float64(bt.Agree) / float64(bt.Labelled)
	}
	s.render(w, http.StatusOK, "batch", &pageData{Title: "Batch results: " + bt.File, Nav: "classify", User: &rc.user, CSRF: rc.csrf, Data: d})
}

// csvCell guards a text cell against spreadsheet formula injection: a
// value from a packet or an upload that starts like a formula is prefixed
// with a quote.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) handleBatchCSV(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bt := s.batches.get(r.PathValue("id"), rc.user)
	if bt == nil {
		s.fail(w, r, rc, http.StatusNotFound, "No such batch: results are kept for an hour, 16 uploads at most.")
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="cnids-%s-%s.csv"`, bt.Kind, bt.ID[:8]))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	var head []string
	names := s.parser.schema.Names()
	if bt.Kind == kindPcap {
		head = []string{"flow_id", "community_id", "start", "end", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "kdd_flag", "first_packet", "last_packet"}
	} else {
		head = []string{"line", "label", "label_category", "protocol_type", "service", "flag"}
	}
	head = append(head, "class", "alert_class", "score", "alert")
	for _, c := range bt.Classes {
		head = append(head, "p_"+c)
	}
	head = append(head, "unseen")
	if bt.Kind == kindPcap {
		head = append(head, names...)
	}
	cw.Write(head)
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, row := range bt.Rows {
		var rec []string
		if c := row.Conn; c != nil {
			rec = []string{strconv.FormatUint(c.FlowID, 10), c.CommunityID, c.Start.UTC().Format(alert.TimeFormat), c.End.UTC().Format(alert.TimeFormat),
				c.Src.String(), strconv.Itoa(int(c.SrcPort)), c.Dst.String(), strconv.Itoa(int(c.DstPort)), c.Proto, csvCell(c.Flag),
				strconv.FormatUint(c.FirstPacket, 10), strconv.FormatUint(c.LastPacket, 10)}
		} else {
			rec = []string{strconv.Itoa(row.Line), csvCell(row.Label), row.LabelCategory, csvCell(row.Protocol), csvCell(row.Service), csvCell(row.Flag)}
		}
		alertClass := ""
		if row.V.Alert {
			alertClass = bt.Classes[row.V.Top]
		}
		rec = append(rec, bt.Classes[row.V.Class], alertClass, f(row.V.Score), strconv.FormatBool(row.V.Alert))
		for _, p := range row.V.Probs {
			rec = append(rec, f(float64(p)))
		}
		rec = append(rec, csvCell(strings.Join(row.V.Unseen, ";")))
		if c := row.Conn; c != nil {
			for _, fv := range c.Features {
				if fv.IsText {
					rec = append(rec, csvCell(fv.Text))
				} else {
					rec = append(rec, strconv.FormatFloat(fv.Num, 'g', -1, 64))
				}
			}
		}
		if err := cw.Write(rec); err != nil {
			return
		}
	}
	cw.Flush()
}
