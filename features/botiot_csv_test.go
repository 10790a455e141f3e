package features_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/cnids/cnids/dataset"
	"github.com/cnids/cnids/features"
)

// TestBotIoTCSVRoundTrip writes rows with AppendBotIoTHeader and
// AppendBotIoTLabeled and reads them back with the dataset package's
// BoT-IoT reader: every value (float64 bits), every symbol (hex ICMP
// ports included) and every label come back.
func TestBotIoTCSVRoundTrip(t *testing.T) {
	rows := features.HandComputedBotIoTRows(t)
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	labels := [][2]string{{"Normal", "Normal"}, {"Reconnaissance", "Service_Scan"}, {"DoS", "UDP"},
		{"DDoS", "TCP"}, {"Theft", "Data_Exfiltration"}}
	buf := features.AppendBotIoTHeader(nil, true)
	buf = append(buf, '\n')
	var err error
	for i := range rows {
		buf, err = features.AppendBotIoTLabeled(buf, &rows[i], labels[i][0] != "Normal", labels[i][0], labels[i][1])
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, '\n')
	}
	text := string(buf)
	for _, s := range []string{",icmp,4,10.0.0.3,0x0303,10.0.0.1,0x0f27,", ",icmp,4,10.0.0.1,0x0008,10.0.0.2,0x3412,", ",eU,5,udp,3,"} {
		if !strings.Contains(text, s) {
			t.Errorf("CSV lacks %q:\n%s", s, text)
		}
	}
	if h, _, _ := strings.Cut(text, "\n"); !strings.HasPrefix(h, "pkSeqID,stime,flgs,flgs_number,proto,") ||
		!strings.HasSuffix(h, ",Pkts_P_State_P_Protocol_P_SrcIP,attack,category,subcategory") || strings.Count(h, ",") != 45 {
		t.Errorf("header %q", h)
	}
	for _, mode := range []string{"", "subcategory", "binary"} {
		fr, _, err := dataset.Read(bytes.NewReader(buf), "roundtrip.csv", dataset.Options{Family: "bot-iot", Labels: mode})
		if err != nil {
			t.Fatalf("labels %q: %v\n%s", mode, err, text)
		}
		if fr.Len() != len(rows) {
			t.Fatalf("labels %q: %d rows read, want %d", mode, fr.Len(), len(rows))
		}
		s := features.BotIoT()
		for i := range rows {
			got := features.NewRow(s)
			fr.Row(i, &got)
			for j, c := range s.Columns {
				w := rows[i]
				if got.Symbols[j] != w.Symbols[j] {
					t.Errorf("row %d %s: symbol %q, want %q", i+1, c.Name, got.Symbols[j], w.Symbols[j])
				}
				if gv, wv := got.Values[j], w.Values[j]; math.Float64bits(gv) != math.Float64bits(wv) && !(math.IsNaN(gv) && math.IsNaN(wv)) {
					t.Errorf("row %d %s: value %v, want %v", i+1, c.Name, gv, wv)
				}
			}
			want := map[string]string{"": labels[i][0], "subcategory": labels[i][1], "binary": "attack"}[mode]
			if mode == "binary" && labels[i][0] == "Normal" {
				want = "Normal"
			}
			if got := fr.Classes[fr.Y[i]]; got != want {
				t.Errorf("labels %q row %d: class %q, want %q", mode, i+1, got, want)
			}
		}
	}
}

// TestAppendBotIoTErrors checks that the writer refuses what a reader
// would misread.
func TestAppendBotIoTErrors(t *testing.T) {
	base := features.HandComputedBotIoTRows(t)[4]
	s := features.BotIoT()
	mut := func(f func(r *features.Row)) *features.Row {
		r := features.NewRow(s)
		copy(r.Values, base.Values)
		copy(r.Symbols, base.Symbols)
		f(&r)
		return &r
	}
	for name, r := range map[string]*features.Row{
		"short row":            {Values: base.Values[:10], Symbols: base.Symbols[:10]},
		"NaN dur":              mut(func(r *features.Row) { r.Values[s.Index("dur")] = math.NaN() }),
		"infinite rate":        mut(func(r *features.Row) { r.Values[s.Index("rate")] = math.Inf(1) }),
		"fractional pkts":      mut(func(r *features.Row) { r.Values[s.Index("pkts")] = 1.5 }),
		"huge bytes":           mut(func(r *features.Row) { r.Values[s.Index("bytes")] = 1 << 60 }),
		"comma in state":       mut(func(r *features.Row) { r.Symbols[s.Index("state")] = "A,B" }),
		"quote in proto":       mut(func(r *features.Row) { r.Symbols[s.Index("proto")] = `"tcp"` }),
		"newline in saddr":     mut(func(r *features.Row) { r.Symbols[s.Index("saddr")] = "a\nb" }),
		"blank around flgs":    mut(func(r *features.Row) { r.Symbols[s.Index("flgs")] = " e" }),
		"blank after the port": mut(func(r *features.Row) { r.Symbols[s.Index("sport")] = "80 " }),
	} {
		if _, err := features.AppendBotIoT(nil, r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, l := range [][2]string{{"DoS", "a,b"}, {"Do\"S", "TCP"}, {"DoS ", "TCP"}} {
		if _, err := features.AppendBotIoTLabeled(nil, &base, true, l[0], l[1]); err == nil {
			t.Errorf("labels %q accepted", l)
		}
	}
	// Integers print without decimals, other numbers in their shortest
	// form without exponent.
	r := mut(func(r *features.Row) {
		r.Values[s.Index("pkts")] = 123456789
		r.Values[s.Index("dur")] = 1e-7
		r.Values[s.Index("rate")] = 1e21
	})
	line, err := features.AppendBotIoT(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(string(line), ",")
	if f[s.Index("pkts")] != "123456789" || f[s.Index("dur")] != "0.0000001" || f[s.Index("rate")] != "1000000000000000000000" {
		t.Errorf("pkts %s dur %s rate %s", f[s.Index("pkts")], f[s.Index("dur")], f[s.Index("rate")])
	}
	if _, err := features.AppendBotIoT(nil, &features.Row{}); err == nil {
		t.Error("empty row accepted")
	}
}
