package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// TestTimeline reads several files as one run: an unreadable file in the
// middle is reported and skipped, numbering restarts per file, and FileIndex
// tells the files apart.
func TestTimeline(t *testing.T) {
	a, b, c := publicPcap(t, "http-get.pcap"), publicPcap(t, "nano.pcapng"), publicPcap(t, "linktype-sll2.pcap")
	missing := publicPcap(t, "no-such-file.pcap")
	text := publicPcap(t, "README.md")
	names := []string{a, missing, b, text, c}
	src, err := OpenFiles(names, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, src)
	type span struct {
		file  string
		index int
		n     int
		lt    layers.LinkType
	}
	want := []span{{a, 0, 14, layers.LinkTypeEthernet}, {b, 2, 6, layers.LinkTypeEthernet}, {c, 4, 6, layers.LinkTypeLinuxSLL2}}
	i := 0
	for _, w := range want {
		single, _, _ := readBytes(t, w.file, readFile(t, w.file))
		for k := 0; k < w.n; k++ {
			if i >= len(got) {
				t.Fatalf("only %d packets", len(got))
			}
			p := got[i]
			if p.info.File != w.file || p.info.FileIndex != w.index || p.info.Packet != uint64(k+1) || p.lt != w.lt ||
				!bytes.Equal(p.data, single[k].data) || !p.info.Timestamp.Equal(single[k].info.Timestamp) {
				t.Fatalf("packet %d: %s #%d (index %d, %v), want %s #%d (index %d, %v)", i, p.info.File, p.info.Packet, p.info.FileIndex, p.lt,
					w.file, k+1, w.index, w.lt)
			}
			i++
		}
	}
	if i != len(got) {
		t.Fatalf("%d packets, want %d", len(got), i)
	}
	st := src.Stats()
	if st.FilesOpened != 3 || st.FilesFailed != 2 || st.Received != 26 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
	errs := fileErrors(t, src)
	if len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
	if e := errs[0]; e.File != missing || e.FileIndex != 1 || e.Packet != 0 || !errors.Is(e, fs.ErrNotExist) || !strings.Contains(e.Error(), missing) {
		t.Errorf("first error %v", e)
	}
	if e := errs[1]; e.File != text || e.FileIndex != 3 || !strings.Contains(e.Error(), text+": not a pcap or pcapng file") {
		t.Errorf("second error %v", e)
	}
}

func TestAllFilesFail(t *testing.T) {
	src, err := OpenFiles([]string{"/nonexistent/a.pcap", "/nonexistent/b.pcap"}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, src); len(got) != 0 {
		t.Fatalf("%d packets", len(got))
	}
	if st := src.Stats(); st.FilesFailed != 2 || st.FilesOpened != 0 {
		t.Errorf("stats %+v", st)
	}
	if errs := fileErrors(t, src); len(errs) != 2 || errs[1].FileIndex != 1 {
		t.Errorf("errors %v", errs)
	}
}

func TestOpenFilesValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		opt   FileOptions
		want  string
	}{
		{"no files", nil, FileOptions{}, "no input files"},
		{"empty name", []string{"a.pcap", ""}, FileOptions{}, "input file 1: empty name"},
		{"stdin twice", []string{"-", "a.pcap", "-"}, FileOptions{}, "given 2 times"},
		{"negative speed", []string{"a.pcap"}, FileOptions{Speed: -1}, "speed -1"},
		{"NaN speed", []string{"a.pcap"}, FileOptions{Speed: math.NaN()}, "speed NaN"},
		{"infinite speed", []string{"a.pcap"}, FileOptions{Speed: math.Inf(1)}, "speed +Inf"},
		{"bad filter", []string{"a.pcap"}, FileOptions{Filter: "tcp port"}, `filter "tcp port"`},
		{"unknown filter word", []string{"a.pcap"}, FileOptions{Filter: "frobnicate"}, `filter "frobnicate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := OpenFiles(tc.names, tc.opt)
			if err == nil || src != nil {
				t.Fatalf("OpenFiles accepted %v %+v", tc.names, tc.opt)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

// libpcapFiltered reads a file with libpcap's own filter, the reference.
func libpcapFiltered(t *testing.T, path, expr string) ([][]byte, error) {
	t.Helper()
	h, err := pcap.OpenOffline(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.SetBPFFilter(expr); err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		data, _, err := h.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
}

// TestFilterMatchesLibpcap checks offline filtering against libpcap
// filtering the same file itself.
func TestFilterMatchesLibpcap(t *testing.T) {
	files := []string{"http-wikipedia.pcap", "vlan-http.pcap", "frag-ipv6-dns.pcap", "linktype-sll-websocket.pcap",
		"linktype-null-loopback.pcap", "ipv6-tcp-smtp.pcap", "attack-nmap-vsn.pcap", "http-espn.pcapng"}
	filters := []string{"tcp", "udp port 53", "ip6", "vlan", "tcp[tcpflags] & tcp-syn != 0", "not arp", "ether host 00:11:22:33:44:55"}
	for _, file := range files {
		path := publicPcap(t, file)
		all, _, _ := readBytes(t, path, readFile(t, path))
		for _, expr := range filters {
			t.Run(file+"/"+expr, func(t *testing.T) {
				ref, refErr := libpcapFiltered(t, path, expr)
				src, err := OpenFiles([]string{path}, FileOptions{Filter: expr})
				if err != nil {
					t.Fatal(err)
				}
				got := readAll(t, src)
				st := src.Stats()
				errs := fileErrors(t, src)
				if refErr != nil {
					// libpcap cannot compile it for this link type: the
					// file fails, naming the link type.
					if len(got) != 0 || st.FilesFailed != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "cannot be applied to link type") {
						t.Fatalf("libpcap: %v; we: %d packets, %+v, %v", refErr, len(got), st, errs)
					}
					return
				}
				if len(errs) != 0 {
					t.Fatal(errs)
				}
				if len(got) != len(ref) || st.Received+st.Filtered != uint64(len(all)) || st.Received != uint64(len(got)) {
					t.Fatalf("%d packets, libpcap %d; stats %+v, file has %d", len(got), len(ref), st, len(all))
				}
				for i := range got {
					if !bytes.Equal(got[i].data, ref[i]) {
						t.Fatalf("packet %d differs from libpcap's", i)
					}
					// Numbers are those of the unfiltered file.
					if n := got[i].info.Packet; n < 1 || int(n) > len(all) || !bytes.Equal(all[n-1].data, got[i].data) {
						t.Fatalf("packet %d: number %d does not match the file", i, n)
					}
				}
			})
		}
	}
	t.Run("every packet filtered", func(t *testing.T) {
		src, err := OpenFiles([]string{publicPcap(t, "http-get.pcap")}, FileOptions{Filter: "udp"})
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, src); len(got) != 0 {
			t.Fatalf("%d packets", len(got))
		}
		if st := src.Stats(); st.Filtered != 14 || st.Received != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestStdin feeds a capture to a child test process through a pipe on its
// standard input.
func TestStdin(t *testing.T) {
	if os.Getenv("CAPTURE_STDIN_CHILD") == "1" {
		stdinChild(t)
		return
	}
	for _, name := range []string{"http-bro-org.pcap", "http-espn.pcapng"} {
		t.Run(name, func(t *testing.T) {
			path := publicPcap(t, name)
			want, _, _ := readBytes(t, path, readFile(t, path))
			cmd := exec.Command(os.Args[0], "-test.run=^TestStdin$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CAPTURE_STDIN_CHILD=1")
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cmd.Stdout = &out
			cmd.Stderr = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Write in small pieces, as a capture tool would.
			data := readFile(t, path)
			for len(data) > 0 {
				n := min(len(data), 1000)
				if _, err := in.Write(data[:n]); err != nil {
					t.Fatal(err)
				}
				data = data[n:]
			}
			in.Close()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child: %v\n%s", err, out.String())
			}
			var res stdinResult
			line := out.String()
			i := strings.Index(line, "STDIN-RESULT ")
			if i < 0 {
				t.Fatalf("no result from the child:\n%s", line)
			}
			if err := json.NewDecoder(strings.NewReader(line[i+len("STDIN-RESULT "):])).Decode(&res); err != nil {
				t.Fatal(err)
			}
			if res.Packets != len(want) || res.Bytes != totalBytes(want) || res.File != "-" || len(res.Errs) != 0 {
				t.Errorf("child read %+v; want %d packets, %d bytes", res, len(want), totalBytes(want))
			}
		})
	}
}

type stdinResult struct {
	Packets, Bytes int
	File           string
	Errs           []string
}

func totalBytes(ps []packet) int {
	n := 0
	for _, p := range ps {
		n += len(p.data)
	}
	return n
}

func stdinChild(t *testing.T) {
	src, err := OpenFiles([]string{"-"}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, src)
	res := stdinResult{Packets: len(got), Bytes: totalBytes(got)}
	if len(got) > 0 {
		res.File = got[0].info.File
	}
	for _, e := range src.Errs() {
		res.Errs = append(res.Errs, e.Error())
	}
	b, _ := json.Marshal(res)
	os.Stdout.WriteString("STDIN-RESULT " + string(b) + "\n")
}

// TestFilesCloseWhileBlocked closes a source whose reader waits on a pipe.
func TestFilesCloseWhileBlocked(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	data := readFile(t, publicPcap(t, "http-get.pcap"))
	src, err := OpenFiles([]string{"pipe"}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src.open = func(string) (io.ReadCloser, error) { return pr, nil }
	if _, err := pw.Write(data[:300]); err != nil { // the header and a few packets
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		n := 0
		for {
			_, _, err := src.ReadPacket(context.Background())
			if err != nil {
				if err != io.EOF {
					t.Errorf("ReadPacket: %v", err)
				}
				done <- n
				return
			}
			n++
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n == 0 {
			t.Errorf("no packet read before Close")
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ReadPacket returned %v after Close", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPacket still blocked 5s after Close")
	}
	if errs := src.Errs(); len(errs) != 0 {
		t.Errorf("Close reported as errors: %v", errs)
	}
	if st := src.Stats(); st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFilesContextCancel(t *testing.T) {
	src, err := OpenFiles([]string{publicPcap(t, "http-get.pcap")}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, info, err := src.ReadPacket(ctx); err != nil || info.Packet != 1 {
		t.Fatalf("first packet: %v %+v", err, info)
	}
	cancel()
	if _, _, err := src.ReadPacket(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadPacket on a cancelled context: %v", err)
	}
	// Nothing was lost: the next call goes on with packet 2.
	if _, info, err := src.ReadPacket(context.Background()); err != nil || info.Packet != 2 {
		t.Fatalf("after cancel: %v %+v", err, info)
	}
}

// TestStatsWhileReading reads in one goroutine while others poll the
// counters and errors, for the race detector.
func TestStatsWhileReading(t *testing.T) {
	names := []string{publicPcap(t, "attack-synflood-spoofed.pcap"), "/nonexistent.pcap", publicPcap(t, "http-espn.pcapng")}
	src, err := OpenFiles(names, FileOptions{Filter: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var polls int
	go func() {
		defer close(done)
		for {
			st := src.Stats()
			_ = src.Errs()
			polls++
			if st.FilesOpened+st.FilesFailed == 3 && st.Received+st.Filtered == 37841+956 {
				return
			}
		}
	}()
	n := len(readAll(t, src))
	<-done
	st := src.Stats()
	if polls == 0 || uint64(n) != st.Received || st.FilesFailed != 1 || st.Received+st.Filtered != 37841+956 {
		t.Errorf("%d packets, stats %+v", n, st)
	}
}
