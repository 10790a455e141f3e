package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/model"
)

// Emit selects which classified connections become events.
type Emit uint8

// Emit modes.
const (
	// EmitAlerts writes an alert event for each connection above the
	// threshold.
	EmitAlerts Emit = iota
	// EmitAll also writes a flow event for every other connection.
	EmitAll
)

// ParseEmit parses "alerts" or "all".
func ParseEmit(s string) (Emit, error) {
	switch s {
	case "alerts", "alert", "":
		return EmitAlerts, nil
	case "all":
		return EmitAll, nil
	}
	return 0, fmt.Errorf("sensor: unknown --emit %q (want alerts or all)", s)
}

// RowFunc receives every feature row in connection order, from one
// goroutine, when the pipeline runs without a classifier (cnids extract).
// c and r are valid only during the call.
type RowFunc func(c *flow.Conn, r *features.Row) error

// Feature families the pipeline computes.
const (
	// FamilyKDD is NSL-KDD's 41 features (features.KDDExtractor).
	FamilyKDD = "nsl-kdd"
	// FamilyBotIoT is BoT-IoT's Argus flow features
	// (features.BotIoTExtractor).
	FamilyBotIoT = "bot-iot"
)

// Family is one feature family the pipeline computes from every
// connection, with the classifier that judges its rows.
type Family struct {
	// Name is the family: FamilyKDD or FamilyBotIoT.
	Name string
	// Classifier classifies the family's rows; its model must have been
	// trained for the semantics the pipeline computes for the family.
	// Nil hands the rows to Rows instead.
	Classifier *model.Classifier
	// ModelName names the model in the family's alerts (alert.model).
	ModelName string
	// Rows receives the family's rows when Classifier is nil.
	Rows RowFunc
}

// Config configures a Pipeline.
type Config struct {
	// Flow configures the flow table.
	Flow flow.Config
	// KDD configures the NSL-KDD feature extractor.
	KDD features.KDDConfig
	// BotIoT configures the BoT-IoT feature extractor. Its
	// StatusInterval must be the flow table's (a zero one takes the
	// other's).
	BotIoT features.BotIoTConfig
	// Families lists the feature families to compute, each with its
	// classifier (or row function). Every connection goes through each
	// family's extractor in the ordered features stage; each family's rows
	// are batched and classified apart, and all events reach the sink in
	// one deterministic order. Empty means one NSL-KDD family made of
	// Classifier, ModelName and Rows below.
	Families []Family
	// Classifier classifies the rows; nil runs without classification,
	// handing the rows to Rows instead. Only without Families.
	Classifier *model.Classifier
	// ModelName names the model in alerts (alert.model). Only without
	// Families.
	ModelName string
	// Rows receives the rows when Classifier is nil. Only without
	// Families.
	Rows RowFunc
	// Sink receives the events; required with a Classifier.
	Sink alert.Sink
	// Workers is the number of classifier goroutines; 0 means GOMAXPROCS.
	Workers int
	// Batch is the most rows classified together; 0 means 256.
	Batch int
	// Live says the source is a live capture. Only then is a partial batch
	// sent after BatchTimeout; offline, batches are cut only when full and
	// at the end, so that a row's place in its batch, and therefore its
	// verdict (see model.Session.Classify), does not depend on timing.
	Live bool
	// BatchTimeout sends a partial batch after this long (wall time) in
	// live mode, so that a quiet link still raises its alerts; 0 means
	// 50 ms.
	BatchTimeout time.Duration
	// CacheSize is the number of distinct encoded vectors whose verdicts
	// each worker remembers; 0 means 4096, negative disables the cache.
	CacheSize int
	// Emit selects alert events only, or flow events too.
	Emit Emit
	// Features adds the feature values (the family's schema columns) to
	// every event. It needs a single family: the events' feature names
	// are the sink's.
	Features bool
	// Interface names the capture interface in live mode (in_iface).
	Interface string
	// Log receives warnings; nil discards them.
	Log func(format string, args ...any)
}

