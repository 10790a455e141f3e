package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cnids/cnids/alert"
)

// entry is one event of the alert feed, numbered in arrival order.
type entry struct {
	Seq uint64
	Ev  alert.Event
}

// hub numbers the events of the console's ring and keeps the last n of
// them for the alerts page and its streams. One subscription to the ring
// feeds it; each stream reads from the hub by sequence number, so a slow
// or reconnecting browser misses nothing that is still kept (a browser
// behind by more than n events is told how many it missed).
type hub struct {
	sub *alert.Subscription

	mu      sync.Mutex
	buf     []entry // circular
	start   int     // index of the oldest entry
	n       int     // entries kept
	next    uint64  // sequence number of the next event (the first is 1)
	waiters map[chan struct{}]struct{}
	closed  bool

	encMu        sync.Mutex // guards the encoders and line
	enc, encFeat *alert.Encoder
	nfeat        int
	line         []byte
}

// subscriptionBuffer is the ring subscription's buffer: the events the
// hub may lag behind the sensor before the ring drops some for it.
const subscriptionBuffer = 8192

func newHub(r *alert.Ring, n int, featureNames []string) (*hub, error) {
	enc, err := alert.NewEncoder(alert.EncoderOptions{})
	if err != nil {
		return nil, err
	}
	encFeat, err := alert.NewEncoder(alert.EncoderOptions{FeatureNames: featureNames})
	if err != nil {
		return nil, err
	}
	h := &hub{buf: make([]entry, n), next: 1, waiters: map[chan struct{}]struct{}{},
		enc: enc, encFeat: encFeat, nfeat: len(featureNames)}
	sub, backlog, err := r.Subscribe(subscriptionBuffer)
	if err != nil {
		return nil, fmt.Errorf("web: alert feed: %w", err)
	}
	h.sub = sub
	h.add(backlog...)
	return h, nil
}

