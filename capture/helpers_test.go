package capture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cnids/cnids/internal/sharedtest"

	"github.com/gopacket/gopacket/layers"
)

// sharedDir returns ../shared beside the repository root.
func sharedDir(t testing.TB) string { return sharedtest.Path(t) }

func publicPcap(t testing.TB, name string) string {
	return filepath.Join(sharedDir(t), "pcaps", "public", name)
}

func labPcap(t testing.TB, name string) string {
	return filepath.Join(sharedDir(t), "pcaps", "lab", name)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusEntry is one row of the public corpus README.
type corpusEntry struct {
	file     string
	packets  int    // -1: Wireshark refuses the file
	linkType string // Wireshark's short name, e.g. "ether"
}

// readCorpusIndex parses the tables of pcaps/public/README.md.
func readCorpusIndex(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open(publicPcap(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cols := strings.Split(line, "|")
		// "| file | source repo | path | member | commit | sha256 | packets | link type | format | tags | contents |"
		if len(cols) != 13 {
			continue
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		name := cols[1]
		if !strings.HasSuffix(name, ".pcap") && !strings.HasSuffix(name, ".pcapng") {
			continue
		}
		if seen[name] {
			continue // the README repeats one table heading; rows are unique
		}
		seen[name] = true
		e := corpusEntry{file: name, packets: -1, linkType: cols[8]}
		if cols[7] != "capinfos error" {
			n, err := strconv.Atoi(cols[7])
			if err != nil {
				t.Fatalf("README row %q: packets %q: %v", name, cols[7], err)
			}
			e.packets = n
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wiresharkLinkTypes maps capinfos' short encapsulation names to link types.
var wiresharkLinkTypes = map[string]layers.LinkType{
	"ether":      layers.LinkTypeEthernet,
	"null":       layers.LinkTypeNull,
	"linux-sll":  layers.LinkTypeLinuxSLL,
	"linux-sll2": layers.LinkTypeLinuxSLL2,
	"rawip":      layers.LinkTypeRaw,
	"rawip4":     layers.LinkTypeIPv4,
	"rawip6":     layers.LinkTypeIPv6,
	"nflog":      layers.LinkType(239),
	"ppp":        layers.LinkTypePPP,
}

// packet is a copied packet with what the source said about it.
type packet struct {
	data []byte
	info Info
	lt   layers.LinkType
}

// readAll reads a source to io.EOF, copying every packet.
func readAll(t testing.TB, src Source) []packet {
	t.Helper()
	var out []packet
	ctx := context.Background()
	for {
		data, info, err := src.ReadPacket(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadPacket: %v", err)
		}
		out = append(out, packet{data: bytes.Clone(data), info: info, lt: src.LinkType()})
	}
	// io.EOF is sticky.
	if _, _, err := src.ReadPacket(ctx); err != io.EOF {
		t.Fatalf("ReadPacket after EOF: %v, want io.EOF", err)
	}
	return out
}

// openBytes returns a Files source reading the given contents, each under
// its name, through the regular OpenFiles path.
func openBytes(t testing.TB, opt FileOptions, files ...namedBytes) *Files {
	t.Helper()
	names := make([]string, len(files))
	byName := map[string][]byte{}
	for i, f := range files {
		names[i] = f.name
		byName[f.name] = f.data
	}
	src, err := OpenFiles(names, opt)
	if err != nil {
		t.Fatal(err)
	}
	src.open = func(name string) (io.ReadCloser, error) {
		b, ok := byName[name]
		if !ok {
			return nil, os.ErrNotExist
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return src
}

type namedBytes struct {
	name string
	data []byte
}

// fileErrors returns the errors of a Files source as *FileError.
func fileErrors(t testing.TB, f *Files) []*FileError {
	t.Helper()
	var out []*FileError
	for _, err := range f.Errs() {
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a *FileError", err, err)
		}
		out = append(out, fe)
	}
	return out
}