func (c *Config) normalize() error {
	if len(c.Families) == 0 {
		if c.Classifier == nil && c.Rows == nil {
			return errors.New("sensor: a pipeline needs a classifier or a row function")
		}
		c.Families = []Family{{Name: FamilyKDD, Classifier: c.Classifier, ModelName: c.ModelName, Rows: c.Rows}}
	} else if c.Classifier != nil || c.Rows != nil || c.ModelName != "" {
		return errors.New("sensor: give Classifier, ModelName and Rows in Families, not beside them")
	}
	c.Families = slices.Clone(c.Families)
	switch fs, bs := c.Flow.StatusInterval, c.BotIoT.StatusInterval; {
	case fs == 0 && bs == 0:
	case fs == 0:
		c.Flow.StatusInterval = bs
	case bs == 0:
		c.BotIoT.StatusInterval = fs
	case fs != bs:
		return fmt.Errorf("sensor: the BoT-IoT status interval (%v) differs from the flow table's (%v)", bs, fs)
	}
	if c.Features {
		c.BotIoT.Identifiers = true
		if len(c.Families) > 1 {
			return errors.New("sensor: feature values in events need a single feature family")
		}
	}
	seen := map[string]bool{}
	for i := range c.Families {
		f := &c.Families[i]
		var sem features.Semantics
		switch f.Name {
		case FamilyKDD:
			sem = features.KDDSemantics()
		case FamilyBotIoT:
			sem = c.BotIoT.Semantics()
		default:
			return fmt.Errorf("sensor: unknown feature family %q (want %s or %s)", f.Name, FamilyKDD, FamilyBotIoT)
		}
		if seen[f.Name] {
			return fmt.Errorf("sensor: feature family %s given twice", f.Name)
		}
		seen[f.Name] = true
		if f.Classifier == nil && f.Rows == nil {
			return fmt.Errorf("sensor: feature family %s needs a classifier or a row function", f.Name)
		}
		if f.Classifier != nil {
			if c.Sink == nil {
				return errors.New("sensor: a classifying pipeline needs an alert sink")
			}
			if err := f.Classifier.File().CheckSemantics(sem); err != nil {
				return fmt.Errorf("sensor: %s model: %w", f.Name, err)
			}
		}
	}
	if c.Workers < 0 || c.Batch < 0 || c.BatchTimeout < 0 {
		return fmt.Errorf("sensor: workers %d, batch %d and batch timeout %v must not be negative", c.Workers, c.Batch, c.BatchTimeout)
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 50 * time.Millisecond
	}
	if c.CacheSize == 0 {
		c.CacheSize = 4096
	}
	if c.CacheSize < 0 {
		c.CacheSize = 0
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	return nil
}

// item is one connection on its way through the classifier.
type item struct {
	conn     flow.Conn
	row      features.Row
	appProto string // the NSL-KDD service, for the event
}

// work is a batch of one family's items with a sequence number, so that
// the sink stage writes batches in connection order whatever the worker
// count.
type work struct {
	seq    uint64
	fam    int // index in Pipeline.fams
	items  []item
	n      int
	events []alert.Event
	probs  []alert.ClassProb    // Batch x classes, for the events
	feats  []alert.FeatureValue // Batch x columns, with Config.Features
}

// Stats are a run's counters. Every drop is counted here or in the
// capture and flow statistics it embeds.
type Stats struct {
	// Capture are the source's counters.
	Capture capture.Stats
	// Flow are the flow table's counters.
	Flow flow.Stats
	// KDD are the NSL-KDD feature extractor's counters.
	KDD features.KDDStats
	// BotIoT are the BoT-IoT feature extractor's counters.
	BotIoT features.BotIoTStats
	// Rows is the number of feature rows made (of every family); Classified those
	// classified, CacheHits those answered from a worker's verdict cache.
	Rows, Classified, CacheHits uint64
	// Unseen counts rows with a symbolic value the model never saw in
	// training (encoded as an all-zero block).
	Unseen uint64
	// Alerts and Flows count the events of each type handed to the sink.
	Alerts, Flows uint64
	// SinkErrors counts failed sink writes (the sinks count their own
	// failed and dropped events; see Sink).
	SinkErrors uint64
	// Sink are the sink's counters, when it reports them.
	Sink alert.Stats
}

// extractor is a feature family's extractor as the features stage drives
// it: Add enters a connection, Next yields the complete rows (zero, one or
// more) with their connection records, Flush completes what is held at
// the end of input.
type extractor interface {
	Add(c *flow.Conn)
	Next(r *features.Row) (*flow.Conn, error)
	Flush()
}

// kddAdapter gives the NSL-KDD extractor, one row per TCP, UDP or ICMP
// connection, the extractor interface.
type kddAdapter struct {
	x       *features.KDDExtractor
	pending *flow.Conn
}

func (k *kddAdapter) Add(c *flow.Conn) { k.pending = c }

func (k *kddAdapter) Next(r *features.Row) (*flow.Conn, error) {
	c := k.pending
	if c == nil {
		return nil, nil
	}
	k.pending = nil
	if err := k.x.Extract(c, r); err != nil {
		if errors.Is(err, features.ErrNotKDD) {
			return nil, nil
		}
		return nil, err
	}
	return c, nil
}

func (k *kddAdapter) Flush() {}

// family is one feature family's state in the pipeline.
type family struct {
	Family
	x        extractor
	pool     sync.Pool
	fam      string            // the model's family, for alerts
	sigs     []alert.Signature // by class index; zero for the normal class
	classes  []string
	names    []string // feature names for events
	symbolic []bool   // per feature column: categorical
	service  int      // column of the NSL-KDD service, or -1
}

// Pipeline runs capture, flow, features, classification and alerting for
// one input. Create it with New; Run it once.
type Pipeline struct {
	cfg  Config
	fams []*family
	clf  bool // some family classifies

	table *flow.Table
	src   capture.Source
	kdd   *features.KDDExtractor
	bot   *features.BotIoTExtractor

	rows, classified, hits, unseen, alerts, flows, sinkErrors atomic.Uint64
}

// New validates cfg and returns a pipeline.
func New(cfg Config) (*Pipeline, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg}
	for i := range cfg.Families {
		f := &family{Family: cfg.Families[i], service: -1}
		var schema *features.Schema
		switch f.Name {
		case FamilyKDD:
			x, err := features.NewKDDExtractor(cfg.KDD)
			if err != nil {
				return nil, err
			}
			p.kdd, f.x, schema = x, &kddAdapter{x: x}, features.NSLKDD()
			f.service = schema.Index("service")
		case FamilyBotIoT:
			x, err := features.NewBotIoTExtractor(cfg.BotIoT)
			if err != nil {
				return nil, err
			}
			p.bot, f.x, schema = x, x, features.BotIoT()
		}
		f.names = schema.Names()
		for _, col := range schema.Columns {
			f.symbolic = append(f.symbolic, features.IsSymbolic(col))
		}
		if c := f.Classifier; c != nil {
			p.clf = true
			f.classes = c.Classes()
			f.fam = c.File().Header.Semantics.Family
			f.sigs = make([]alert.Signature, len(f.classes))
			for i, name := range f.classes {
				if i == c.File().Header.NormalClass {
					continue
				}
				s, err := alert.LookupSignature(f.fam, name)
				if err != nil {
					return nil, err
				}
				f.sigs[i] = s
			}
		}
		width, k, idx := len(f.names), len(f.classes), i
		f.pool.New = func() any {
			w := &work{fam: idx, items: make([]item, cfg.Batch), events: make([]alert.Event, 0, cfg.Batch),
				probs: make([]alert.ClassProb, cfg.Batch*k)}
			if cfg.Features {
				w.feats = make([]alert.FeatureValue, cfg.Batch*width)
			}
			vals := make([]float64, cfg.Batch*width)
			syms := make([]string, cfg.Batch*width)
			for i := range w.items {
				w.items[i].row = features.Row{Values: vals[i*width : (i+1)*width : (i+1)*width], Symbols: syms[i*width : (i+1)*width : (i+1)*width]}
			}
			return w
		}
		p.fams = append(p.fams, f)
	}
	return p, nil
}