// run moves events from the ring into the hub until done is closed or the
// ring closes.
func (h *hub) run(done <-chan struct{}) {
	defer func() {
		h.mu.Lock()
		h.closed = true
		h.wakeLocked()
		h.mu.Unlock()
	}()
	batch := make([]alert.Event, 0, 512)
	for {
		select {
		case ev, ok := <-h.sub.C:
			if !ok {
				return
			}
			// Take what else is queued, and add it all under one lock.
			batch = append(batch[:0], ev)
		drain:
			for len(batch) < cap(batch) {
				select {
				case ev, ok := <-h.sub.C:
					if !ok {
						break drain
					}
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			h.add(batch...)
			clear(batch)
		case <-done:
			h.sub.Close()
			return
		}
	}
}

// add numbers and keeps events and wakes the streams. It only copies
// them (the ring gave the hub its own copies): the JSON line is made when
// a page asks for it, so that the hub keeps up with floods.
func (h *hub) add(evs ...alert.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range evs {
		e := entry{Seq: h.next, Ev: evs[i]}
		h.next++
		if h.n < len(h.buf) {
			h.buf[(h.start+h.n)%len(h.buf)] = e
			h.n++
		} else {
			h.buf[h.start] = e
			h.start = (h.start + 1) % len(h.buf)
		}
	}
	h.wakeLocked()
}

// jsonLine returns an event's JSON line, as the sensor writes it (with
// the 41 features when the event has them).
func (h *hub) jsonLine(ev *alert.Event) string {
	h.encMu.Lock()
	defer h.encMu.Unlock()
	enc := h.enc
	if len(ev.KDD.Features) == h.nfeat && h.nfeat > 0 {
		enc = h.encFeat
	} else if len(ev.KDD.Features) > 0 {
		c := *ev
		c.KDD.Features = nil // an unexpected feature count: show the rest
		ev = &c
	}
	line, err := enc.AppendLine(h.line[:0], ev)
	h.line = line
	if err != nil {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		return string(b)
	}
	return strings.TrimSuffix(string(line), "\n")
}

func (h *hub) wakeLocked() {
	for c := range h.waiters {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// wait registers a wake-up channel; the caller must call unwait.
func (h *hub) wait() chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.waiters[c] = struct{}{}
	if h.closed {
		c <- struct{}{}
	}
	h.mu.Unlock()
	return c
}

func (h *hub) unwait(c chan struct{}) {
	h.mu.Lock()
	delete(h.waiters, c)
	h.mu.Unlock()
}

// since returns up to max kept entries after seq, oldest first, and how
// many entries after seq are no longer kept.
func (h *hub) since(seq uint64, max int) (out []entry, missed uint64, closed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	oldest := h.next - uint64(h.n)
	if seq+1 < oldest {
		missed = oldest - seq - 1
		seq = oldest - 1
	}
	if seq >= h.next {
		return nil, 0, h.closed
	}
	for i := seq + 1 - oldest; i < uint64(h.n) && len(out) < max; i++ {
		out = append(out, h.buf[(h.start+int(i))%len(h.buf)])
	}
	return out, missed, h.closed
}

// get returns the entry seq.
func (h *hub) get(seq uint64) (entry, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	oldest := h.next - uint64(h.n)
	if seq < oldest || seq >= h.next {
		return entry{}, false
	}
	return h.buf[(h.start+int(seq-oldest))%len(h.buf)], true
}

// last returns the sequence number of the newest entry (0 if none).
func (h *hub) last() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.next - 1
}

// alertFilter selects events on the alerts page and its stream.
type alertFilter struct {
	Type     string // "alerts" (alerts and summaries) or "all"
	Category string // a model class; "" for any
	Addr     string // as typed
	prefix   netip.Prefix
	Since    string // as typed (datetime-local, UTC)
	Until    string
	since    time.Time
	until    time.Time
}

// timeLayouts are accepted for the time filters, read as UTC.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339, time.RFC3339Nano, "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"}

func parseFilterTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: use YYYY-MM-DDTHH:MM (UTC)", clip(s))
}

// parseFilter reads the filter from query values.
func parseFilter(q url.Values, classes []string) (alertFilter, error) {
	f := alertFilter{Type: q.Get("type"), Category: q.Get("category"), Addr: strings.TrimSpace(q.Get("addr")),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	var errs []string
	switch f.Type {
	case "", "alerts":
		f.Type = "alerts"
	case "all":
	default:
		errs = append(errs, fmt.Sprintf("event type %q: want alerts or all", clip(f.Type)))
		f.Type = "alerts"
	}
	if f.Category != "" {
		known := false
		for _, c := range classes {
			known = known || c == f.Category
		}
		if !known {
			errs = append(errs, fmt.Sprintf("category %q: not a class of the model", clip(f.Category)))
			f.Category = ""
		}
	}
	if f.Addr != "" {
		if p, err := netip.ParsePrefix(f.Addr); err == nil {
			f.prefix = p.Masked()
		} else if a, err := netip.ParseAddr(f.Addr); err == nil {
			f.prefix = netip.PrefixFrom(a, a.BitLen())
		} else {
			errs = append(errs, fmt.Sprintf("address %q: give an IP address or a CIDR prefix such as 10.0.0.0/8", clip(f.Addr)))
			f.Addr = ""
		}
	}
	var err error
	if f.Since != "" {
		if f.since, err = parseFilterTime(f.Since); err != nil {
			errs = append(errs, "from: "+err.Error())
			f.Since = ""
		}
	}
	if f.Until != "" {
		if f.until, err = parseFilterTime(f.Until); err != nil {
			errs = append(errs, "to: "+err.Error())
			f.Until = ""
		}
	}
	if len(errs) > 0 {
		return f, errors.New(strings.Join(errs, "; "))
	}
	return f, nil
}

// match reports whether the filter selects ev.
func (f *alertFilter) match(ev *alert.Event) bool {
	if f.Type != "all" && ev.Type != alert.TypeAlert && ev.Type != alert.TypeSummary {
		return false
	}
	if f.Category != "" && (ev.Type == alert.TypeFlow || ev.Alert.Signature.Class != f.Category) {
		return false
	}
	if f.prefix.IsValid() && !f.prefix.Contains(ev.SrcIP.Unmap()) && !f.prefix.Contains(ev.DestIP.Unmap()) &&
		!f.prefix.Contains(ev.SrcIP) && !f.prefix.Contains(ev.DestIP) {
		return false
	}
	if !f.since.IsZero() && ev.Time.Before(f.since) {
		return false
	}
	if !f.until.IsZero() && ev.Time.After(f.until) {
		return false
	}
	return true
}

// query returns the filter as query values (for the stream URL).
func (f *alertFilter) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Type != "alerts" {
		set("type", f.Type)
	}
	set("category", f.Category)
	set("addr", f.Addr)
	set("since", f.Since)
	set("until", f.Until)
	return q
}

// alertRow is one event as the alerts table shows it, and as the stream
// sends it (JSON, rendered by the page's script with textContent).
type alertRow struct {
	Seq      uint64  `json:"seq"`
	Time     string  `json:"time"`
	Type     string  `json:"type"`
	Class    string  `json:"class"`
	Category string  `json:"category"`
	Severity int     `json:"severity"`
	Score    string  `json:"score"`
	Src      string  `json:"src"`
	Dst      string  `json:"dst"`
	Proto    string  `json:"proto"`
	App      string  `json:"app_proto"`
	Flag     string  `json:"flag"`
	Count    uint64  `json:"count,omitempty"`
	URL      string  `json:"url"`
	P        float64 `json:"-"`
}

func endpoint(a netip.Addr, port uint16, proto uint8) string {
	if !a.IsValid() {
		return ""
	}
	switch proto {
	case 6, 17, 132, 33, 136:
		return netip.AddrPortFrom(a, port).String()
	}
	return a.String()
}

func rowOf(e *entry) alertRow {
	ev := &e.Ev
	r := alertRow{Seq: e.Seq, Time: ev.Time.UTC().Format("2006-01-02 15:04:05.000"), Type: ev.Type.String(),
		Src: endpoint(ev.SrcIP, ev.SrcPort, ev.Proto), Dst: endpoint(ev.DestIP, ev.DestPort, ev.Proto),
		App: ev.AppProto, Flag: ev.KDD.Flag, URL: "/alerts/" + strconv.FormatUint(e.Seq, 10)}
	if ev.Type != alert.TypeSummary {
		r.Proto = alert.ProtoName(ev.Proto)
	}
	switch ev.Type {
	case alert.TypeAlert:
		r.Class, r.Category, r.Severity = ev.Alert.Signature.Class, ev.Alert.Signature.Category, int(ev.Alert.Signature.Severity)
		r.Score, r.P = fmt.Sprintf("%.2f", ev.Alert.Score), ev.Alert.Score
	case alert.TypeSummary:
		r.Class, r.Category, r.Severity = ev.Alert.Signature.Class, ev.Alert.Signature.Category, int(ev.Alert.Signature.Severity)
		r.Score, r.P = fmt.Sprintf("%.2f", ev.Summary.ScoreMax), ev.Summary.ScoreMax
		r.Count = ev.Summary.Alerts
	case alert.TypeFlow:
		r.Class = "-"
		r.Score, r.P = fmt.Sprintf("%.2f", ev.Alert.Score), ev.Alert.Score
	}
	return r
}

// alertsData is the alerts page.
type alertsData struct {
	Filter    alertFilter
	FilterErr string
	Rows      []alertRow
	Matched   int
	Kept      int
	Capacity  int
	Classes   []string
	StreamURL string
	Last      uint64
	Limit     int
	RingStats alert.Stats
}

// alertsPageRows is the most rows the alerts page shows (newest first).
const alertsPageRows = 500

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	classes := s.attackClasses()
	f, ferr := parseFilter(r.URL.Query(), s.clf.Classes())
	d := &alertsData{Filter: f, Classes: classes, Limit: alertsPageRows, Capacity: s.cfg.RingSize, RingStats: s.ring.Stats()}
	status := http.StatusOK
	if ferr != nil {
		d.FilterErr = ferr.Error()
		status = http.StatusBadRequest
	}
	entries, _, _ := s.hub.since(0, s.cfg.RingSize)
	d.Kept = len(entries)
	for i := len(entries) - 1; i >= 0; i-- {
		if f.match(&entries[i].Ev) {
			d.Matched++
			if len(d.Rows) < alertsPageRows {
				d.Rows = append(d.Rows, rowOf(&entries[i]))
			}
		}
	}
	if len(entries) > 0 {
		d.Last = entries[len(entries)-1].Seq
	}
	q := f.query()
	q.Set("after", strconv.FormatUint(d.Last, 10))
	d.StreamURL = "/alerts/stream?" + q.Encode()
	s.render(w, status, "alerts", &pageData{Title: "Alerts", Nav: "alerts", User: &rc.user, CSRF: rc.csrf, Data: d})
}

