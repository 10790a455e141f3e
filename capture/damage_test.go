package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapRecordOffsets walks a little-endian pcap file and returns the offset
// of each record.
func pcapRecordOffsets(t testing.TB, b []byte) []int {
	t.Helper()
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("not a little-endian microsecond pcap")
	}
	var offs []int
	for off := 24; off < len(b); {
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return offs
}

// ngBlock is one block of a little-endian pcapng file.
type ngBlock struct {
	off, typ, blen int
}

func ngBlocks(t testing.TB, b []byte) []ngBlock {
	t.Helper()
	var out []ngBlock
	for off := 0; off < len(b); {
		typ, blen := int(binary.LittleEndian.Uint32(b[off:])), int(binary.LittleEndian.Uint32(b[off+4:]))
		out = append(out, ngBlock{off, typ, blen})
		off += blen
	}
	return out
}

// packetBlocks returns the packet blocks (EPB, SPB, PB) of a pcapng file.
func packetBlocks(t testing.TB, b []byte) []ngBlock {
	var out []ngBlock
	for _, blk := range ngBlocks(t, b) {
		if blk.typ == ngEPB || blk.typ == ngSPB || blk.typ == ngPB {
			out = append(out, blk)
		}
	}
	return out
}

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }

// readBytes reads one in-memory file through Files.
func readBytes(t testing.TB, name string, data []byte) ([]packet, Stats, []*FileError) {
	t.Helper()
	src := openBytes(t, FileOptions{}, namedBytes{name, data})
	pkts := readAll(t, src)
	return pkts, src.Stats(), fileErrors(t, src)
}

// checkSame checks that got are the packets of want with the given 1-based
// numbers.
func checkSame(t testing.TB, got, want []packet, numbers []uint64) {
	t.Helper()
	if len(got) != len(numbers) {
		t.Fatalf("got %d packets, want %d", len(got), len(numbers))
	}
	for i, n := range numbers {
		w := want[n-1]
		g := got[i]
		if g.info.Packet != n || !bytes.Equal(g.data, w.data) || !g.info.Timestamp.Equal(w.info.Timestamp) ||
			g.info.Length != w.info.Length || g.lt != w.lt || g.info.InterfaceIndex != w.info.InterfaceIndex {
			t.Fatalf("packet %d: got #%d %v len %d lt %v, want #%d %v len %d lt %v", i, g.info.Packet, g.info.Timestamp, g.info.Length, g.lt,
				n, w.info.Timestamp, w.info.Length, w.lt)
		}
	}
}

