package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/cnids/cnids/capture"
	"github.com/cnids/cnids/internal/cli"
)

func cmdReplay(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids replay", flag.ContinueOnError)
	var o sensorOpts
	o.register(fs)
	speed := fs.String("speed", "max", "replay pace: max (as fast as possible), realtime, or Nx (N times real time)")
	filter := fs.String("filter", "", "BPF filter (tcpdump syntax) applied to the packets read")
	perFile := fs.Bool("per-file", false, "treat each file as its own capture: flows and windows reset between files")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cnids replay [flags] FILE...   (FILE may be - for stdin)\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "cnids replay: give one or more capture files")
		fs.Usage()
		return cli.ErrUsage
	}
	if err := o.prepareCmd("cnids replay", stderr); err != nil {
		return err
	}
	sp, err := capture.ParseSpeed(*speed)
	if err != nil {
		return fmt.Errorf("--speed: %w", err)
	}
	groups := inputGroups(fs.Args(), *perFile)
	var failed bool
	for _, files := range groups {
		src, err := capture.OpenFiles(files, capture.FileOptions{Speed: sp, Filter: *filter})
		if err != nil {
			return err
		}
		err = o.runSensor(ctx, src, "", stdout, stderr)
		for _, e := range src.Errs() {
			fmt.Fprintf(stderr, "cnids replay: %v\n", e)
		}
		switch {
		case errors.Is(err, errFailedInputs):
			failed = true
		case err != nil:
			return err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed {
		return errFailedInputs
	}
	return nil
}

func cmdSniff(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cnids sniff", flag.ContinueOnError)
	var o sensorOpts
	o.register(fs)
	iface := fs.String("i", "", "interface to capture from")
	filter := fs.String("f", "", "BPF filter (tcpdump syntax)")
	snaplen := fs.Int("snaplen", 0, "bytes kept per packet (0: 262144)")
	promisc := fs.Bool("promisc", true, "promiscuous mode")
	bufSize := fs.Int("buffer-size", 0, "kernel capture buffer in bytes (0: libpcap's default, 2 MiB)")
	immediate := fs.Bool("immediate", false, "deliver each packet at once rather than in buffered blocks")
	afp := fs.Bool("afpacket", false, "capture with AF_PACKET (TPACKET_V3) instead of libpcap")
	timeout := fs.Duration("read-timeout", 0, "read timeout after which an idle link advances time (0: 100ms)")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if *iface == "" {
		fmt.Fprintln(stderr, "cnids sniff: -i IFACE is required")
		fs.Usage()
		return cli.ErrUsage
	}
	if err := o.prepareCmd("cnids sniff", stderr); err != nil {
		return err
	}
	var src capture.Source
	var err error
	if *afp {
		src, err = capture.OpenAFPacket(capture.AFPacketOptions{Interface: *iface, Filter: *filter, SnapLen: *snaplen,
			Promiscuous: *promisc, Timeout: *timeout})
	} else {
		src, err = capture.OpenLive(capture.LiveOptions{Interface: *iface, Filter: *filter, SnapLen: *snaplen,
			Promiscuous: *promisc, BufferSize: *bufSize, Immediate: *immediate, Timeout: *timeout})
	}
	if err != nil {
		return err
	}
	return o.runSensor(ctx, src, *iface, stdout, stderr)
}

// inputGroups returns the runs of a command line's capture files: one
// timeline of all of them, or with perFile one run per file, with flows
// and windows reset in between.
func inputGroups(files []string, perFile bool) [][]string {
	if !perFile {
		return [][]string{files}
	}
	groups := make([][]string, len(files))
	for i, f := range files {
		groups[i] = []string{f}
	}
	return groups
}
