package features

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of features/testdata")

// botGoldenCaptures are the lab captures whose BoT-IoT rows are kept in
// testdata/botiot-<name>.golden.csv: nmap's OS detection holds TCP probes
// with odd flags (SYN+FIN+PSH+URG, NULL, Xmas), reused ports, ICMP echoes
// with codes other than 0, a UDP probe answered by a port unreachable
// (flgs "eU") and the unreachable's own ICMP flow.
var botGoldenCaptures = []string{"probe-nmap-os"}

// botCaptureCSV runs a lab capture through a one-shard flow table and a
// BoT-IoT extractor with identifiers, as cnids extract does, and returns
// the CSV file (header and rows).
func botCaptureCSV(t *testing.T, name string) []byte {
	t.Helper()
	conns := pcapConns(t, "lab/"+name+".pcap")
	rows := btRows(t, newBotIoT(t, BotIoTConfig{Identifiers: true}), conns)
	out := append(AppendBotIoTHeader(nil, false), '\n')
	var err error
	for i := range rows {
		if out, err = AppendBotIoT(out, &rows[i]); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		out = append(out, '\n')
	}
	return out
}

// TestBotIoTGolden compares the BoT-IoT rows of lab captures with their
// golden files (go test ./features -run BotIoTGolden -update rewrites
// them; review the diff). Every flow of these files was checked against
// Argus (cnids-bench argus, docs/argus.md).
func TestBotIoTGolden(t *testing.T) {
	for _, name := range botGoldenCaptures {
		t.Run(name, func(t *testing.T) {
			got := botCaptureCSV(t, name)
			golden := filepath.Join("testdata", "botiot-"+name+".golden.csv")
			if *updateGolden {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if bytes.Equal(got, want) {
				return
			}
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			if len(gl) != len(wl) {
				t.Errorf("%d lines, golden %d", len(gl), len(wl))
			}
			bad := 0
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					if bad++; bad <= 5 {
						t.Errorf("line %d:\n got  %s\n want %s", i+1, gl[i], wl[i])
					}
				}
			}
			t.Errorf("%d lines differ from %s", bad, golden)
		})
	}
}
