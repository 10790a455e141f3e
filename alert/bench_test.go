package alert

import (
	"context"
	"io"
	"net/netip"
	"testing"
)

// kddFeatureNames stands in for the 41 NSL-KDD feature names (the encoder
// does not care what they are).
func kddFeatureNames() []string {
	names := make([]string, 41)
	for i := range names {
		names[i] = "feature_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return names
}

func kddFeatures() []FeatureValue {
	v := make([]FeatureValue, 41)
	for i := range v {
		v[i] = Num(float64(i) * 0.37)
	}
	v[1], v[2], v[3] = Text("tcp"), Text("http"), Text("SF")
	return v
}

// BenchmarkEncoder measures one alert line (the golden alert, five
// classes); the features variant adds the 41 features.
func BenchmarkEncoder(b *testing.B) {
	for _, withFeatures := range []bool{false, true} {
		name := "alert"
		opts := EncoderOptions{}
		ev := goldenAlert(b)
		ev.Alert.Probabilities = []ClassProb{{"normal", 0.01}, {"DoS", 0.95}, {"Probe", 0.02}, {"R2L", 0.01}, {"U2R", 0.01}}
		ev.KDD.Features = nil
		if withFeatures {
			name = "alert+features"
			opts.FeatureNames = kddFeatureNames()
			ev.KDD.Features = kddFeatures()
		}
		b.Run(name, func(b *testing.B) {
			enc, err := NewEncoder(opts)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				buf, err = enc.AppendLine(buf[:0], &ev)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// BenchmarkWriterSink measures the stdout sink (to io.Discard) with batches
// of 256 events; ns/event is the time per event.
func BenchmarkWriterSink(b *testing.B) {
	s, err := NewWriterSink(io.Discard, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	evs := connAlerts(b, 256)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := s.Write(ctx, evs); err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { _ = s.Write(ctx, evs) }))/float64(len(evs)), "allocs/event")
}

// BenchmarkCommunityID measures AppendCommunityID over IPv4 and IPv6.
func BenchmarkCommunityID(b *testing.B) {
	v4a, v4b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendCommunityID(buf[:0], 0, v4a, v4b, 6, 1234, 80)
		buf, _ = AppendCommunityID(buf[:0], 0, v6a, v6b, 17, 53, 5353)
	}
}