func seq(from, to uint64, skip ...uint64) []uint64 {
	var out []uint64
next:
	for i := from; i <= to; i++ {
		for _, s := range skip {
			if i == s {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

// checkOneError checks that errs is one error for packet pkt at offset off
// whose message contains each of parts.
func checkOneError(t testing.TB, errs []*FileError, name string, pkt uint64, off int64, parts ...string) {
	t.Helper()
	if len(errs) != 1 {
		t.Fatalf("errors %v, want one", errs)
	}
	e := errs[0]
	if e.File != name || e.Packet != pkt || e.Offset != off {
		t.Errorf("error at %s packet %d offset %d, want %s packet %d offset %d", e.File, e.Packet, e.Offset, name, pkt, off)
	}
	msg := e.Error()
	for _, p := range append(parts, name) {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q lacks %q", msg, p)
		}
	}
}

func TestPcapDamage(t *testing.T) {
	orig := readFile(t, publicPcap(t, "http-get.pcap"))
	want, _, _ := readBytes(t, "orig.pcap", orig)
	if len(want) != 14 {
		t.Fatalf("http-get.pcap: %d packets, want 14", len(want))
	}
	offs := pcapRecordOffsets(t, orig)
	caplen := func(i int) uint32 { return binary.LittleEndian.Uint32(orig[offs[i]+8:]) }

	t.Run("truncated last record", func(t *testing.T) {
		got, st, errs := readBytes(t, "cut.pcap", orig[:len(orig)-10])
		checkSame(t, got, want, seq(1, 13))
		if st.Malformed != 1 || st.FilesFailed != 0 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "cut.pcap", 14, int64(offs[13]),
			fmt.Sprintf("truncated record: %d of %d captured bytes present; rest of file skipped", caplen(13)-10, caplen(13)))
	})
	t.Run("truncated record header", func(t *testing.T) {
		got, st, errs := readBytes(t, "cut.pcap", orig[:offs[13]+8])
		checkSame(t, got, want, seq(1, 13))
		if st.Malformed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "cut.pcap", 14, int64(offs[13]), "truncated record header: 8 of 16 bytes; rest of file skipped")
	})
	t.Run("corrupt captured length", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, offs[4]+8, 0x7fffffff)
		got, st, errs := readBytes(t, "bad.pcap", b)
		checkSame(t, got, want, seq(1, 4))
		if st.Malformed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "bad.pcap", 5, int64(offs[4]),
			"captured length 2147483647 exceeds the snapshot length 262144: record header corrupt; rest of file skipped")
	})
	t.Run("captured length above original length", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, offs[4]+12, caplen(4)-1)
		got, st, errs := readBytes(t, "bad.pcap", b)
		checkSame(t, got, want, seq(1, 14, 5))
		if st.Malformed != 1 || st.Received != 13 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "bad.pcap", 5, int64(offs[4]),
			fmt.Sprintf("captured length %d exceeds original length %d: record skipped", caplen(4), caplen(4)-1))
		if strings.Contains(errs[0].Error(), "rest of file") {
			t.Errorf("error %q: the file goes on", errs[0])
		}
	})
	t.Run("only the file header", func(t *testing.T) {
		got, st, errs := readBytes(t, "hdr.pcap", orig[:24])
		if len(got) != 0 || len(errs) != 0 || st.FilesOpened != 1 || st.Malformed != 0 {
			t.Errorf("packets %d, errors %v, stats %+v", len(got), errs, st)
		}
	})
	t.Run("truncated file header", func(t *testing.T) {
		got, st, errs := readBytes(t, "hdr.pcap", orig[:20])
		if len(got) != 0 || st.FilesFailed != 1 || st.FilesOpened != 0 {
			t.Errorf("packets %d, stats %+v", len(got), st)
		}
		checkOneError(t, errs, "hdr.pcap", 0, -1, "truncated pcap file header: 20 of 24 bytes")
	})
	t.Run("error list is capped", func(t *testing.T) {
		// Every record has caplen > len: each is skipped and reported, up
		// to the cap, then summarised.
		b := readFile(t, publicPcap(t, "trunc-snaplen68-tcp.pcap"))
		offs := pcapRecordOffsets(t, b)
		for _, off := range offs {
			put32(b, off+12, binary.LittleEndian.Uint32(b[off+8:])-1)
		}
		got, st, errs := readBytes(t, "all-bad.pcap", b)
		if len(got) != 0 || st.Malformed != 24 || len(offs) != 24 {
			t.Fatalf("packets %d, stats %+v", len(got), st)
		}
		if len(errs) != maxListedPerFile+1 {
			t.Fatalf("%d errors, want %d", len(errs), maxListedPerFile+1)
		}
		for i, e := range errs[:maxListedPerFile] {
			if e.Packet != uint64(i+1) || e.Offset != int64(offs[i]) {
				t.Errorf("error %d: %v", i, e)
			}
		}
		if last := errs[len(errs)-1].Error(); !strings.Contains(last, "all-bad.pcap: 24 malformed records: 8 not listed") {
			t.Errorf("last error %q", last)
		}
	})
}

