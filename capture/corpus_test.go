package capture

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcap"
)

// refusedReasons are the files Wireshark refuses (README: "capinfos error")
// and the reason our error must give.
var refusedReasons = map[string]string{
	"file-pcap-invalid-version.pcap":         "unsupported pcap version 1.4",
	"file-pcapng-invalid-version.pcapng":     "unsupported pcapng version 0.1",
	"file-pcapng-shb-option-too-long.pcapng": "trailing block length 808464432 differs from leading length 52",
	"file-linktype-reserved-bits.pcap":       "pcap link-type field 0x00300000 has its reserved bits set",
}

// cutShort gives, for the deliberately truncated and malformed files, how
// many packets were cut short by the snapshot length (captured length below
// the original length), as `tshark -T fields -e frame.cap_len -e frame.len`
// reports. Their damage is inside the packets, so the capture layer must
// read every record of them and count nothing as malformed.
var cutShort = map[string]int{
	"trunc-hdr-snaplen1.pcap":               1,
	"trunc-icmp-payload.pcap":               4,
	"trunc-ip4.pcap":                        1,
	"trunc-ip6.pcap":                        1,
	"trunc-ipv4-suricata.pcap":              0,
	"trunc-snaplen256-null.pcap":            4,
	"trunc-snaplen50-rst.pcap":              1,
	"trunc-snaplen68-tcp.pcap":              24,
	"malformed-badpackets.pcap":             7,
	"malformed-decode-too-small.pcap":       0,
	"malformed-icmp.pcap":                   0,
	"malformed-ip-bogus-hlen.pcap":          0,
	"malformed-ip4-bad-checksum.pcap":       0,
	"malformed-ipv4-invalid-hdr-len.pcap":   0,
	"malformed-ipv4-invalid-total-len.pcap": 0,
	"malformed-ipv6-invalid-len.pcap":       0,
	"malformed-syn-bad.pcap":                0,
	"malformed-tcp-bad-checksum.pcap":       0,
	"malformed-unknown-ip-short.pcap":       0,
}

// TestPublicCorpus reads every file of the public corpus on its own and
// checks it against the README: packet count and link type for the files
// Wireshark reads, a file error naming the file and the reason for those it
// refuses.
func TestPublicCorpus(t *testing.T) {
	entries := readCorpusIndex(t)
	if len(entries) != 126 {
		t.Fatalf("README lists %d files, want 126", len(entries))
	}
	onDisk, err := filepath.Glob(publicPcap(t, "*.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.file] = true
	}
	if len(onDisk) != len(entries) {
		t.Errorf("%d capture files on disk, %d in the README", len(onDisk), len(entries))
	}
	for _, p := range onDisk {
		if !listed[filepath.Base(p)] {
			t.Errorf("%s is not in the README", p)
		}
	}
	for _, e := range entries {
		t.Run(e.file, func(t *testing.T) {
			path := publicPcap(t, e.file)
			src, err := OpenFiles([]string{path}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pkts := readAll(t, src)
			st := src.Stats()
			errs := fileErrors(t, src)
			if e.packets < 0 {
				reason, ok := refusedReasons[e.file]
				if !ok {
					t.Fatalf("no expected reason for refused file %s", e.file)
				}
				if len(pkts) != 0 || st.FilesFailed != 1 || st.FilesOpened != 0 || st.Malformed != 0 {
					t.Errorf("packets %d, stats %+v; want no packet and one failed file", len(pkts), st)
				}
				if len(errs) != 1 {
					t.Fatalf("errors %v, want one", errs)
				}
				fe := errs[0]
				if fe.File != path || fe.FileIndex != 0 || fe.Packet != 0 {
					t.Errorf("error %+v: want file %s, index 0, packet 0", fe, path)
				}
				if msg := fe.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, reason) {
					t.Errorf("error %q: want the file name and %q", msg, reason)
				}
				return
			}
			if len(errs) != 0 || st.FilesFailed != 0 || st.Malformed != 0 || st.FilesOpened != 1 {
				t.Fatalf("errors %v, stats %+v; want a clean read", errs, st)
			}
			if len(pkts) != e.packets || st.Received != uint64(e.packets) {
				t.Errorf("read %d packets (Received %d), README says %d", len(pkts), st.Received, e.packets)
			}
			wantLT, ok := wiresharkLinkTypes[e.linkType]
			if !ok {
				t.Fatalf("unknown link type %q in README", e.linkType)
			}
			short := 0
			for i, p := range pkts {
				if p.lt != wantLT {
					t.Fatalf("packet %d: link type %v, want %v (%s)", i+1, p.lt, wantLT, e.linkType)
				}
				if p.info.Packet != uint64(i+1) || p.info.File != path || p.info.FileIndex != 0 {
					t.Fatalf("packet %d: info %+v", i+1, p.info)
				}
				if p.info.CaptureLength != len(p.data) {
					t.Fatalf("packet %d: CaptureLength %d, data %d bytes", i+1, p.info.CaptureLength, len(p.data))
				}
				if p.info.CaptureLength < p.info.Length {
					short++
				}
			}
			if want, ok := cutShort[e.file]; ok && short != want {
				t.Errorf("%d packets cut short, tshark says %d", short, want)
			}
		})
	}
}

// TestMatchesLibpcap reads every corpus file that libpcap reads with both
// libpcap (pcap_open_offline) and Files, and compares every packet: time
// stamp to the nanosecond, lengths and bytes.
func TestMatchesLibpcap(t *testing.T) {
	for _, e := range readCorpusIndex(t) {
		if e.packets < 0 {
			continue
		}
		t.Run(e.file, func(t *testing.T) {
			path := publicPcap(t, e.file)
			h, err := pcap.OpenOffline(path)
			if err != nil {
				t.Fatalf("libpcap: %v", err)
			}
			defer h.Close()
			src, err := OpenFiles([]string{path}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ours := readAll(t, src)
			snap := h.SnapLen()
			i := 0
			for ; ; i++ {
				data, ci, err := h.ReadPacketData()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("libpcap packet %d: %v", i+1, err)
				}
				if i >= len(ours) {
					t.Fatalf("libpcap has more than our %d packets", len(ours))
				}
				p := ours[i]
				// A pcapng simple packet block has no time stamp: pcapgo
				// leaves it zero where libpcap says 1970.
				noTime := p.info.Timestamp.IsZero() && ci.Timestamp.Unix() == 0 && ci.Timestamp.Nanosecond() == 0
				if !p.info.Timestamp.Equal(ci.Timestamp) && !noTime {
					t.Fatalf("packet %d: time %v, libpcap %v", i+1, p.info.Timestamp, ci.Timestamp)
				}
				if p.info.Length != ci.Length {
					t.Fatalf("packet %d: length %d, libpcap %d", i+1, p.info.Length, ci.Length)
				}
				// libpcap cuts a record longer than the file's snapshot
				// length down to it; pcapgo keeps the whole record.
				if p.info.CaptureLength != ci.CaptureLength && !(ci.CaptureLength == snap && p.info.CaptureLength > snap) {
					t.Fatalf("packet %d: captured %d, libpcap %d (snaplen %d)", i+1, p.info.CaptureLength, ci.CaptureLength, snap)
				}
				if !bytes.HasPrefix(p.data, data) {
					t.Fatalf("packet %d: bytes differ from libpcap's", i+1)
				}
			}
			if i != len(ours) {
				t.Fatalf("libpcap read %d packets, we read %d", i, len(ours))
			}
		})
	}
}
