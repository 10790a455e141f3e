package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/internal/cli"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// sensorOpts are the flags shared by replay and sniff.
type sensorOpts struct {
	config       string
	family       string
	modelPath    string
	threshold    float64
	botModelPath string
	botThreshold float64
	workers      int
	batch        int
	batchTimeout time.Duration
	cache        int
	emit         string
	features     bool
	output       string
	syslog       string
	summary      time.Duration
	summaryEmit  string
	statsEvery   time.Duration
	logFormat    string
	logLevel     string
	maxFlows     int
	shards       int
	tcpTimeout   time.Duration
	udpTimeout   time.Duration
	attempt      time.Duration
	contentCap   int
	web          webOpts
	loaded       []loadedFamily // set by prepare
}

// registerFlow registers the flags of the flow and feature stages, which
// every command has.
func (o *sensorOpts) registerFlow(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "YAML file of flag settings (keys are flag names; see configs/cnids.yaml)")
	fs.StringVar(&o.family, "features", "nsl-kdd", "feature family: nsl-kdd or bot-iot (replay and sniff: also nsl-kdd,bot-iot, both in one pass)")
	fs.IntVar(&o.maxFlows, "max-flows", 0, "cap on live flows; the least recently active are evicted beyond it (0: 1048576)")
	fs.IntVar(&o.shards, "shards", 0, "flow table shards (0: one per core)")
	fs.DurationVar(&o.tcpTimeout, "tcp-timeout", 0, "TCP inactivity timeout (0: 5m)")
	fs.DurationVar(&o.udpTimeout, "udp-timeout", 0, "UDP inactivity timeout (0: 1m)")
	fs.DurationVar(&o.attempt, "attempt-timeout", 0, "timeout of one-sided TCP connections such as S0 (0: 30s)")
	fs.IntVar(&o.contentCap, "content-cap", 0, "bytes of cleartext kept per connection and direction for the content features (0: 64 KiB)")
}

// register registers every flag of the classifying commands.
func (o *sensorOpts) register(fs *flag.FlagSet) {
	o.registerFlow(fs)
	fs.StringVar(&o.modelPath, "model", "", "model file written by cnids-train: the NSL-KDD model, or with --features bot-iot alone the BoT-IoT model (default: the family's embedded cnn)")
	fs.Float64Var(&o.threshold, "threshold", -1, "alert threshold on 1 - P(normal) of --model's model (default: the model's, chosen for its target false-alarm rate)")
	fs.StringVar(&o.botModelPath, "bot-iot-model", "", "BoT-IoT model file for the bot-iot family, needed beside --model when both families run (default: the embedded BoT-IoT cnn)")
	fs.Float64Var(&o.botThreshold, "bot-iot-threshold", -1, "alert threshold of the BoT-IoT model (default: the model's)")
	fs.IntVar(&o.workers, "workers", 0, "classifier workers (0: one per core)")
	fs.IntVar(&o.batch, "batch", 256, "connections classified together")
	fs.DurationVar(&o.batchTimeout, "batch-timeout", 50*time.Millisecond, "classify a partial batch after this long")
	fs.IntVar(&o.cache, "verdict-cache", 4096, "identical feature vectors whose verdicts each worker reuses (0: off)")
	fs.StringVar(&o.emit, "emit", "alerts", "events to write: alerts, or all (a flow event for every other connection too)")
	fs.BoolVar(&o.features, "event-features", false, "include the family's feature values (41 NSL-KDD or 43 BoT-IoT) in every event; one family only")
	fs.StringVar(&o.output, "o", "-", "alert output: - for stdout, or a file (appended; reopened on SIGHUP)")
	fs.StringVar(&o.syslog, "syslog", "", "also send events to syslog: udp://HOST:PORT, tcp://HOST:PORT or unix:///dev/log")
	fs.DurationVar(&o.summary, "alert-summary", 0, "add one roll-up event per (source, destination, category) per interval (0: off)")
	fs.StringVar(&o.summaryEmit, "summary-emit", "all-alerts", "with --alert-summary: all-alerts, or summary-only")
	fs.DurationVar(&o.statsEvery, "stats-interval", 0, "log the counters at this interval (0: only at exit)")
	fs.StringVar(&o.logFormat, "log-format", "auto", "log format on stderr: auto, console or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	o.web.register(fs, "web", "")
}

// newLogger returns the stderr logger.
func (o *sensorOpts) newLogger(stderr io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(o.logLevel)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("--log-level: %w", err)
	}
	var w io.Writer = stderr
	switch o.logFormat {
	case "auto":
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}
		}
	case "console":
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly, NoColor: true}
	case "json":
	default:
		return zerolog.Logger{}, fmt.Errorf("--log-format %q: want auto, console or json", o.logFormat)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// loadModel loads --model as an NSL-KDD model, or the embedded default
