package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// sharedDir returns ../shared beside the repository root.
func sharedDir(t testing.TB) string { return sharedtest.Path(t) }

// pcapPath returns the path of a shared capture ("public/x.pcap").
func pcapPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), "pcaps", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("capture missing: %v", err)
	}
	return p
}

// frame is one packet read from a capture file.
type frame struct {
	data []byte
	ts   int64
	lt   layers.LinkType
	num  uint64
}

// readFrames reads a pcap or pcapng file (sniffed by magic) into memory.
// Classic pcap files of version 2.0-2.3 (same record format as 2.4, which
// pcapgo alone accepts) are read as 2.4.
func readFrames(path string) ([]frame, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) < 4 {
		return nil, fmt.Errorf("%s: file shorter than a header", path)
	}
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r reader
	var lt func() layers.LinkType
	if bytes.Equal(raw[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r, lt = ng, ng.LinkType
	} else {
		if len(raw) >= 8 && raw[4]|raw[5] != 0 && raw[6]|raw[7] != 0 {
			raw = bytes.Clone(raw)
			switch {
			case raw[0] == 0xa1 && raw[4] == 0 && raw[5] == 2 && raw[6] == 0 && raw[7] < 4: // big-endian 2.x
				raw[7] = 4
			case raw[3] == 0xa1 && raw[4] == 2 && raw[5] == 0 && raw[6] < 4 && raw[7] == 0: // little-endian 2.x
				raw[6] = 4
			}
		}
		pr, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r, lt = pr, pr.LinkType
	}
	var out []frame
	for n := uint64(1); ; n++ {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: packet %d: %w", path, n, err)
		}
		link := lt()
		if ci.InterfaceIndex > 0 {
			if ng, ok := r.(*pcapgo.NgReader); ok {
				if intf, err := ng.Interface(ci.InterfaceIndex); err == nil {
					link = intf.LinkType
				}
			}
		}
		out = append(out, frame{data: data, ts: ci.Timestamp.UnixNano(), lt: link, num: n})
	}
}

// mustFrames reads a shared capture or fails the test.
func mustFrames(t testing.TB, name string) []frame {
	t.Helper()
	fr, err := readFrames(pcapPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// feed runs frames (of one or more files) through a new table and returns
// the records in output order and the final stats.
func feed(t testing.TB, cfg Config, files map[string][]frame, order ...string) ([]Conn, Stats) {
	t.Helper()
	tab, err := NewTable(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []Conn, 1)
	go func() {
		var all []Conn
		for b := range tab.Out() {
			all = append(all, b...)
			tab.Recycle(b)
		}
		got <- all
	}()
	for _, name := range order {
		for _, f := range files[name] {
			if err := tab.Packet(f.data, f.lt, f.ts, name, f.num); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	conns := <-got
	return conns, tab.Stats()
}

// run feeds one shared capture with cfg.
func run(t testing.TB, cfg Config, name string) ([]Conn, Stats) {
	t.Helper()
	return feed(t, cfg, map[string][]frame{name: mustFrames(t, name)}, name)
}

// connLine renders a record for diagnostics and golden comparisons.
func connLine(c *Conn) string {
	return fmt.Sprintf("%v:%d > %v:%d p%d %v %q o%d/%d r%d/%d %v %v dur=%v wf=%d ftp=%v",
		c.OrigAddr, c.OrigPort, c.RespAddr, c.RespPort, c.Proto, c.State, c.History,
		c.OrigPkts, c.OrigBytes, c.RespPkts, c.RespBytes, c.Reason,
		time.Unix(0, c.Start).UTC().Format("15:04:05.000000"), time.Duration(c.End-c.Start), c.WrongFragment, c.FTPData)
}

func dump(t testing.TB, conns []Conn) string {
	t.Helper()
	var b strings.Builder
	for i := range conns {
		b.WriteString(connLine(&conns[i]))
		b.WriteByte('\n')
	}
	return b.String()
}

// oneShard is a deterministic small config for golden tests.
func oneShard() Config { return Config{Shards: 1} }