// attackClasses are the model's classes but the normal one.
func (s *Server) attackClasses() []string {
	var out []string
	for i, c := range s.clf.Classes() {
		if i != s.cfg.Model.Header.NormalClass {
			out = append(out, c)
		}
	}
	return out
}

// streamChunk is the most entries a stream takes from the hub at once.
const streamChunk = 512

// handleAlertStream sends the filtered events as server-sent events: each
// an "alert" event with the entry's sequence number as its id, so that a
// reconnecting EventSource resumes after the last one it got
// (Last-Event-ID); "gap" events say how many were missed.
func (s *Server) handleAlertStream(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f, err := parseFilter(r.URL.Query(), s.clf.Classes())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var last uint64
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		last, err = strconv.ParseUint(id, 10, 64)
	} else if a := r.URL.Query().Get("after"); a != "" {
		last, err = strconv.ParseUint(a, 10, 64)
	} else {
		last = s.hub.last()
	}
	if err != nil {
		http.Error(w, "bad Last-Event-ID or after: want a sequence number", http.StatusBadRequest)
		return
	}
	rctl := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	buf.WriteString("retry: 2000\n\n")
	wake := s.hub.wait()
	defer s.hub.unwait(wake)
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		entries, missed, closed := s.hub.since(last, streamChunk)
		if missed > 0 {
			fmt.Fprintf(&buf, "event: gap\ndata: {\"missed\": %d}\n\n", missed)
		}
		for i := range entries {
			e := &entries[i]
			last = e.Seq
			if !f.match(&e.Ev) {
				continue
			}
			data, err := json.Marshal(rowOf(e)) // escapes <, > and & too
			if err != nil {
				continue
			}
			fmt.Fprintf(&buf, "id: %d\nevent: alert\ndata: %s\n\n", e.Seq, data)
		}
		if len(entries) > 0 && buf.Len() == 0 {
			fmt.Fprintf(&buf, "id: %d\n\n", last) // advance the client's resume point
		}
		if buf.Len() > 0 {
			if !s.writeStream(w, rctl, &buf) {
				return
			}
		}
		if closed {
			return
		}
		if len(entries) == streamChunk {
			continue // more are waiting
		}
		select {
		case <-wake:
		case <-ping.C:
			buf.WriteString(": ping\n\n")
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

// writeStream writes and flushes a stream chunk with a write deadline, so
// that a stalled client cannot hold the handler forever.
func (s *Server) writeStream(w io.Writer, rctl *http.ResponseController, buf *bytes.Buffer) bool {
	_ = rctl.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := w.Write(buf.Bytes())
	buf.Reset()
	if err == nil {
		err = rctl.Flush()
	}
	return err == nil
}

// kv is one flattened field of an event's JSON line.
type kv struct {
	Key, Value string
}

// flatten lists the fields of a JSON object in order, nested keys joined
// with dots.
func flatten(line string) ([]kv, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var out []kv
	var walk func(prefix string) error
	walk = func(prefix string) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '{':
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					key := fmt.Sprint(k)
					if prefix != "" {
						key = prefix + "." + key
					}
					if err := walk(key); err != nil {
						return err
					}
				}
			case '[':
				for i := 0; dec.More(); i++ {
					if err := walk(fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
						return err
					}
				}
			}
			_, err := dec.Token() // closing delimiter
			return err
		case string:
			out = append(out, kv{prefix, t})
		case json.Number:
			out = append(out, kv{prefix, t.String()})
		case bool:
			out = append(out, kv{prefix, strconv.FormatBool(t)})
		case nil:
			out = append(out, kv{prefix, "null"})
		}
		return nil
	}
	return out, walk("")
}

