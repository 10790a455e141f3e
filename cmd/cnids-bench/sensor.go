package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/internal/gemm"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS returns the process's peak resident set size in bytes.
func maxRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}

// measure is one row of the throughput table.
type measure struct {
	name      string
	packets   uint64
	conns     uint64
	wall, cpu time.Duration
	extra     string
}

func (m measure) perCore(n uint64) float64 { return float64(n) / m.cpu.Seconds() }

// floor reads and decodes every packet of path, as the cheapest possible
// consumer of the capture: the baseline no sensor can beat.
func floor(path string) (measure, error) {
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		return measure{}, err
	}
	defer src.Close()
	dec, err := flow.NewDecoder(flow.DecoderConfig{})
	if err != nil {
		return measure{}, err
	}
	var p flow.Packet
	var n uint64
	ctx := context.Background()
	c0, t0 := cpuTime(), time.Now()
	for {
		data, ci, err := src.ReadPacket(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return measure{}, err
		}
		dec.Decode(data, src.LinkType(), ci.Timestamp.UnixNano(), ci.File, ci.Packet, &p)
		n++
	}
	return measure{name: "read + decode (floor)", packets: n, wall: time.Since(t0), cpu: cpuTime() - c0}, nil
}

// argus runs Debian's argus over the capture, writing its records to a
// temporary file, and returns its wall and CPU time.
func argusRun(path string, packets uint64) (measure, error) {
	bin, err := exec.LookPath("argus")
	if err != nil {
		return measure{}, fmt.Errorf("argus not installed (apt-get install argus-server): %w", err)
	}
	out := filepath.Join(os.TempDir(), "cnids-bench.argus")
	defer os.Remove(out)
	cmd := exec.Command(bin, "-r", path, "-w", out)
	t0 := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		return measure{}, fmt.Errorf("argus: %w: %s", err, b)
	}
	wall := time.Since(t0)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return measure{name: "argus -r (Debian argus-server)", packets: packets, wall: wall, cpu: cpu,
		extra: fmt.Sprintf("peak RSS %d MiB", ru.Maxrss/1024)}, nil
}

// cnidsRun runs the whole sensor over the capture with the model, events
// to io.Discard.
func cnidsRun(path string, clf *model.Classifier, cache int) (measure, sensor.Stats, error) {
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		return measure{}, sensor.Stats{}, err
	}
	defer src.Close()
	sink, err := alert.NewWriterSink(io.Discard, alert.EncoderOptions{})
	if err != nil {
		return measure{}, sensor.Stats{}, err
	}
	p, err := sensor.New(sensor.Config{Classifier: clf, Sink: sink, ModelName: "bench", CacheSize: cache})
	if err != nil {
		return measure{}, sensor.Stats{}, err
	}
	runtime.GC()
	c0, t0 := cpuTime(), time.Now()
	st, err := p.Run(context.Background(), src)
	if err != nil {
		return measure{}, st, err
	}
	name := "cnids replay (decode, flows, features, cnn, alerts)"
	if cache < 0 {
		name = "cnids replay, verdict cache off"
	}
	return measure{name: name, packets: st.Capture.Received, conns: st.Rows, wall: time.Since(t0), cpu: cpuTime() - c0,
		extra: fmt.Sprintf("%d alerts, %.0f%% verdicts from cache", st.Alerts, 100*float64(st.CacheHits)/float64(max(st.Classified, 1)))}, st, nil
}