// (the web console's model).
func (o *sensorOpts) loadModel() (*model.File, string, error) {
	return familyModel{family: sensor.FamilyKDD, path: o.modelPath, threshold: o.threshold, flag: "--model"}.load()
}

// openSinks builds the event sinks: the output, syslog, and the summariser
// in front of them.
func (o *sensorOpts) openSinks(stdout io.Writer, names []string) (alert.Sink, []alert.Reopener, error) {
	encOpts := alert.EncoderOptions{}
	if o.features {
		encOpts.FeatureNames = names
	}
	var sinks []alert.Sink
	var reopen []alert.Reopener
	closeAll := func() {
		for _, s := range sinks {
			s.Close()
		}
	}
	if o.output == "-" || o.output == "" {
		s, err := alert.NewWriterSink(stdout, encOpts)
		if err != nil {
			return nil, nil, err
		}
		sinks = append(sinks, s)
	} else {
		s, err := alert.OpenFile(o.output, alert.FileOptions{Encoder: encOpts})
		if err != nil {
			return nil, nil, err
		}
		sinks = append(sinks, s)
		reopen = append(reopen, s)
	}
	if o.syslog != "" {
		network, addr, ok := strings.Cut(o.syslog, "://")
		if !ok {
			closeAll()
			return nil, nil, fmt.Errorf("--syslog %q: want udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH", o.syslog)
		}
		if network == "unix" {
			network = "unixgram"
		}
		s, err := alert.NewSyslog(network, addr, alert.SyslogOptions{Encoder: encOpts})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		sinks = append(sinks, s)
	}
	var sink alert.Sink = alert.NewMulti(sinks...)
	if o.summary > 0 {
		emit, err := alert.ParseEmit(o.summaryEmit)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		if sink, err = alert.NewSummarizer(sink, alert.SummarizerOptions{Interval: o.summary, Emit: emit}); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	return sink, reopen, nil
}

// checkFamilies checks --features and the model flags against each
// other and returns each family's model choice.
func (o *sensorOpts) checkFamilies() ([]familyModel, error) {
	fams, err := parseFamilies(o.family, true)
	if err != nil {
		return nil, err
	}
	if o.features && len(fams) > 1 {
		return nil, errors.New("--event-features needs a single feature family (--features nsl-kdd or bot-iot)")
	}
	return o.familyModels(fams)
}

// prepareCmd runs prepare for command cmd: a flag combination that cannot
// work is a usage error (its message on stderr, exit status 2); a model
// that cannot be read is an ordinary error (exit status 1).
func (o *sensorOpts) prepareCmd(cmd string, stderr io.Writer) error {
	if _, err := o.checkFamilies(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return cli.ErrUsage
	}
	return o.prepare()
}

// loadedFamily is a feature family with its model, ready to classify.
type loadedFamily struct {
	family    string
	mf        *model.File
	name      string
	threshold float64
}

// prepare checks the family and model flags and loads every family's
// model, before any input is opened, so that a bad flag or model stops
// the command at once with a usage-style message.
func (o *sensorOpts) prepare() error {
	fms, err := o.checkFamilies()
	if err != nil {
		return err
	}
	o.loaded = o.loaded[:0]
	for _, fm := range fms {
		mf, name, err := fm.load()
		if err != nil {
			return err
		}
		o.loaded = append(o.loaded, loadedFamily{family: fm.family, mf: mf, name: name, threshold: fm.threshold})
	}
	return nil
}

func (o *sensorOpts) flowConfig() flow.Config {
	return flow.Config{
		Shards:     o.shards,
		MaxFlows:   o.maxFlows,
		ContentCap: o.contentCap,
		Timeouts: flow.Timeouts{
			TCPInactive: o.tcpTimeout,
			UDPInactive: o.udpTimeout,
			TCPAttempt:  o.attempt,
		},
	}
}

// runSensor classifies the packets of src and writes the events; it
// returns errFailedInputs when the source could not read every input.
func (o *sensorOpts) runSensor(ctx context.Context, src capture.Source, iface string, stdout, stderr io.Writer) error {
	log, err := o.newLogger(stderr)
	if err != nil {
		return err
	}
	if o.loaded == nil {
		if err := o.prepare(); err != nil {
			return err
		}
	}
	emit, err := sensor.ParseEmit(o.emit)
	if err != nil {
		return err
	}
	gemm.SetThreads(1) // the workers call BLAS concurrently
	fams := make([]sensor.Family, len(o.loaded))
	for i, lf := range o.loaded {
		clf, err := model.NewClassifier(lf.mf, lf.threshold)
		if err != nil {
			return fmt.Errorf("%s model %s: %w", lf.family, lf.name, err)
		}
		fams[i] = sensor.Family{Name: lf.family, Classifier: clf, ModelName: lf.name}
	}
	sink, reopeners, err := o.openSinks(stdout, o.loaded[0].mf.Encoder().Schema().Names())
	if err != nil {
		return err
	}
	var waitWeb func() error
	if o.web.listen != "" {
		// The console shows the alerts of every family; its classify pages
		// read NSL-KDD rows, so they use the NSL-KDD model (the embedded
		// one when the sensor runs bot-iot alone).
		wo := o.web
		wo.threshold = -1
		var mf *model.File
		var name string
		for _, lf := range o.loaded {
			if lf.family == sensor.FamilyKDD {
				mf, name, wo.threshold = lf.mf, lf.name, lf.threshold
			}
		}
		if mf == nil {
			if mf, name, err = (familyModel{family: sensor.FamilyKDD, flag: "--model"}).load(); err != nil {
				sink.Close()
				return err
			}
		}
		webSink, wait, err := startWeb(ctx, wo, mf, name, log)
		if err != nil {
			sink.Close()
			return err
		}
		sink, waitWeb = alert.NewMulti(sink, webSink), wait
	}
	p, err := sensor.New(sensor.Config{
		Flow: o.flowConfig(), Families: fams, Sink: sink,
		Workers: o.workers, Batch: o.batch, BatchTimeout: o.batchTimeout, CacheSize: cacheSize(o.cache),
		Emit: emit, Features: o.features, Interface: iface, Live: iface != "",
		Log: func(format string, args ...any) { log.Warn().Msgf(format, args...) },
	})
	if err != nil {
		sink.Close()
		return err
	}
	for _, f := range fams {
		log.Info().Str("family", f.Name).Str("model", f.ModelName).Strs("classes", f.Classifier.Classes()).
			Float64("threshold", f.Classifier.Threshold()).Str("blas", gemm.Backend()).Msg("cnids starting")
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	done := make(chan struct{})
	defer close(done)
	go func() {
		var tick <-chan time.Time
		if o.statsEvery > 0 {
			t := time.NewTicker(o.statsEvery)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-hup:
				for _, r := range reopeners {
					if err := r.Reopen(); err != nil {
						log.Error().Err(err).Msg("reopen alert output")
					}
				}
			case <-tick:
				logStats(log.Info(), p.Stats()).Msg("stats")
			case <-done:
				return
			}
		}
	}()

	st, runErr := p.Run(ctx, src)
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if err := src.Close(); err != nil && runErr == nil {
		runErr = err
	}
	st = p.Stats()
	logStats(log.Info(), st).Msg("cnids finished")
	if waitWeb != nil {
		// A replay is over, but its alerts stay on the console until the
		// operator stops it.
		if ctx.Err() == nil {
			log.Info().Msg("web console still serving the alerts; interrupt (Ctrl-C) to stop")
		}
		if err := waitWeb(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		return runErr
	}
	if st.Capture.FilesFailed > 0 {
		return errFailedInputs
	}
	return nil
}

func cacheSize(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// logStats adds the run's counters to a log event.
func logStats(e *zerolog.Event, s sensor.Stats) *zerolog.Event {
	return e.
		Uint64("packets", s.Capture.Received).
		Uint64("kernel_dropped", s.Capture.KernelDropped).
		Uint64("iface_dropped", s.Capture.IfaceDropped).
		Uint64("malformed_records", s.Capture.Malformed).
		Uint64("filtered", s.Capture.Filtered).
		Int("files_failed", s.Capture.FilesFailed).
		Uint64("decoded", s.Flow.Decoded).
		Interface("malformed_packets", s.Flow.Malformed).
		Interface("unsupported", s.Flow.Unsupported).
		Uint64("fragments", s.Flow.Fragments).
		Uint64("wrong_fragments", s.Flow.WrongFragments+s.Flow.WrongUnattributed).
		Uint64("fragments_dropped", s.Flow.FragmentsDropped).
		Uint64("flows", s.Flow.FlowsCreated).
		Uint64("flows_evicted", s.Flow.FlowsEvicted).
		Uint64("content_bytes_dropped", s.Flow.ContentDropped).
		Uint64("connections", s.Rows).
		Uint64("not_kdd", s.KDD.NotKDD).
		Uint64("botiot_flows", s.BotIoT.Flows).
		Uint64("classified", s.Classified).
		Uint64("cache_hits", s.CacheHits).
		Uint64("unseen_symbols", s.Unseen).
		Uint64("alerts", s.Alerts).
		Uint64("flow_events", s.Flows).
		Uint64("sink_errors", s.SinkErrors).
		Uint64("sink_failed", s.Sink.Failed).
		Uint64("sink_dropped", s.Sink.Dropped)
}