// alertDetail is the alert detail page.
type alertDetail struct {
	Row    alertRow
	Fields []kv
	Probs  []probView
	Line   string
}

func (s *Server) handleAlertDetail(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		s.fail(w, r, rc, http.StatusNotFound, "No such alert.")
		return
	}
	e, ok := s.hub.get(seq)
	if !ok {
		s.fail(w, r, rc, http.StatusNotFound, fmt.Sprintf("Alert %d is no longer kept (the console keeps the last %d events).", seq, s.cfg.RingSize))
		return
	}
	d := &alertDetail{Row: rowOf(&e), Line: s.hub.jsonLine(&e.Ev)}
	d.Fields, err = flatten(d.Line)
	if err != nil {
		d.Fields = append(d.Fields, kv{"error", err.Error()})
	}
	best := 0
	for i, p := range e.Ev.Alert.Probabilities {
		if p.P > e.Ev.Alert.Probabilities[best].P {
			best = i
		}
	}
	for i, p := range e.Ev.Alert.Probabilities {
		d.Probs = append(d.Probs, probView{Class: p.Class, P: p.P, Best: i == best})
	}
	s.render(w, http.StatusOK, "alert", &pageData{Title: "Alert " + strconv.FormatUint(seq, 10), Nav: "alerts", User: &rc.user, CSRF: rc.csrf, Data: d})
}