func benchSensor(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cnids-bench sensor", flag.ContinueOnError)
	pcap := fs.String("pcap", "/tmp/cnids-bench.pcap", "capture to replay (build it with ../shared/tools/make-bench-pcap.sh)")
	modelPath := fs.String("model", "cmd/cnids/models/nsl-kdd-cnn.model", "model file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the cnids run (verdict cache on) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clf, _, err := loadClassifier(*modelPath, -1)
	if err != nil {
		return err
	}
	gemm.SetThreads(1)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		_, _, err = cnidsRun(*pcap, clf, 0)
		pprof.StopCPUProfile()
		f.Close()
		return err
	}
	fl, err := floor(*pcap)
	if err != nil {
		return err
	}
	rows := []measure{fl}
	if ar, err := argusRun(*pcap, fl.packets); err != nil {
		fmt.Fprintf(out, "argus: %v\n", err)
	} else {
		rows = append(rows, ar)
	}
	cn, st, err := cnidsRun(*pcap, clf, 0)
	if err != nil {
		return err
	}
	rows = append(rows, cn)
	nc, _, err := cnidsRun(*pcap, clf, -1)
	if err != nil {
		return err
	}
	rows = append(rows, nc)
	fmt.Fprintf(out, "Capture %s: %d packets, %d connections; %d cores, Go %s, BLAS %s\n\n", *pcap, fl.packets, st.Rows,
		runtime.NumCPU(), runtime.Version(), gemm.Backend())
	fmt.Fprintln(out, "| run | wall s | CPU s | packets/s per core | connections/s per core | vs argus | notes |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---|")
	var argusRate float64
	for _, r := range rows {
		if r.name[:5] == "argus" {
			argusRate = r.perCore(r.packets)
		}
	}
	for _, r := range rows {
		vs := "-"
		if argusRate > 0 {
			vs = fmt.Sprintf("%.2fx", r.perCore(r.packets)/argusRate)
		}
		cps := "-"
		if r.conns > 0 {
			cps = fmt.Sprintf("%.0f", r.perCore(r.conns))
		}
		fmt.Fprintf(out, "| %s | %.2f | %.2f | %.0f | %s | %s | %s |\n", r.name, r.wall.Seconds(), r.cpu.Seconds(),
			r.perCore(r.packets), cps, vs, r.extra)
	}
	return nil
}

// benchSYNFlood writes a capture of a spoofed-source SYN flood (every SYN
// from a different address) and replays it with a flow cap, reporting the
// peak RSS, the evictions and the alerts.
func benchSYNFlood(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cnids-bench synflood", flag.ContinueOnError)
	sources := fs.Int("sources", 1_000_000, "distinct spoofed sources (one SYN each)")
	maxFlows := fs.Int("max-flows", 100_000, "flow-table cap")
	modelPath := fs.String("model", "cmd/cnids/models/nsl-kdd-cnn.model", "model file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clf, _, err := loadClassifier(*modelPath, -1)
	if err != nil {
		return err
	}
	gemm.SetThreads(1)
	path := filepath.Join(os.TempDir(), "cnids-synflood.pcap")
	defer os.Remove(path)
	if err := writeSYNFlood(path, *sources); err != nil {
		return err
	}
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		return err
	}
	defer src.Close()
	sink, err := alert.NewWriterSink(io.Discard, alert.EncoderOptions{})
	if err != nil {
		return err
	}
	p, err := sensor.New(sensor.Config{Classifier: clf, Sink: sink, ModelName: "bench", Flow: flow.Config{MaxFlows: *maxFlows}})
	if err != nil {
		return err
	}
	runtime.GC()
	base := maxRSS()
	t0 := time.Now()
	st, err := p.Run(context.Background(), src)
	if err != nil {
		return err
	}
	peak := maxRSS()
	fmt.Fprintf(out, "Spoofed-source SYN flood: %d SYNs from distinct sources, flow cap %d\n\n", *sources, *maxFlows)
	fmt.Fprintln(out, "| connections | evicted | classified | alerts | peak RSS MiB | RSS before MiB | bytes per capped flow | seconds |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(out, "| %d | %d | %d | %d | %d | %d | %d | %.1f |\n", st.Rows, st.Flow.FlowsEvicted, st.Classified, st.Alerts,
		peak>>20, base>>20, (peak-base)/int64(*maxFlows), time.Since(t0).Seconds())
	return nil
}

// writeSYNFlood writes n TCP SYNs to 10.0.0.1:80, each from its own
// source address in 100.64.0.0/10, 10 µs apart.
func writeSYNFlood(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(128, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return err
	}
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	start := time.Unix(1_700_000_000, 0)
	for i := range n {
		a := 100<<24 | 64<<16 + uint32(i)
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: []byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}, DstIP: []byte{10, 0, 0, 1}}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(1024 + i%60000), DstPort: 80, SYN: true, Seq: uint32(i), Window: 1024}
		tcp.SetNetworkLayerForChecksum(ip)
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp); err != nil {
			f.Close()
			return err
		}
		b := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * 10 * time.Microsecond), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
