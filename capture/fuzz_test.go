package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"strings"
	"testing"
)

// checkAnyInput reads arbitrary bytes as a capture file through the
// OpenFiles path and checks what must hold whatever the bytes: no panic
// (not even one caught by the reader's safety net), an end, and counters
// consistent with what was returned.
func checkAnyInput(t *testing.T, data []byte) {
	src := openBytes(t, FileOptions{}, namedBytes{"fuzz.cap", data})
	ctx := context.Background()
	// Every record takes at least 12 bytes of the (decompressed) stream,
	// and gzip expands at most about 1032 times.
	limit := 1100*len(data) + 10
	var n, last uint64
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("no end after %d reads of a %d-byte input", i, len(data))
		}
		pkt, info, err := src.ReadPacket(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadPacket: %v", err)
		}
		n++
		if info.Packet <= last {
			t.Fatalf("packet number %d after %d", info.Packet, last)
		}
		last = info.Packet
		if info.CaptureLength != len(pkt) || info.File != "fuzz.cap" {
			t.Fatalf("info %+v for %d bytes", info, len(pkt))
		}
	}
	st := src.Stats()
	if st.Received != n || st.FilesOpened+st.FilesFailed != 1 || (st.FilesFailed == 1 && (n != 0 || st.Malformed != 0)) {
		t.Fatalf("stats %+v after %d packets", st, n)
	}
	errs := fileErrors(t, src)
	if st.FilesFailed == 1 && len(errs) != 1 {
		t.Fatalf("a failed file with errors %v", errs)
	}
	for _, e := range errs {
		if e.File != "fuzz.cap" || strings.Contains(e.Error(), "internal error") {
			t.Fatalf("error %v", e)
		}
	}
	if st.Malformed > 0 && len(errs) == 0 {
		t.Fatalf("%d malformed records, no error", st.Malformed)
	}
}

func FuzzPcap(f *testing.F) {
	for _, name := range []string{"http-get.pcap", "trunc-hdr-snaplen1.pcap", "nano-http-get.pcap", "linktype-raw-ipv6.pcap",
		"file-empty.pcap", "file-pcap-invalid-version.pcap", "file-linktype-reserved-bits.pcap", "bigendian-pptp.pcap", "linktype-sll2.pcap"} {
		f.Add(readFile(f, publicPcap(f, name)))
	}
	b := readFile(f, publicPcap(f, "linktype-sll2.pcap"))
	old := bytes.Clone(b)
	binary.LittleEndian.PutUint16(old[6:], 2) // pre-2.3 record layout
	f.Add(old)
	cut := bytes.Clone(b[:len(b)-5])
	f.Add(cut)
	f.Add(gzipBytes(f, b))
	f.Fuzz(checkAnyInput)
}

func FuzzPcapng(f *testing.F) {
	for _, name := range []string{"http-ipv4-and-ipv6.pcapng", "nano.pcapng", "pcapng-be-test001.pcapng", "pcapng-le-test010.pcapng",
		"pcapng-multi-interface.pcapng", "tcp-refused.pcapng", "file-empty.pcapng", "file-pcapng-invalid-version.pcapng",
		"file-pcapng-shb-option-too-long.pcapng"} {
		f.Add(readFile(f, publicPcap(f, name)))
	}
	mixed, _ := mixedPcapng(f)
	f.Add(mixed[:min(len(mixed), 4096)])
	two := append(readFile(f, publicPcap(f, "tcp-refused.pcapng")), readFile(f, publicPcap(f, "pcapng-be-test001.pcapng"))...)
	f.Add(two)
	f.Add(gzipBytes(f, two))
	f.Fuzz(checkAnyInput)
}
