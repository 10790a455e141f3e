package capture

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// bigPcap returns a pcap of n packets made of the records of the lab SYN
// flood capture, repeated.
func bigPcap(tb testing.TB, n int) []byte {
	tb.Helper()
	src := readFile(tb, labPcap(tb, "dos-synflood.pcap"))
	offs := pcapRecordOffsets(tb, src)
	if len(offs) != 60000 {
		tb.Fatalf("dos-synflood.pcap: %d records", len(offs))
	}
	var buf bytes.Buffer
	buf.Write(src[:24])
	for ; n >= len(offs); n -= len(offs) {
		buf.Write(src[24:])
	}
	if n > 0 {
		buf.Write(src[24:offs[n]])
	}
	return buf.Bytes()
}

// bigPcapng converts bigPcap's packets to pcapng.
func bigPcapng(tb testing.TB, n int) []byte {
	tb.Helper()
	pkts, _, errs := readBytes(tb, "big.pcap", bigPcap(tb, n))
	if len(errs) != 0 {
		tb.Fatal(errs)
	}
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.info.Timestamp, CaptureLength: len(p.data), Length: p.info.Length}, p.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestZeroCopyAllocs checks that reading a packet allocates nothing, in each
// format and with a filter or pacing.
func TestZeroCopyAllocs(t *testing.T) {
	pcapData := bigPcap(t, 3000)
	ngData := bigPcapng(t, 3000)
	for _, tc := range []struct {
		name string
		data []byte
		opt  FileOptions
	}{
		{"pcap", pcapData, FileOptions{}},
		{"pcapng", ngData, FileOptions{}},
		{"pcap.gz", gzipBytes(t, pcapData), FileOptions{}},
		{"pcapng.gz", gzipBytes(t, ngData), FileOptions{}},
		{"pcap filtered", bigPcap(t, 20000), FileOptions{Filter: "tcp[tcpflags] & tcp-syn != 0"}},
		{"pcap paced", pcapData, FileOptions{Speed: 1e9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := openBytes(t, tc.opt, namedBytes{tc.name, tc.data})
			ctx := context.Background()
			read := func() {
				if _, _, err := src.ReadPacket(ctx); err != nil {
					t.Fatalf("ReadPacket: %v", err)
				}
			}
			for range 100 { // open the file, size the buffers
				read()
			}
			if allocs := testing.AllocsPerRun(2000, read); allocs != 0 {
				t.Errorf("%v allocations per packet", allocs)
			}
		})
	}
}

// benchmarkRead reads a large file from disk packet by packet, reopening it
// at its end, and reports packets per second.
func benchmarkRead(b *testing.B, data []byte, ext string, opt FileOptions) {
	path := filepath.Join(b.TempDir(), "bench"+ext)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	open := func() *Files {
		src, err := OpenFiles([]string{path}, opt)
		if err != nil {
			b.Fatal(err)
		}
		return src
	}
	src := open()
	var bytesRead int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pkt, _, err := src.ReadPacket(ctx)
		if err == io.EOF {
			src = open()
			pkt, _, err = src.ReadPacket(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		bytesRead += int64(len(pkt))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(bytesRead)/b.Elapsed().Seconds()/1e6, "MB/s")
}

const benchPackets = 240000

func BenchmarkReadPcap(b *testing.B) {
	benchmarkRead(b, bigPcap(b, benchPackets), ".pcap", FileOptions{})
}

func BenchmarkReadPcapng(b *testing.B) {
	benchmarkRead(b, bigPcapng(b, benchPackets), ".pcapng", FileOptions{})
}

func BenchmarkReadPcapGzip(b *testing.B) {
	benchmarkRead(b, gzipBytes(b, bigPcap(b, benchPackets)), ".pcap.gz", FileOptions{})
}

func BenchmarkReadPcapFiltered(b *testing.B) {
	benchmarkRead(b, bigPcap(b, benchPackets), ".pcap", FileOptions{Filter: "tcp[tcpflags] & tcp-syn != 0"})
}
