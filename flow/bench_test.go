package flow

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// benchFrames reads a lab capture once.
func benchFrames(b *testing.B, name string) []frame {
	b.Helper()
	fr, err := readFrames(pcapPath(b, name))
	if err != nil {
		b.Fatal(err)
	}
	return fr
}

// BenchmarkDecode measures decoding alone (one op = one frame) on the SYN
// flood capture and on the mixed normal capture.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"lab/dos-synflood.pcap", "lab/normal.pcap"} {
		b.Run(name, func(b *testing.B) {
			frames := benchFrames(b, name)
			d, err := NewDecoder(DecoderConfig{})
			if err != nil {
				b.Fatal(err)
			}
			var p Packet
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				f := &frames[i%len(frames)]
				d.Decode(f.data, f.lt, f.ts, name, f.num, &p)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pkts/s")
		})
	}
}

// BenchmarkTable measures decoding and the flow table (one op = one
// frame): the SYN flood capture (20000 connections of 3 packets) replayed
// in memory, each round shifted in time past the previous one, with
// records consumed by another goroutine.
func BenchmarkTable(b *testing.B) {
	frames := benchFrames(b, "lab/dos-synflood.pcap")
	span := frames[len(frames)-1].ts - frames[0].ts + int64(time.Second)
	for _, shards := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("shards="+itoa(shards), func(b *testing.B) {
			tab, err := NewTable(context.Background(), Config{Shards: shards})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan int)
			go func() {
				n := 0
				for batch := range tab.Out() {
					n += len(batch)
					tab.Recycle(batch)
				}
				done <- n
			}()
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				round := int64(i / len(frames))
				f := &frames[i%len(frames)]
				if err := tab.Packet(f.data, f.lt, f.ts+round*span, "bench", f.num); err != nil {
					b.Fatal(err)
				}
			}
			if err := tab.Close(); err != nil {
				b.Fatal(err)
			}
			conns := <-done
			el := time.Since(start).Seconds()
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(b.N)/el, "pkts/s")
			b.ReportMetric(float64(conns)/el, "conns/s")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "mallocs/pkt")
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
