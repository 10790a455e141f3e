package features

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"

	"github.com/cnids/cnids/flow"
)

// Column indices of the NSL-KDD schema (features.NSLKDD()).
const (
	kddDuration = iota
	kddProtocolType
	kddService
	kddFlag
	kddSrcBytes
	kddDstBytes
	kddLand
	kddWrongFragment
	kddUrgent
	kddHot
	kddNumFailedLogins
	kddLoggedIn
	kddNumCompromised
	kddRootShell
	kddSuAttempted
	kddNumRoot
	kddNumFileCreations
	kddNumShells
	kddNumAccessFiles
	kddNumOutboundCmds
	kddIsHostLogin
	kddIsGuestLogin
	kddCount
	kddSrvCount
	kddSerrorRate
	kddSrvSerrorRate
	kddRerrorRate
	kddSrvRerrorRate
	kddSameSrvRate
	kddDiffSrvRate
	kddSrvDiffHostRate
	kddDstHostCount
	kddDstHostSrvCount
	kddDstHostSameSrvRate
	kddDstHostDiffSrvRate
	kddDstHostSameSrcPortRate
	kddDstHostSrvDiffHostRate
	kddDstHostSerrorRate
	kddDstHostSrvSerrorRate
	kddDstHostRerrorRate
	kddDstHostSrvRerrorRate
	// KDDColumns is the number of NSL-KDD features.
	KDDColumns
)

// ErrNotKDD reports a connection of a protocol that NSL-KDD has no rows
// for (neither TCP, UDP, ICMP nor ICMPv6).
var ErrNotKDD = errors.New("features: connection is not TCP, UDP or ICMP: no NSL-KDD row")

// KDDFlag returns the NSL-KDD flag value of a connection state: the
// state's name, except that RSTRH and SHR, which the dataset lacks, are
// OTH.
func KDDFlag(s flow.State) string {
	switch s {
	case flow.RSTRH, flow.SHR:
		return "OTH"
	}
	if s > flow.SHR {
		return "OTH"
	}
	return s.String()
}

// KDDProtocol returns the protocol_type of an IP protocol number ("tcp",
// "udp" or "icmp"; ICMPv6 is "icmp"), or false.
func KDDProtocol(proto uint8) (string, bool) {
	switch proto {
	case flow.ProtoTCP:
		return "tcp", true
	case flow.ProtoUDP:
		return "udp", true
	case flow.ProtoICMP, flow.ProtoICMPv6:
		return "icmp", true
	}
	return "", false
}

// errorFlags applies the SYN-error and reject sets to a model flag.
func errorFlags(s flow.State) uint8 {
	switch s {
	case flow.S0, flow.S1, flow.S2, flow.S3, flow.SH:
		return flagSerror
	case flow.REJ, flow.RSTO, flow.RSTR, flow.RSTOS0:
		return flagRerror
	}
	return 0
}

// KDDConfig configures a KDDExtractor. The zero value is valid.
type KDDConfig struct {
	// MaxWindowEntries bounds the entries the time window stores (two per
	// connection in the window, at most 511 per host and per service).
	// 0 means DefaultMaxWindowEntries; otherwise it must be at least
	// 4*KDDCountCap.
	MaxWindowEntries int
	// HostLoginUsers lists the accounts whose login sets is_host_login.
	HostLoginUsers []string
}

// KDDStats counts what a KDDExtractor did.
type KDDStats struct {
	// Conns is the number of connections turned into rows.
	Conns uint64
	// NotKDD is the number of connections refused with ErrNotKDD.
	NotKDD uint64
	// OutOfOrder is the number of connections whose End was earlier than
	// a previous connection's; the windows placed them at that later End
	// (the window clock never goes back). The flow stage emits
	// connections in order of Finish, so every connection that ended by
	// timeout (UDP flows, unanswered SYNs, idle TCP) arrives behind
	// connections that closed meanwhile and is counted here.
	OutOfOrder uint64
	// WindowEvicted is the number of time-window entries dropped before
	// they aged out, to keep within MaxWindowEntries.
	WindowEvicted uint64
}

// KDDExtractor turns connections, in the order the flow stage emits them
// (by End), into NSL-KDD rows. It holds the window state; it is used from
// one goroutine. The package documentation defines every feature.
type KDDExtractor struct {
	win     *windows
	content *ContentScanner
	stats   KDDStats
	lastEnd int64
	started bool
	wf      windowFeatures
}

