package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// LabelRange labels the connections of one phase of a labelled capture:
// those within its time range that involve one of its attacker addresses.
type LabelRange struct {
	// Phase names the phase (e.g. "dos-synflood"); Line is its line in
	// the labels file.
	Phase string
	Line  int
	// Pcap is the phase's capture file, relative to the labels file's
	// directory ("" when the file has no pcap column).
	Pcap string
	// Start and End bound the phase in Unix nanoseconds.
	Start, End int64
	// Attackers are the addresses that act in the phase (the attack's
	// sources, or the client of a normal phase); Victim is its target.
	Attackers []netip.Addr
	Victim    netip.Addr
	// KDD is the phase's NSL-KDD category (normal, DoS, Probe, R2L, U2R).
	KDD string
	// BotCategory and BotSubcategory are its BoT-IoT labels ("" when the
	// phase has no BoT-IoT counterpart).
	BotCategory, BotSubcategory string
}

// Labels is a labels file: phases with time ranges and addresses, such as
// ../shared/pcaps/lab/labels.csv, for labelling connections extracted
// from captures.
type Labels struct {
	// Ranges are the phases in file order.
	Ranges []LabelRange
	// Slack widens every range on both sides, to cover the connections
	// whose packets straddle a phase boundary (default 2 s).
	Slack int64
}

// ReadLabels reads a labels file: CSV with a header naming at least the
// columns phase, start_epoch, end_epoch (Unix seconds, fractions
// allowed), attacker_ips (space-separated addresses), victim_ip and
// nsl_kdd_category; botiot_category and botiot_subcategory are read when
// present. A category is taken from its first word ("R2L (closest; ...)"
// is R2L); "-" or a parenthesised note means the phase has no such label.
func ReadLabels(path string) (*Labels, error) {
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ParseLabels(rc, path)
}

// ParseLabels reads a labels file from r; name is used in messages.
func ParseLabels(r io.Reader, name string) (*Labels, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("dataset: labels %s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"phase", "start_epoch", "end_epoch", "attacker_ips", "victim_ip", "nsl_kdd_category"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("dataset: labels %s:1: %w: no %q column", name, ErrHeader, need)
		}
	}
	ls := &Labels{Slack: 2e9}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: labels %s: %w", name, err)
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(k string, err error) error {
			return &ParseError{File: name, Line: line, Column: col[k] + 1, Name: k, Value: get(k), Err: err}
		}
		lr := LabelRange{Phase: get("phase"), Line: line, Pcap: get("pcap")}
		for _, k := range []string{"start_epoch", "end_epoch"} {
			v, err := strconv.ParseFloat(get(k), 64)
			if err != nil {
				return nil, bad(k, ErrNotNumber)
			}
			ns := int64(v * 1e9)
			if k == "start_epoch" {
				lr.Start = ns
			} else {
				lr.End = ns
			}
		}
		if lr.End < lr.Start {
			return nil, bad("end_epoch", fmt.Errorf("%w: ends before it starts", ErrBadValue))
		}
		for _, f := range strings.Fields(get("attacker_ips")) {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, bad("attacker_ips", fmt.Errorf("%w: %q is not an address", ErrBadValue, f))
			}
			lr.Attackers = append(lr.Attackers, a.Unmap())
		}
		if len(lr.Attackers) == 0 {
			return nil, bad("attacker_ips", fmt.Errorf("%w: no address", ErrBadValue))
		}
		if v := get("victim_ip"); v != "" {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return nil, bad("victim_ip", fmt.Errorf("%w: not an address", ErrBadValue))
			}
			lr.Victim = a.Unmap()
		}
		lr.KDD = firstWord(get("nsl_kdd_category"))
		if c, ok := KDDCategory(lr.KDD); ok {
			lr.KDD = c
		} else if lr.KDD != "" {
			if _, ok := canonicalCategory(lr.KDD); !ok {
				return nil, bad("nsl_kdd_category", fmt.Errorf("%w: not an NSL-KDD category", ErrUnknownLabel))
			}
			lr.KDD, _ = canonicalCategory(lr.KDD)
		}
		lr.BotCategory = firstWord(get("botiot_category"))
		lr.BotSubcategory = firstWord(get("botiot_subcategory"))
		ls.Ranges = append(ls.Ranges, lr)
	}
	if len(ls.Ranges) == 0 {
		return nil, fmt.Errorf("dataset: labels %s: no phases", name)
	}
	return ls, nil
}

// firstWord returns a label's first word, or "" for "-" and for a
// parenthesised note.
func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 || f[0] == "-" || strings.HasPrefix(f[0], "(") {
		return ""
	}
	return f[0]
}

// canonicalCategory returns the NSL-KDD category spelled as the category
// label mode spells it.
func canonicalCategory(s string) (string, bool) {
	for _, c := range kddCategories() {
		if strings.EqualFold(c, s) {
			return c, true
		}
	}
	return "", false
}

// Match returns the phase that labels a connection between a and b
// active from start to end (Unix nanoseconds), or nil. A phase matches
// when the connection overlaps its time range (widened by Slack) and one
// endpoint is one of its attackers; among several, a phase whose victim
// is the other endpoint wins, then the earliest in the file.
func (ls *Labels) Match(a, b netip.Addr, start, end int64) *LabelRange {
	a, b = a.Unmap(), b.Unmap()
	var best *LabelRange
	bestVictim := false
	for i := range ls.Ranges {
		r := &ls.Ranges[i]
		if end < r.Start-ls.Slack || start > r.End+ls.Slack {
			continue
		}
		other, ok := netip.Addr{}, false
		for _, at := range r.Attackers {
			if at == a {
				other, ok = b, true
				break
			}
			if at == b {
				other, ok = a, true
				break
			}
		}
		if !ok {
			continue
		}
		victim := r.Victim.IsValid() && other == r.Victim
		if best == nil || (victim && !bestVictim) {
			best, bestVictim = r, victim
		}
	}
	return best
}