// Run reads src to its end (or until stop is cancelled), then drains the
// pipeline: every open flow is flushed and classified, every event is
// written. Cancelling stop is the graceful shutdown (SIGINT, SIGTERM); an
// error of any stage aborts the run and is returned.
func (p *Pipeline) Run(stop context.Context, src capture.Source) (Stats, error) {
	g, ctx := errgroup.WithContext(context.Background())
	table, err := flow.NewTable(ctx, p.cfg.Flow)
	if err != nil {
		return Stats{}, err
	}
	p.table, p.src = table, src
	workCh := make(chan *work, 2*p.cfg.Workers)
	doneCh := make(chan *work, 2*p.cfg.Workers)

	g.Go(func() error { return p.read(stop, ctx, src, table) })
	g.Go(func() error { return p.features(ctx, table, workCh) })
	if p.clf {
		var wg sync.WaitGroup
		for range p.cfg.Workers {
			wg.Add(1)
			g.Go(func() error {
				defer wg.Done()
				return p.classify(ctx, workCh, doneCh)
			})
		}
		g.Go(func() error {
			wg.Wait()
			close(doneCh)
			return nil
		})
		g.Go(func() error { return p.write(ctx, doneCh) })
	}
	err = g.Wait()
	return p.Stats(), err
}

// Stats returns the counters so far; safe from any goroutine.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Rows: p.rows.Load(), Classified: p.classified.Load(), CacheHits: p.hits.Load(),
		Unseen: p.unseen.Load(), Alerts: p.alerts.Load(), Flows: p.flows.Load(), SinkErrors: p.sinkErrors.Load(),
	}
	if p.src != nil {
		s.Capture = p.src.Stats()
	}
	if p.table != nil {
		s.Flow = p.table.Stats()
	}
	if p.kdd != nil {
		s.KDD = p.kdd.Stats()
	}
	if p.bot != nil {
		s.BotIoT = p.bot.Stats()
	}
	if r, ok := p.cfg.Sink.(alert.StatsReporter); ok {
		s.Sink = r.Stats()
	}
	return s
}