// TestPcapOldVersions checks libpcap's rules for versions before 2.4: the
// record lengths are swapped before 2.3 and may be swapped in 2.3.
func TestPcapOldVersions(t *testing.T) {
	orig := readFile(t, publicPcap(t, "trunc-snaplen68-tcp.pcap")) // every record has caplen < len
	want, _, _ := readBytes(t, "orig.pcap", orig)
	offs := pcapRecordOffsets(t, orig)
	swapped := bytes.Clone(orig)
	for _, off := range offs {
		c, l := binary.LittleEndian.Uint32(orig[off+8:]), binary.LittleEndian.Uint32(orig[off+12:])
		if c >= l {
			t.Fatalf("record at %d: caplen %d, len %d", off, c, l)
		}
		put32(swapped, off+8, l)
		put32(swapped, off+12, c)
	}
	for _, tc := range []struct {
		name  string
		base  []byte
		minor uint16
	}{
		{"2.3 in order", orig, 3},
		{"2.3 swapped", swapped, 3},
		{"2.2 swapped", swapped, 2},
		{"2.0 swapped", swapped, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(tc.base)
			binary.LittleEndian.PutUint16(b[6:], tc.minor)
			got, st, errs := readBytes(t, "old.pcap", b)
			if len(errs) != 0 || st.Malformed != 0 {
				t.Fatalf("errors %v", errs)
			}
			checkSame(t, got, want, seq(1, uint64(len(want))))
		})
	}
	t.Run("2.5 refused", func(t *testing.T) {
		b := bytes.Clone(orig)
		binary.LittleEndian.PutUint16(b[6:], 5)
		_, st, errs := readBytes(t, "new.pcap", b)
		if st.FilesFailed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "new.pcap", 0, -1, "unsupported pcap version 2.5")
	})
	t.Run("big-endian nanosecond", func(t *testing.T) {
		// The same packets rewritten big-endian with nanosecond stamps.
		var buf bytes.Buffer
		buf.Write([]byte{0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 68, 0, 0, 0, 1})
		for _, p := range want {
			var h [16]byte
			binary.BigEndian.PutUint32(h[0:], uint32(p.info.Timestamp.Unix()))
			binary.BigEndian.PutUint32(h[4:], uint32(p.info.Timestamp.Nanosecond()+7)) // below the microsecond
			binary.BigEndian.PutUint32(h[8:], uint32(p.info.CaptureLength))
			binary.BigEndian.PutUint32(h[12:], uint32(p.info.Length))
			buf.Write(h[:])
			buf.Write(p.data)
		}
		got, _, errs := readBytes(t, "be.pcap", buf.Bytes())
		if len(errs) != 0 || len(got) != len(want) {
			t.Fatalf("errors %v, %d packets", errs, len(got))
		}
		for i := range got {
			if d := got[i].info.Timestamp.Sub(want[i].info.Timestamp); d != 7*time.Nanosecond || !bytes.Equal(got[i].data, want[i].data) {
				t.Fatalf("packet %d: time off by %v", i+1, d)
			}
		}
	})
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	for _, name := range []string{"http-get.pcap", "http-ipv4-and-ipv6.pcapng", "pcapng-be-test001.pcapng"} {
		t.Run(name, func(t *testing.T) {
			orig := readFile(t, publicPcap(t, name))
			want, _, _ := readBytes(t, name, orig)
			got, st, errs := readBytes(t, name+".gz", gzipBytes(t, orig))
			if len(errs) != 0 || st.FilesOpened != 1 {
				t.Fatalf("errors %v", errs)
			}
			checkSame(t, got, want, seq(1, uint64(len(want))))
		})
	}
	t.Run("truncated stream", func(t *testing.T) {
		orig := readFile(t, publicPcap(t, "http-bro-org.pcap"))
		z := gzipBytes(t, orig)
		got, st, errs := readBytes(t, "cut.pcap.gz", z[:len(z)/2])
		if len(got) == 0 || len(got) >= 751 || st.Malformed != 1 || st.FilesFailed != 0 {
			t.Fatalf("%d packets, stats %+v", len(got), st)
		}
		if len(errs) != 1 || errs[0].Packet != uint64(len(got)+1) || !strings.Contains(errs[0].Error(), "rest of file skipped") {
			t.Fatalf("errors %v", errs)
		}
	})
	t.Run("corrupt header", func(t *testing.T) {
		_, st, errs := readBytes(t, "bad.gz", []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		if st.FilesFailed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "bad.gz", 0, -1, "gzip: ")
	})
	t.Run("not a capture inside", func(t *testing.T) {
		_, st, errs := readBytes(t, "text.gz", gzipBytes(t, []byte("hello, world\n")))
		if st.FilesFailed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "text.gz", 0, -1, "not a pcap or pcapng file (first bytes 68 65 6c 6c)")
	})
}

func TestNotACapture(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty file"},
		{"short", "\xd4\xc3", "file too short to be a capture (2 bytes)"},
		{"text", "# Packet captures", "not a pcap or pcapng file (first bytes 23 20 50 61)"},
		{"zstd", "\x28\xb5\x2f\xfd\x00\x00", "zstd-compressed file: not supported"},
		{"kuznetzov", "\x34\xcd\xb2\xa1" + strings.Repeat("\x00", 20), "modified (Kuznetzov) pcap format"},
		{"pcapng without SHB body", "\x0a\x0d\x0d\x0a\x1c\x00", "truncated pcapng section header: 6 bytes"},
		{"pcapng bad byte order", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x11\x22\x33\x44", "bad byte-order magic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, errs := readBytes(t, tc.name, []byte(tc.data))
			if len(got) != 0 || st.FilesFailed != 1 || st.FilesOpened != 0 {
				t.Errorf("%d packets, stats %+v", len(got), st)
			}
			checkOneError(t, errs, tc.name, 0, -1, tc.want)
		})
	}
}

