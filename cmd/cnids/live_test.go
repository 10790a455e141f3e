package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLiveVeth sends a lab capture with tcpreplay into one end of a veth
// pair the test creates, sniffs the other end with libpcap and with
// AF_PACKET, and checks the alerts. It needs root (CAP_NET_ADMIN and
// CAP_NET_RAW), iproute2 and tcpreplay, and skips with a message where
// they are missing.
func TestLiveVeth(t *testing.T) {
	if testing.Short() {
		t.Skip("live capture test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root to create a veth pair and capture on it")
	}
	for _, bin := range []string{"ip", "tcpreplay"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("live capture test needs %s (Debian: iproute2, tcpreplay): %v", bin, err)
		}
	}
	a, b := "cnidst0", "cnidst1"
	exec.Command("ip", "link", "del", a).Run() // a stale pair from an interrupted run
	if out, err := exec.Command("ip", "link", "add", a, "type", "veth", "peer", "name", b).CombinedOutput(); err != nil {
		t.Skipf("cannot create a veth pair here (%v): %s", err, out)
	}
	defer exec.Command("ip", "link", "del", a).Run()
	for _, dev := range []string{a, b} {
		if out, err := exec.Command("ip", "link", "set", dev, "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set %s up: %v: %s", dev, err, out)
		}
	}
	pcap := shared(t, "pcaps", "lab", "probe-nmap-syn.pcap")
	for _, mode := range [][]string{nil, {"--afpacket"}} {
		name := "libpcap"
		if mode != nil {
			name = "afpacket"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut bytes.Buffer
			done := make(chan int)
			args := append([]string{"sniff", "-i", b, "-f", "tcp", "--log-format", "json", "--emit", "all"}, mode...)
			go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errOut) }()
			time.Sleep(time.Second) // let the capture start
			rep := exec.Command("tcpreplay", "-q", "-i", a, "--mbps", "50", pcap)
			if o, err := rep.CombinedOutput(); err != nil {
				cancel()
				<-done
				t.Fatalf("tcpreplay: %v: %s", err, o)
			}
			time.Sleep(2 * time.Second) // idle ticks, then the last packets' flows
			cancel()                    // SIGINT's path: drain and flush
			var status int
			select {
			case status = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("sniff did not stop within 20 s of cancellation")
			}
			if status != 0 {
				t.Fatalf("sniff exit status %d: %s", status, errOut.String())
			}
			evs := parseEvents(t, out.String())
			alerts, probe := 0, 0
			for _, e := range evs {
				if e.EventType == "alert" {
					alerts++
					if e.Alert.Class == "Probe" {
						probe++
					}
				}
			}
			t.Logf("%s: %d connections, %d alerts (%d Probe)", name, len(evs), alerts, probe)
			// The nmap SYN scan has 1024 connections; live capture of a
			// replay may lose a few, and the sensor counts each loss.
			if len(evs) < 1000 || alerts < 900 || probe < alerts*9/10 {
				t.Fatalf("%s: %d connections, %d alerts, %d Probe; stderr:\n%s", name, len(evs), alerts, probe, errOut.String())
			}
			if !strings.Contains(errOut.String(), `"kernel_dropped"`) {
				t.Fatalf("the final stats do not report kernel drops:\n%s", errOut.String())
			}
		})
	}
}