// read feeds packets to the flow table until the input ends or stop is
// cancelled, then flushes and closes the table.
func (p *Pipeline) read(stop, ctx context.Context, src capture.Source, table *flow.Table) error {
	finish := func() error {
		if err := table.Flush(); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return table.Close()
	}
	for {
		data, ci, err := src.ReadPacket(stop)
		switch {
		case err == nil:
		case errors.Is(err, capture.ErrIdle):
			if err := table.Advance(ci.Timestamp.UnixNano()); err != nil {
				return err
			}
			continue
		case errors.Is(err, io.EOF), stop.Err() != nil:
			return finish()
		case ctx.Err() != nil:
			return nil // another stage failed; its error is returned
		default:
			return fmt.Errorf("sensor: read: %w", err)
		}
		if err := table.Packet(data, src.LinkType(), ci.Timestamp.UnixNano(), ci.File, ci.Packet); err != nil {
			return err
		}
	}
}

// features turns finished connections into rows, in order, and batches
// each family's rows for the classifiers (or hands them to the family's
// row function). Batches of all families share one sequence.
func (p *Pipeline) features(ctx context.Context, table *flow.Table, out chan<- *work) error {
	defer close(out)
	var seq uint64
	cur := make([]*work, len(p.fams))
	started := make([]time.Time, len(p.fams))
	for i, f := range p.fams {
		cur[i] = f.pool.Get().(*work)
		cur[i].n = 0
	}
	send := func(i int) error {
		w := cur[i]
		if w.n == 0 {
			return nil
		}
		w.seq = seq
		seq++
		select {
		case out <- w:
		case <-ctx.Done():
			return ctx.Err()
		}
		cur[i] = p.fams[i].pool.Get().(*work)
		cur[i].n = 0
		return nil
	}
	// drain moves family i's complete rows into its batch.
	drain := func(i int) error {
		f := p.fams[i]
		for {
			w := cur[i]
			it := &w.items[w.n]
			c, err := f.x.Next(&it.row)
			if err != nil {
				return err
			}
			if c == nil {
				return nil
			}
			p.rows.Add(1)
			if f.Classifier == nil {
				if err := f.Rows(c, &it.row); err != nil {
					return err
				}
				continue
			}
			it.conn = *c
			it.conn.Content = [2][]byte{} // the content stays with the flow stage
			if f.service >= 0 {
				it.appProto = it.row.Symbols[f.service]
			} else {
				it.appProto = features.ServiceIDOf(c).String()
			}
			if w.n == 0 {
				started[i] = time.Now()
			}
			w.n++
			if w.n == len(w.items) {
				if err := send(i); err != nil {
					return err
				}
			}
		}
	}
	var tickC <-chan time.Time
	if p.cfg.Live {
		tick := time.NewTicker(p.cfg.BatchTimeout)
		defer tick.Stop()
		tickC = tick.C
	}
	in := table.Out()
	for {
		select {
		case batch, ok := <-in:
			if !ok {
				for i, f := range p.fams {
					f.x.Flush()
					if err := drain(i); err != nil {
						return err
					}
				}
				for i, f := range p.fams {
					if f.Classifier != nil {
						if err := send(i); err != nil {
							return err
						}
					}
				}
				return nil
			}
			for k := range batch {
				c := &batch[k]
				for i, f := range p.fams {
					f.x.Add(c)
					if err := drain(i); err != nil {
						return err
					}
				}
			}
			table.Recycle(batch)
		case <-tickC:
			for i := range p.fams {
				if cur[i].n > 0 && time.Since(started[i]) >= p.cfg.BatchTimeout {
					if err := send(i); err != nil {
						return err
					}
				}
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// classify runs one classifier worker, with a session per classifying
// family.
func (p *Pipeline) classify(ctx context.Context, in <-chan *work, out chan<- *work) error {
	sessions := make([]*model.Session, len(p.fams))
	for i, f := range p.fams {
		if f.Classifier != nil {
			sessions[i] = f.Classifier.NewSession(p.cfg.Batch, p.cfg.CacheSize)
		}
	}
	rows := make([]features.Row, p.cfg.Batch)
	verdicts := make([]model.Verdict, p.cfg.Batch)
	for w := range in {
		f, sess := p.fams[w.fam], sessions[w.fam]
		for i := 0; i < w.n; i++ {
			rows[i] = w.items[i].row
		}
		before := sess.Stats().CacheHits
		if err := sess.Classify(rows[:w.n], verdicts[:w.n]); err != nil {
			return err
		}
		p.classified.Add(uint64(w.n))
		p.hits.Add(sess.Stats().CacheHits - before)
		w.events = w.events[:0]
		for i := 0; i < w.n; i++ {
			v := &verdicts[i]
			if v.Unseen > 0 {
				p.unseen.Add(1)
			}
			if !v.Alert && p.cfg.Emit != EmitAll {
				continue
			}
			k, e := len(f.classes), len(w.events)
			var feats []alert.FeatureValue
			if w.feats != nil {
				feats = w.feats[e*len(f.names) : (e+1)*len(f.names)]
			}
			w.events = append(w.events, alert.Event{})
			p.event(f, &w.events[e], &w.items[i], v, w.probs[e*k:(e+1)*k], feats)
		}
		select {
		case out <- w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// write hands the events to the sink in batch order.
func (p *Pipeline) write(ctx context.Context, in <-chan *work) error {
	pending := map[uint64]*work{}
	var next uint64
	for w := range in {
		pending[w.seq] = w
		for {
			w, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for i := range w.events {
				if w.events[i].Type == alert.TypeAlert {
					p.alerts.Add(1)
				} else {
					p.flows.Add(1)
				}
			}
			if len(w.events) > 0 {
				// A sink failure is counted and logged, never fatal: the
				// sinks count their own failed and dropped events.
				if err := p.cfg.Sink.Write(context.WithoutCancel(ctx), w.events); err != nil {
					p.sinkErrors.Add(1)
					p.cfg.Log("alert sink: %v", err)
				}
			}
			clear(w.events)
			p.fams[w.fam].pool.Put(w)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("sensor: %d classified batches never written (sequence gap at %d)", len(pending), next)
	}
	return nil
}