func TestPcapngDamage(t *testing.T) {
	orig := readFile(t, publicPcap(t, "http-ipv4-and-ipv6.pcapng"))
	want, _, _ := readBytes(t, "orig.pcapng", orig)
	pb := packetBlocks(t, orig)
	if len(want) != 20 || len(pb) != 20 || pb[4].typ != ngEPB {
		t.Fatalf("%d packets, %d packet blocks", len(want), len(pb))
	}
	b5 := pb[4]
	caplen5 := int(binary.LittleEndian.Uint32(orig[b5.off+20:]))

	skipped := func(t *testing.T, name string, b []byte, parts ...string) {
		t.Helper()
		got, st, errs := readBytes(t, name, b)
		checkSame(t, got, want, seq(1, 20, 5))
		if st.Malformed != 1 || st.Received != 19 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, name, 5, int64(b5.off), append(parts, "block skipped")...)
		if strings.Contains(errs[0].Error(), "rest of file") {
			t.Errorf("error %q: the file goes on", errs[0])
		}
	}
	ended := func(t *testing.T, name string, b []byte, n uint64, pkt uint64, off int, parts ...string) {
		t.Helper()
		got, st, errs := readBytes(t, name, b)
		checkSame(t, got, want, seq(1, n))
		if st.Malformed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, name, pkt, int64(off), append(parts, "rest of file skipped")...)
	}

	t.Run("captured length beyond the block", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, b5.off+20, uint32(b5.blen))
		skipped(t, "bad.pcapng", b, fmt.Sprintf("enhanced packet block: captured length %d exceeds the %d data bytes of the block", b5.blen, b5.blen-32))
	})
	t.Run("unknown interface", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, b5.off+8, 7)
		skipped(t, "bad.pcapng", b, "interface id 7 not described (the section has 1)")
	})
	t.Run("options overrun the block", func(t *testing.T) {
		// Shorten the captured length by 8 bytes: the last 8 data bytes
		// become the options, here an option of length 0xfff0.
		b := bytes.Clone(orig)
		newCap := (caplen5 - 8) &^ 3
		put32(b, b5.off+20, uint32(newCap))
		optOff := b5.off + 28 + newCap
		binary.LittleEndian.PutUint16(b[optOff:], 1)
		binary.LittleEndian.PutUint16(b[optOff+2:], 0xfff0)
		skipped(t, "bad.pcapng", b, "option 1 of length 65520 overruns the block")
	})
	t.Run("trailer differs", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, b5.off+b5.blen-4, 12)
		ended(t, "bad.pcapng", b, 4, 5, b5.off, fmt.Sprintf("enhanced packet block: trailing block length 12 differs from leading length %d", b5.blen))
	})
	t.Run("length not a multiple of 4", func(t *testing.T) {
		b := bytes.Clone(orig)
		put32(b, b5.off+4, uint32(b5.blen+1))
		ended(t, "bad.pcapng", b, 4, 5, b5.off, fmt.Sprintf("enhanced packet block: invalid block length %d", b5.blen+1))
	})
	t.Run("truncated last block", func(t *testing.T) {
		last := pb[19]
		ended(t, "cut.pcapng", orig[:last.off+last.blen-6], 19, 20, last.off,
			fmt.Sprintf("enhanced packet block: truncated: %d of %d bytes present", last.blen-6, last.blen))
	})
	t.Run("truncated block header", func(t *testing.T) {
		last := pb[19]
		ended(t, "cut.pcapng", orig[:last.off+6], 19, 0, last.off, "truncated block header: 6 of 8 bytes or more")
	})
	t.Run("blocks the sensor does not need", func(t *testing.T) {
		// A custom block, a name resolution block with garbage inside and
		// an unknown block between packets 3 and 4: skipped silently.
		extra := []byte{
			0xad, 0x0b, 0, 0, 16, 0, 0, 0, 1, 2, 3, 4, 16, 0, 0, 0, // custom (0x0bad)
			4, 0, 0, 0, 20, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 9, 9, 9, 9, 20, 0, 0, 0, // NRB with a record overrunning it
			0x44, 0x33, 0x22, 0x11, 12, 0, 0, 0, 12, 0, 0, 0, // unknown, empty
		}
		at := pb[3].off
		b := append(append(bytes.Clone(orig[:at]), extra...), orig[at:]...)
		got, st, errs := readBytes(t, "extra.pcapng", b)
		if len(errs) != 0 || st.Malformed != 0 {
			t.Fatalf("errors %v", errs)
		}
		checkSame(t, got, want, seq(1, 20))
	})
	t.Run("oversized packet block", func(t *testing.T) {
		size := pcapngMaxBuf + 1024
		big := make([]byte, size)
		put32(big, 0, ngEPB)
		put32(big, 4, uint32(size))
		put32(big, 20, uint32(size-32))
		put32(big, 24, uint32(size-32))
		put32(big, size-4, uint32(size))
		at := pb[3].off
		b := append(append(bytes.Clone(orig[:at]), big...), orig[at:]...)
		got, st, errs := readBytes(t, "big.pcapng", b)
		// The big block is packet 4; the file's packets 4.. are 5..
		if len(got) != 20 || st.Malformed != 1 {
			t.Fatalf("%d packets, stats %+v", len(got), st)
		}
		for i, g := range got {
			n := uint64(i + 1)
			if i >= 3 {
				n++
			}
			if g.info.Packet != n || !bytes.Equal(g.data, want[i].data) {
				t.Fatalf("packet %d: number %d", i, g.info.Packet)
			}
		}
		checkOneError(t, errs, "big.pcapng", 4, int64(at), fmt.Sprintf("block of %d bytes exceeds the %d-byte limit; block skipped", size, pcapngMaxBuf))
	})
	t.Run("packet block larger than the first buffer", func(t *testing.T) {
		// A 200000-byte packet (within libpcap's limit) between packets 3
		// and 4: the buffer grows, and offsets stay right after it.
		size := 32 + 200000
		big := make([]byte, size)
		put32(big, 0, ngEPB)
		put32(big, 4, uint32(size))
		put32(big, 20, 200000)
		put32(big, 24, 200000)
		for i := 28; i < 28+200000; i++ {
			big[i] = byte(i)
		}
		put32(big, size-4, uint32(size))
		at := pb[3].off
		b := append(append(bytes.Clone(orig[:at]), big...), orig[at:]...)
		last := pb[19]
		b = b[:len(b)-(len(orig)-last.off)+6] // and cut the last block short
		got, st, errs := readBytes(t, "grow.pcapng", b)
		if len(got) != 20 || st.Malformed != 1 {
			t.Fatalf("%d packets, stats %+v", len(got), st)
		}
		if p := got[3]; p.info.Packet != 4 || len(p.data) != 200000 || !bytes.Equal(p.data, big[28:28+200000]) {
			t.Fatalf("big packet: #%d, %d bytes", p.info.Packet, len(p.data))
		}
		for i, p := range got[4:] {
			if w := want[3+i]; p.info.Packet != uint64(5+i) || !bytes.Equal(p.data, w.data) {
				t.Fatalf("packet %d after the big one: #%d", i, p.info.Packet)
			}
		}
		checkOneError(t, errs, "grow.pcapng", 0, int64(last.off+size), "truncated block header")
	})
	t.Run("packet before any interface", func(t *testing.T) {
		blocks := ngBlocks(t, orig)
		shb := blocks[0]
		b := append(bytes.Clone(orig), orig[shb.off:shb.off+shb.blen]...) // a new section, no interface
		b = append(b, orig[b5.off:b5.off+b5.blen]...)
		got, st, errs := readBytes(t, "noif.pcapng", b)
		checkSame(t, got, want, seq(1, 20))
		if st.Malformed != 1 {
			t.Errorf("stats %+v", st)
		}
		checkOneError(t, errs, "noif.pcapng", 21, int64(len(orig)+shb.blen), "interface id 0 not described (the section has 0)")
	})
}