// NewKDDExtractor returns an extractor with empty windows.
func NewKDDExtractor(cfg KDDConfig) (*KDDExtractor, error) {
	max := cfg.MaxWindowEntries
	switch {
	case max == 0:
		max = DefaultMaxWindowEntries
	case max < 4*KDDCountCap:
		return nil, fmt.Errorf("features: KDDConfig.MaxWindowEntries %d is below the minimum %d", max, 4*KDDCountCap)
	}
	for i, u := range cfg.HostLoginUsers {
		if u == "" {
			return nil, fmt.Errorf("features: KDDConfig.HostLoginUsers[%d] is empty", i)
		}
	}
	return &KDDExtractor{
		win:     newWindows(max, maphash.MakeSeed()),
		content: NewContentScanner(cfg.HostLoginUsers),
	}, nil
}

// Stats returns the extractor's counters.
func (x *KDDExtractor) Stats() KDDStats {
	s := x.stats
	s.WindowEvicted = x.win.evicted
	return s
}

// Reset empties the windows (for example between files processed with
// --per-file); the counters are kept.
func (x *KDDExtractor) Reset() {
	x.win.reset()
	x.started, x.lastEnd = false, 0
}

// Extract fills r, a row of the NSL-KDD schema (NewRow(NSLKDD())), with
// the 41 features of c and enters c into the windows. Numeric columns go
// to r.Values (r.Symbols[i] = ""), protocol_type, service and flag to
// r.Symbols (r.Values[i] = NaN), as Frame.Row fills rows. It returns
// ErrNotKDD, leaving r and the windows untouched, for other protocols.
func (x *KDDExtractor) Extract(c *flow.Conn, r *Row) error {
	if len(r.Values) != KDDColumns || len(r.Symbols) != KDDColumns {
		return fmt.Errorf("features: KDD row has %d values and %d symbols, want %d each", len(r.Values), len(r.Symbols), KDDColumns)
	}
	proto, ok := KDDProtocol(c.Proto)
	if !ok {
		x.stats.NotKDD++
		return ErrNotKDD
	}
	end := c.End
	if x.started && end < x.lastEnd {
		x.stats.OutOfOrder++
		end = x.lastEnd
	}
	x.started, x.lastEnd = true, end
	x.stats.Conns++

	svc := ServiceIDOf(c)
	flag := KDDFlag(c.State)
	st := c.State
	if flag == "OTH" {
		st = flow.OTH
	}
	x.win.add(c.RespAddr, serviceKey(c, svc), c.OrigPort, end, errorFlags(st), &x.wf)
	cf := x.content.Scan(svc, c)

	v, s := r.Values, r.Symbols
	for i := range s {
		s[i] = ""
	}
	dur := c.End - c.Start
	if dur < 0 {
		dur = 0
	}
	v[kddDuration] = float64(dur / 1e9)
	s[kddProtocolType], v[kddProtocolType] = proto, math.NaN()
	s[kddService], v[kddService] = svc.String(), math.NaN()
	s[kddFlag], v[kddFlag] = flag, math.NaN()
	v[kddSrcBytes] = float64(c.OrigBytes)
	v[kddDstBytes] = float64(c.RespBytes)
	v[kddLand] = b2f(c.Land)
	v[kddWrongFragment] = float64(c.WrongFragment)
	v[kddUrgent] = float64(c.Urgent)
	v[kddHot] = float64(cf.Hot)
	v[kddNumFailedLogins] = float64(cf.FailedLogins)
	v[kddLoggedIn] = b2f(cf.LoggedIn)
	v[kddNumCompromised] = float64(cf.Compromised)
	v[kddRootShell] = b2f(cf.RootShell)
	v[kddSuAttempted] = float64(cf.SuAttempted)
	v[kddNumRoot] = float64(cf.NumRoot)
	v[kddNumFileCreations] = float64(cf.FileCreations)
	v[kddNumShells] = float64(cf.Shells)
	v[kddNumAccessFiles] = float64(cf.AccessFiles)
	v[kddNumOutboundCmds] = 0
	v[kddIsHostLogin] = b2f(cf.HostLogin)
	v[kddIsGuestLogin] = b2f(cf.GuestLogin)
	w := &x.wf
	v[kddCount] = float64(w.Count)
	v[kddSrvCount] = float64(w.SrvCount)
	v[kddSerrorRate] = w.SerrorRate
	v[kddSrvSerrorRate] = w.SrvSerrorRate
	v[kddRerrorRate] = w.RerrorRate
	v[kddSrvRerrorRate] = w.SrvRerrorRate
	v[kddSameSrvRate] = w.SameSrvRate
	v[kddDiffSrvRate] = w.DiffSrvRate
	v[kddSrvDiffHostRate] = w.SrvDiffHostRate
	v[kddDstHostCount] = float64(w.DstHostCount)
	v[kddDstHostSrvCount] = float64(w.DstHostSrvCount)
	v[kddDstHostSameSrvRate] = w.DstHostSameSrvRate
	v[kddDstHostDiffSrvRate] = w.DstHostDiffSrvRate
	v[kddDstHostSameSrcPortRate] = w.DstHostSameSrcPortRate
	v[kddDstHostSrvDiffHostRate] = w.DstHostSrvDiffHostRate
	v[kddDstHostSerrorRate] = w.DstHostSerrorRate
	v[kddDstHostSrvSerrorRate] = w.DstHostSrvSerrorRate
	v[kddDstHostRerrorRate] = w.DstHostRerrorRate
	v[kddDstHostSrvRerrorRate] = w.DstHostSrvRerrorRate
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// isRateColumn reports whether NSL-KDD column i is a rate (written with
// two decimals).
func isRateColumn(i int) bool {
	return (i >= kddSerrorRate && i <= kddSrvDiffHostRate) || i >= kddDstHostSameSrvRate
}

// AppendKDD appends r as an NSL-KDD text line of 41 comma-separated
// features, without a line terminator, formatted as the dataset is:
// integers without decimals, rates with two. It fails on a row of the
// wrong size, a symbol that is empty or holds a comma or line break, or a
// value that is not finite (or not an integer in an integer column).
func AppendKDD(dst []byte, r *Row) ([]byte, error) {
	if len(r.Values) != KDDColumns || len(r.Symbols) != KDDColumns {
		return dst, fmt.Errorf("features: KDD row has %d values and %d symbols, want %d each", len(r.Values), len(r.Symbols), KDDColumns)
	}
	for i := 0; i < KDDColumns; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch i {
		case kddProtocolType, kddService, kddFlag:
			sym := r.Symbols[i]
			if err := checkField(sym); err != nil {
				return dst, fmt.Errorf("features: KDD column %d (%s): %w", i+1, kddColumnName(i), err)
			}
			dst = append(dst, sym...)
			continue
		}
		x := r.Values[i]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("features: KDD column %d (%s) is %v", i+1, kddColumnName(i), x)
		}
		if isRateColumn(i) {
			dst = strconv.AppendFloat(dst, x, 'f', 2, 64)
			continue
		}
		if x != math.Trunc(x) || math.Abs(x) >= 1<<53 {
			return dst, fmt.Errorf("features: KDD column %d (%s) is %v, not an integer", i+1, kddColumnName(i), x)
		}
		dst = strconv.AppendInt(dst, int64(x), 10)
	}
	return dst, nil
}

// AppendKDDLabeled appends r as a 43-column NSL-KDD line: the 41
// features, the label (an attack name or "normal") and the difficulty
// (0-21), as in KDDTrain+.txt.
func AppendKDDLabeled(dst []byte, r *Row, label string, difficulty int) ([]byte, error) {
	if err := checkField(label); err != nil {
		return dst, fmt.Errorf("features: KDD label: %w", err)
	}
	if difficulty < 0 || difficulty > 21 {
		return dst, fmt.Errorf("features: KDD difficulty %d outside 0..21", difficulty)
	}
	dst, err := AppendKDD(dst, r)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ',')
	dst = append(dst, label...)
	dst = append(dst, ',')
	return strconv.AppendInt(dst, int64(difficulty), 10), nil
}

func checkField(s string) error {
	if s == "" {
		return errors.New("empty value")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '\n' || c == '\r' {
			return fmt.Errorf("value %q holds %q", s, c)
		}
	}
	return nil
}

func kddColumnName(i int) string {
	s := NSLKDD()
	if i >= 0 && i < len(s.Columns) {
		return s.Columns[i].Name
	}
	return "?"
}