// mixedPcapng writes a pcapng file whose interfaces have different link
// types (Ethernet, raw IP, Linux SLL), with real packets from the corpus,
// and returns it with the packets in file order.
func mixedPcapng(t testing.TB) ([]byte, []packet) {
	t.Helper()
	type input struct {
		file string
		lt   layers.LinkType
	}
	inputs := []input{
		{"http-get.pcap", layers.LinkTypeEthernet},
		{"linktype-raw-ipv6.pcap", layers.LinkTypeRaw},
		{"linktype-sll-arp.pcap", layers.LinkTypeLinuxSLL},
	}
	var per [][]packet
	for _, in := range inputs {
		p, _, errs := readBytes(t, in.file, readFile(t, publicPcap(t, in.file)))
		if len(errs) != 0 || p[0].lt != in.lt {
			t.Fatalf("%s: %v", in.file, errs)
		}
		per = append(per, p)
	}
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: inputs[0].lt, SnapLength: 65535, TimestampResolution: 9},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "cnids test"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(inputs); i++ {
		id, err := w.AddInterface(pcapgo.NgInterface{Name: fmt.Sprintf("if%d", i), LinkType: inputs[i].lt, SnapLength: 65535, TimestampResolution: 9})
		if err != nil || id != i {
			t.Fatalf("AddInterface: %d, %v", id, err)
		}
	}
	var want []packet
	for round := 0; ; round++ {
		wrote := false
		for i, ps := range per {
			if round >= len(ps) {
				continue
			}
			p := ps[round]
			ci := p.info.CaptureInfo
			ci.InterfaceIndex = i
			if err := w.WritePacketWithOptions(ci, p.data, pcapgo.NgPacketOptions{Comments: []string{fmt.Sprintf("round %d", round)}}); err != nil {
				t.Fatal(err)
			}
			want = append(want, packet{data: p.data, info: Info{CaptureInfo: ci, Packet: uint64(len(want) + 1)}, lt: inputs[i].lt})
			wrote = true
		}
		if !wrote {
			break
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

func TestPcapngMixedLinkTypes(t *testing.T) {
	b, want := mixedPcapng(t)
	got, st, errs := readBytes(t, "mixed.pcapng", b)
	if len(errs) != 0 || st.Malformed != 0 {
		t.Fatalf("errors %v", errs)
	}
	checkSame(t, got, want, seq(1, uint64(len(want))))
	lts := map[layers.LinkType]int{}
	for _, p := range got {
		lts[p.lt]++
	}
	if lts[layers.LinkTypeEthernet] != 14 || lts[layers.LinkTypeRaw] != 1 || lts[layers.LinkTypeLinuxSLL] != 12 {
		t.Errorf("link types %v", lts)
	}

	t.Run("second section, other byte order", func(t *testing.T) {
		be := readFile(t, publicPcap(t, "pcapng-be-test001.pcapng"))
		beWant, _, _ := readBytes(t, "be.pcapng", be)
		got, _, errs := readBytes(t, "two.pcapng", append(bytes.Clone(b), be...))
		if len(errs) != 0 || len(got) != len(want)+4 {
			t.Fatalf("%d packets, errors %v", len(got), errs)
		}
		checkSame(t, got[:len(want)], want, seq(1, uint64(len(want))))
		for i, p := range got[len(want):] {
			w := beWant[i]
			if p.info.Packet != uint64(len(want)+i+1) || p.lt != layers.LinkTypeEthernet || !bytes.Equal(p.data, w.data) || !p.info.Timestamp.Equal(w.info.Timestamp) {
				t.Fatalf("packet %d of the second section: %+v", i+1, p.info)
			}
		}
	})
}

// TestPcapngMultiInterface checks the corpus file with two interfaces of
// different time resolutions against tshark: `tshark -T fields -e
// frame.number -e frame.interface_id -e frame.time_epoch -e frame.len`.
func TestPcapngMultiInterface(t *testing.T) {
	got, _, errs := readBytes(t, "multi.pcapng", readFile(t, publicPcap(t, "pcapng-multi-interface.pcapng")))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []struct {
		iface     int
		sec, nsec int64
		length    int
	}{
		{0, 1767663089, 500330493, 96},
		{0, 1767663089, 514291940, 214},
		{1, 1767663437, 111897000, 70},
		{1, 1767663437, 126460000, 166},
		{1, 1767663437, 128303000, 70},
		{1, 1767663437, 140942000, 182},
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.info.InterfaceIndex != w.iface || !p.info.Timestamp.Equal(time.Unix(w.sec, w.nsec)) || p.info.Length != w.length || p.lt != layers.LinkTypeEthernet {
			t.Errorf("packet %d: interface %d, %v, len %d, %v; want %+v", i+1, p.info.InterfaceIndex, p.info.Timestamp, p.info.Length, p.lt, w)
		}
	}
}
