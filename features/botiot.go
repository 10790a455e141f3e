package features

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cnids/cnids/flow"
)

// Column indices of the BoT-IoT schema (features.BotIoT()).
const (
	botPkSeqID = iota
	botStime
	botFlgs
	botFlgsNumber
	botProto
	botProtoNumber
	botSaddr
	botSport
	botDaddr
	botDport
	botPkts
	botBytes
	botState
	botStateNumber
	botLtime
	botSeq
	botDur
	botMean
	botStddev
	botSum
	botMin
	botMax
	botSpkts
	botDpkts
	botSbytes
	botDbytes
	botRate
	botSrate
	botDrate
	botTnBPSrcIP
	botTnBPDstIP
	botTnPPSrcIP
	botTnPPDstIP
	botTnPPerProto
	botTnPPerDport
	botARProtoSrcIP
	botARProtoDstIP
	botNInConnDstIP
	botNInConnSrcIP
	botARProtoSport
	botARProtoDport
	botPktsStateProtoDstIP
	botPktsStateProtoSrcIP
	// BotIoTColumns is the number of BoT-IoT feature columns (the public
	// files' 46 columns without attack, category and subcategory).
	BotIoTColumns
)

// BoT-IoT parameters (see BotIoTExtractor and BotIoTSemantics).
const (
	// BotIoTWindow is the number of flows of the aggregate window, the
	// current one included.
	BotIoTWindow = 100
	// DefaultICMPTimeout is the default BotIoTConfig.ICMPTimeout.
	DefaultICMPTimeout = time.Minute
	// DefaultMaxICMPFlows is the default BotIoTConfig.MaxICMPFlows.
	DefaultMaxICMPFlows = 1 << 16
	// botMaxEvents bounds the ICMP error events waiting for their flow.
	botMaxEvents = 1 << 16
	// botEventTTL is how long (packet time) an ICMP error event waits for
	// the flow it quotes: longer than the flow stage's longest idle
	// timeout (5 min), so that the flow's record has arrived by then.
	botEventTTL = int64(10 * time.Minute)
)

// BotIoTConfig configures a BotIoTExtractor. The zero value is valid.
type BotIoTConfig struct {
	// StatusInterval is the status record interval: it must be the flow
	// stage's flow.Config.StatusInterval, which cut the TCP, UDP and
	// other flows, and it cuts the ICMP error flows the extractor
	// assembles. 0 means flow.DefaultStatusInterval (5 s).
	StatusInterval time.Duration
	// ICMPTimeout completes an ICMP flow after this long (packet time)
	// without a packet. 0 means DefaultICMPTimeout (1 min, the flow
	// stage's UDP timeout).
	ICMPTimeout time.Duration
	// MaxICMPFlows caps the ICMP flows held open; beyond it the least
	// recently active is completed early (and counted). 0 means
	// DefaultMaxICMPFlows.
	MaxICMPFlows int
	// Identifiers fills the saddr, sport, daddr and dport symbols (cnids
	// extract writes them). Without it they are left empty: the encoder
	// drops identifier columns, and rows then cost no allocation.
	Identifiers bool
}

func (c BotIoTConfig) withDefaults() (BotIoTConfig, error) {
	switch {
	case c.StatusInterval < 0:
		return c, fmt.Errorf("features: BotIoTConfig.StatusInterval is negative (%v)", c.StatusInterval)
	case c.ICMPTimeout < 0:
		return c, fmt.Errorf("features: BotIoTConfig.ICMPTimeout is negative (%v)", c.ICMPTimeout)
	case c.MaxICMPFlows < 0:
		return c, fmt.Errorf("features: BotIoTConfig.MaxICMPFlows is negative (%d)", c.MaxICMPFlows)
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = flow.DefaultStatusInterval
	}
	if c.ICMPTimeout == 0 {
		c.ICMPTimeout = DefaultICMPTimeout
	}
	if c.MaxICMPFlows == 0 {
		c.MaxICMPFlows = DefaultMaxICMPFlows
	}
	return c, nil
}

// Semantics returns the semantics of the rows an extractor with this
// configuration produces.
func (c BotIoTConfig) Semantics() Semantics {
	s := c.StatusInterval
	if s <= 0 {
		s = flow.DefaultStatusInterval
	}
	return Semantics{Family: "bot-iot", Version: 1, HostWindow: BotIoTWindow, StatusIntervalSeconds: s.Seconds()}
}

// BotIoTSemantics returns the BoT-IoT semantics cnids implements with its
// defaults: version 1, the 100-flow window (the current flow included)
// and 5 s status records.
func BotIoTSemantics() Semantics { return BotIoTConfig{}.Semantics() }

// BotIoTStats counts what a BotIoTExtractor did.
type BotIoTStats struct {
	// Conns is the number of connections entered; Flows the number of
	// flows completed (rows made).
	Conns, Flows uint64
	// ICMPPackets is the number of ICMP packets merged into ICMP flows;
	// ICMPFlows the ICMP flows completed, ICMPEvicted those completed
	// early to respect MaxICMPFlows.
	ICMPPackets, ICMPFlows, ICMPEvicted uint64
	// Events is the number of ICMP errors that quoted a datagram of
	// another protocol than ICMP; Mapped those applied to their flow (Argus' U, R and T
	// flags); EventsDropped those forgotten unapplied (expired, or
	// beyond the cap).
	Events, Mapped, EventsDropped uint64
}

// BotIoTExtractor turns the connections of the flow stage, in the order
// it emits them, into rows of the public BoT-IoT CSV files' 43 feature
// columns (features.BotIoT()), with Argus' definitions, as Koroniotis et
// al. (2019) made them with Argus 3 and racluster. It is used from one
// goroutine. Add a connection, then call Next until it returns nil: a
// TCP, UDP or other connection is a flow at once; an ICMP packet joins an
// ICMP flow that is complete when it has been idle for ICMPTimeout (at
// the first later connection), when MaxICMPFlows forces it out, or at
// Flush. Rows come out in the order flows complete; the aggregate window
// follows that order.
//
// # Flows
//
// Argus writes a status record of every flow each status interval, and
// racluster merges the records of one 5-tuple (its default key: proto,
// saddr, sport, daddr, dport) over the whole input. cnids makes one flow
// of:
//
//   - each TCP, UDP or other-protocol connection of the flow stage (TCP
//     from its first packet to its close or timeout, UDP until idle for a
//     minute). racluster merges every connection of a 5-tuple, even far
//     apart in time; a flow sensor cannot wait for the end of its input,
//     so a reused 5-tuple (nmap's OS probes, a client reusing a port)
//     gives several flows here and one record there.
//   - the ICMP echo packets (and timestamp, information and address-mask
//     requests and replies) of one requester, responder, request type and
//     identifier, Argus' key without the sequence number (which racluster
//     drops), until idle for ICMPTimeout. Argus makes each sequence
//     number its own record, so cnids does too: a record ends when a
//     packet with another sequence number arrives.
//   - the ICMP errors of one sender, receiver, type, code and Argus
//     identifier (the quoted destination port for port unreachable, the
//     quoted protocol for protocol unreachable, the first two bytes of the
//     quoted destination address for network and host unreachable and
//     redirects, else 0), until idle for ICMPTimeout, cut into status
//     records like the other flows. Other ICMP types key on sender,
//     receiver, type and code.
//
// An ICMP error that quotes a datagram of another protocol than ICMP is
// also, as Argus does, an event of the flow it quotes (when that flow's
// connection spans the error's time): the flow's flgs gets 'U'
// (unreachable), 'R' (redirect), 'T' (time exceeded) or 'I' (another
// error), the last event's letter, and its ltime is moved to the error's
// time when that is later (and the duration of its record with it, when
// the flow has one record). Events wait at most 10 minutes
// of packet time, at most 65,536 of them. ARP has no flow: the flow stage
// tracks IP only.
//
// # Columns
//
//	column          definition
//	pkSeqID         the row number, from 1
//	stime, ltime    the first and the last packet time, Unix seconds (ltime also
//	                an ICMP error event's time, see above)
//	flgs            Argus' flag string, outer blanks removed: 'e' for an
//	                Ethernet frame (blank otherwise), then the ICMP event letter
//	                (U, R, T, I for another error, or blank), then the loss
//	                letter: 's' when the source retransmitted TCP payload, 'd'
//	                the destination, '*' both (blank otherwise); "e", "eU",
//	                "e s", "e *" ... (Argus' other letters, for gaps, reordering,
//	                ECN, fragments, IP options and MPLS or VLAN encapsulation,
//	                are not computed)
//	flgs_number     a number per flgs value: 1 + 4*event + loss, plus 20 without
//	                Ethernet, with event 0 none, 1 U, 2 R, 3 T, 4 I and loss 0
//	                none, 1 s, 2 d, 3 * ("e" is 1 as in the public files)
//	proto           Argus' protocol name: tcp, udp, icmp, ipv6-icmp, igmp, gre,
//	                esp, ah, sctp, ... or the protocol number
//	proto_number    tcp 1, arp 2, udp 3, icmp 4 (as in the public files),
//	                ipv6-icmp 5, another protocol 1000 + its number
//	saddr, daddr    the originator (requester for ICMP queries) and responder
//	sport, dport    TCP and UDP ports in decimal; ICMP "ports" as Argus prints
//	                them, in hex: sport is the first packet's type and code read
//	                little-endian (0x0008 echo request, 0x0303 port
//	                unreachable; a query's code counts 0), dport the identifier
//	                above with its bytes swapped (Argus prints the 16-bit value
//	                in host order); ICMPv6: the type and the code in decimal;
//	                empty for other protocols
//	pkts, bytes     packets and frame bytes (the wire length, link-layer header
//	                included, as Argus counts them: checked on the lab captures)
//	state           Argus' state: TCP REQ (S0), ACC (SYN and SYN-ACK, no ACK
//	                yet), CON (established or mid-stream, open; also S0 and SH
//	                when the originator never sent a bare SYN, as nmap's
//	                SYN+FIN probes), FIN (a FIN: SF, S2, S3, SH, SHR), RST (a
//	                RST: REJ, RSTO, RSTR, RSTOS0, RSTRH); UDP and other protocols INT (one direction), CON
//	                (both); ICMP ECO, ECR, TST, TSR, IRQ, IRR, MAS, MSR for
//	                queries (the request's name once a request was seen), URN,
//	                URH, URO, URP, URF, URS, ... by unreachable code, SRC, RED, TXD,
//	                PAR, and for ICMPv6 PTB, NRS, NRA, NNS, NNA, MRQ, MHR
//	state_number    CON 2, REQ 3, INT 4, RST 5, URP 9 (as in the public files);
//	                FIN 1, ECO 6, ACC 7, ECR 8, URH 10, TXD 11, then the other
//	                states in the order of the list in botStates
//	seq             Argus' record sequence number: the flow's creation number
//	                (flow.Conn.ID, the arrival index of its first packet), which
//	                grows in creation order as Argus' does, with gaps
//	dur             ltime - stime, seconds
//	mean, stddev,   over the flow's status records' durations (Argus' aggregation
//	sum, min, max   statistics as racluster makes them): their mean, population
//	                standard deviation (0 for a single record; racluster 3.0.8
//	                prints a stale value there), sum, minimum and maximum
//	spkts, dpkts    packets from the source and from the destination
//	sbytes, dbytes  their frame bytes
//	rate            (pkts - 1) / dur, 0 when dur is 0 or pkts < 2 (Argus: ra -s
//	                rate prints this, checked on the lab captures)
//	srate, drate    (spkts - 1) / dur and (dpkts - 1) / dur, likewise
//
// The other fourteen are aggregates over a window of the last 100 flows in
// row order, the current flow included (Koroniotis et al. define them over
// 100 connections without saying; the public files have
// N_IN_Conn_P_DstIP >= 1 on every row, which counts the row itself, and
// Peterson et al., 2021, who recomputed them, include it). Groups key on
// the values of the current flow:
//
//	TnBPSrcIP, TnBPDstIP          total bytes of the window's flows with this saddr / daddr
//	TnP_PSrcIP, TnP_PDstIP        total packets of those flows
//	TnP_PerProto                  total packets of the flows of this proto
//	TnP_Per_Dport                 total packets of the flows of this proto and dport (a port
//	                              number means a service only within its protocol)
//	AR_P_Proto_P_SrcIP,           the mean over the flows of this proto and saddr (daddr,
//	AR_P_Proto_P_DstIP,           sport, dport) of each flow's pkts / dur, a flow of
//	AR_P_Proto_P_Sport,           duration 0 counting 0 ("average rate, calculated by
//	AR_P_Proto_P_Dport            pkts/dur"; a mean of rates, not total packets over total
//	                              time)
//	N_IN_Conn_P_DstIP             the number of the window's flows to this daddr
//	N_IN_Conn_P_SrcIP             the number of the window's flows from this saddr
//	Pkts_P_State_P_Protocol_P_DestIP  total packets of the flows of this state, proto and daddr
//	Pkts_P_State_P_Protocol_P_SrcIP   total packets of the flows of this state, proto and saddr
//
// Each update is O(1): a ring of the window's flows and per-group
// counters in one open-addressing table (at most 900 groups), which
// never allocates once it has grown to the window's size. Rates are kept
// in fixed point (micro-packets per second, clamped to 10^10 packets per
// second) so that adding and removing a flow leaves the sums exact.
//
// pkSeqID, stime, ltime, seq, saddr, sport, daddr, dport and the *_number
// columns are identifiers: written to files, kept out of the model input.
type BotIoTExtractor struct {
	cfg     BotIoTConfig
	status  int64
	icmpTo  int64
	queue   []botFlow // complete flows, oldest first from qhead
	qhead   int
	icmp    icmpFlows
	events  icmpEvents
	win     botWindow
	row     uint64
	now     int64
	stats   BotIoTStats
	addrBuf []byte
}

// botFlow is a complete flow waiting for its row.
type botFlow struct {
	c            flow.Conn
	ltime        int64
	state        string
	event        byte // 'U', 'R', 'T' or 0
	sport, dport uint16
	ports        bool // sport and dport are meaningful
	hexPorts     bool // ICMP: written in hex
}

// NewBotIoTExtractor returns an extractor with an empty window.
func NewBotIoTExtractor(cfg BotIoTConfig) (*BotIoTExtractor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	x := &BotIoTExtractor{cfg: cfg, status: int64(cfg.StatusInterval), icmpTo: int64(cfg.ICMPTimeout)}
	x.icmp.init(cfg.MaxICMPFlows)
	x.events.init()
	x.win.init()
	return x, nil
}

// Semantics returns the semantics of the extractor's rows.
func (x *BotIoTExtractor) Semantics() Semantics { return x.cfg.Semantics() }

// Stats returns the extractor's counters.
func (x *BotIoTExtractor) Stats() BotIoTStats { return x.stats }

// Reset forgets every held flow, event and the window (for example
// between files processed with --per-file); the row numbers and counters
// go on.
func (x *BotIoTExtractor) Reset() {
	clear(x.queue)
	x.queue, x.qhead = x.queue[:0], 0
	x.icmp.reset()
	x.events.reset()
	x.win.reset()
	x.now = 0
}

// Add enters one connection of the flow stage. Connections must come in
// the flow stage's order (by Finish); c is not retained.
func (x *BotIoTExtractor) Add(c *flow.Conn) {
	x.stats.Conns++
	now := c.Finish
	if now < x.now {
		now = x.now
	}
	x.now = now
	x.expireICMP(now)
	x.events.expire(now, &x.stats)
	if c.Proto == flow.ProtoICMP || c.Proto == flow.ProtoICMPv6 {
		x.stats.ICMPPackets++
		if c.Quote.Valid() && c.Quote.Proto != flow.ProtoICMP && c.Quote.Proto != flow.ProtoICMPv6 {
			x.stats.Events++
			x.events.add(c, now, &x.stats)
		}
		x.addICMP(c)
		return
	}
	f := x.push()
	f.c = *c
	f.c.Content = [2][]byte{}
	f.ltime = c.End
	f.state = argusState(c)
	if c.Proto == flow.ProtoTCP || c.Proto == flow.ProtoUDP {
		f.sport, f.dport, f.ports = c.OrigPort, c.RespPort, true
	}
	if ev, ok := x.events.take(c, &x.stats); ok {
		x.stats.Mapped++
		f.event = ev.kind
		if ev.t > f.ltime {
			// Argus moves the end of the record open at the event: with
			// one record, that is the only one.
			if f.c.Records == 1 {
				d := ev.t - f.c.Start
				f.c.RecordDurSum, f.c.RecordDurMin, f.c.RecordDurMax = d, d, d
				s := float64(d) / 1e9
				f.c.RecordDurSumSq = s * s
			}
			f.ltime = ev.t
		}
	}
}

// Flush completes every ICMP flow held, as at the end of input; read
// their rows with Next.
func (x *BotIoTExtractor) Flush() {
	for x.icmp.lru.head != nilIdx {
		x.completeICMP(x.icmp.lru.head, flow.Shutdown, x.now)
	}
}

// Next fills r, a row of the BoT-IoT schema (NewRow(BotIoT())), with the
// next complete flow and returns that flow's connection record (for an
// ICMP flow, a record cnids assembled from its packets), or nil when no
// flow is complete. The record is valid until the next call of Add,
// Next, Flush or Reset. Numeric columns go to r.Values (r.Symbols[i] =
// ""), flgs, proto, state and the address and port identifiers to
// r.Symbols (r.Values[i] = NaN), as Frame.Row fills rows.
func (x *BotIoTExtractor) Next(r *Row) (*flow.Conn, error) {
	if x.qhead == len(x.queue) {
		return nil, nil
	}
	if len(r.Values) != BotIoTColumns || len(r.Symbols) != BotIoTColumns {
		return nil, fmt.Errorf("features: BoT-IoT row has %d values and %d symbols, want %d each", len(r.Values), len(r.Symbols), BotIoTColumns)
	}
	f := &x.queue[x.qhead]
	x.qhead++ // f stays valid: the queue is rewound at the next push
	x.fill(f, r)
	return &f.c, nil
}

// push appends a zeroed flow to the queue and returns it.
func (x *BotIoTExtractor) push() *botFlow {
	if x.qhead > 0 && x.qhead == len(x.queue) {
		x.queue, x.qhead = x.queue[:0], 0
	}
	if len(x.queue) < cap(x.queue) {
		x.queue = x.queue[:len(x.queue)+1]
	} else {
		x.queue = append(x.queue, botFlow{})
	}
	f := &x.queue[len(x.queue)-1]
	*f = botFlow{}
	return f
}

// fill computes the row of flow f.
func (x *BotIoTExtractor) fill(f *botFlow, r *Row) {
	x.stats.Flows++
	x.row++
	c := &f.c
	v, s := r.Values, r.Symbols
	for i := range s {
		s[i] = ""
	}
	nan := math.NaN()
	dur := float64(f.ltime-c.Start) / 1e9
	if dur < 0 {
		dur = 0
	}
	pkts := c.OrigPkts + c.RespPkts
	bytes := c.OrigFrameBytes + c.RespFrameBytes
	flgs, flgsNum := argusFlags(c, f.event)
	proto, protoNum := argusProto(c.Proto)

	v[botPkSeqID] = float64(x.row)
	v[botStime] = float64(c.Start) / 1e9
	s[botFlgs], v[botFlgs] = flgs, nan
	v[botFlgsNumber] = float64(flgsNum)
	s[botProto], v[botProto] = proto, nan
	v[botProtoNumber] = float64(protoNum)
	v[botSaddr], v[botSport], v[botDaddr], v[botDport] = nan, nan, nan, nan
	if x.cfg.Identifiers {
		s[botSaddr] = x.addrString(c.OrigAddr)
		s[botDaddr] = x.addrString(c.RespAddr)
		if f.ports {
			s[botSport], s[botDport] = portString(f.sport, f.hexPorts), portString(f.dport, f.hexPorts)
		}
	}
	v[botPkts] = float64(pkts)
	v[botBytes] = float64(bytes)
	s[botState], v[botState] = f.state, nan
	v[botStateNumber] = float64(stateNumber(f.state))
	v[botLtime] = float64(f.ltime) / 1e9
	v[botSeq] = float64(c.ID)
	v[botDur] = dur
	n := float64(max(c.Records, 1))
	sum := float64(c.RecordDurSum) / 1e9
	mean := sum / n
	sd := 0.0
	if c.Records > 1 {
		sd = math.Sqrt(max(0, c.RecordDurSumSq/n-mean*mean))
	}
	v[botMean], v[botStddev], v[botSum] = mean, sd, sum
	v[botMin] = float64(c.RecordDurMin) / 1e9
	v[botMax] = float64(c.RecordDurMax) / 1e9
	v[botSpkts], v[botDpkts] = float64(c.OrigPkts), float64(c.RespPkts)
	v[botSbytes], v[botDbytes] = float64(c.OrigFrameBytes), float64(c.RespFrameBytes)
	v[botRate] = argusRate(pkts, dur)
	v[botSrate] = argusRate(c.OrigPkts, dur)
	v[botDrate] = argusRate(c.RespPkts, dur)

	e := winEntry{src: c.OrigAddr.As16(), dst: c.RespAddr.As16(), sport: f.sport, dport: f.dport,
		proto: c.Proto, state: uint8(stateNumber(f.state)), pkts: pkts, bytes: bytes, rate: fixedRate(pkts, dur)}
	var a botAgg
	x.win.add(&e, &a)
	v[botTnBPSrcIP], v[botTnBPDstIP] = float64(a.bytesSrc), float64(a.bytesDst)
	v[botTnPPSrcIP], v[botTnPPDstIP] = float64(a.pktsSrc), float64(a.pktsDst)
	v[botTnPPerProto], v[botTnPPerDport] = float64(a.pktsProto), float64(a.pktsDport)
	v[botARProtoSrcIP], v[botARProtoDstIP] = a.arSrc, a.arDst
	v[botARProtoSport], v[botARProtoDport] = a.arSport, a.arDport
	v[botNInConnDstIP], v[botNInConnSrcIP] = float64(a.nDst), float64(a.nSrc)
	v[botPktsStateProtoDstIP], v[botPktsStateProtoSrcIP] = float64(a.pktsStateDst), float64(a.pktsStateSrc)
}

// argusRate is Argus' rate: (n - 1) packets over dur seconds; 0 without
// two packets or without duration.
func argusRate(n uint64, dur float64) float64 {
	if n < 2 || dur <= 0 {
		return 0
	}
	return float64(n-1) / dur
}

// addrString formats an address, reusing the extractor's buffer.
func (x *BotIoTExtractor) addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	x.addrBuf = a.AppendTo(x.addrBuf[:0])
	return string(x.addrBuf)
}

// portString formats a port: decimal, or Argus' 0x%04x for ICMP.
func portString(p uint16, hex bool) string {
	if !hex {
		return strconv.Itoa(int(p))
	}
	const digits = "0123456789abcdef"
	return string([]byte{'0', 'x', digits[p>>12], digits[p>>8&15], digits[p>>4&15], digits[p&15]})
}

// argusState returns Argus' state of a TCP, UDP or other connection.
func argusState(c *flow.Conn) string {
	if c.Proto != flow.ProtoTCP {
		if c.RespPkts > 0 {
			return "CON"
		}
		return "INT"
	}
	if strings.ContainsAny(c.History, "RrIi") {
		return "RST" // a RST from either side, whatever came before
	}
	switch c.State {
	case flow.S0, flow.SH:
		if !strings.Contains(c.History, "S") {
			// The originator's "SYN" came with other flags (nmap's
			// SYN+FIN+PSH+URG probe): Argus saw no connection request.
			return "CON"
		}
		if c.State == flow.SH {
			return "FIN"
		}
		return "REQ"
	case flow.REJ, flow.RSTO, flow.RSTR, flow.RSTOS0, flow.RSTRH:
		return "RST"
	case flow.SF, flow.S2, flow.S3, flow.SHR:
		return "FIN"
	case flow.S1:
		// SYN and SYN-ACK: accepted until the originator acknowledges
		// or sends data (Zeek's history letters A and D).
		if !strings.ContainsAny(c.History, "AD") {
			return "ACC"
		}
	case flow.OTH:
		switch {
		case strings.ContainsAny(c.History, "Ff"):
			return "FIN"
		case strings.ContainsAny(c.History, "Hh") && !strings.ContainsAny(c.History, "ADad"):
			return "ACC" // SYN-ACKs without their SYN, nothing else (reflection)
		}
	}
	return "CON"
}

// argusFlags returns the flgs string and its number.
func argusFlags(c *flow.Conn, event byte) (string, int) {
	eth, ev, loss := 1, 0, 0
	if !c.Ethernet {
		eth = 0
	}
	switch event {
	case 'U':
		ev = 1
	case 'R':
		ev = 2
	case 'T':
		ev = 3
	case 'I':
		ev = 4
	}
	if c.Proto == flow.ProtoTCP {
		s, d := strings.IndexByte(c.History, 'T') >= 0, strings.IndexByte(c.History, 't') >= 0
		switch {
		case s && d:
			loss = 3
		case s:
			loss = 1
		case d:
			loss = 2
		}
	}
	num := 1 + 4*ev + loss
	if eth == 0 {
		num += 20
	}
	return flagStrings[eth][ev][loss], num
}

// flagStrings[ethernet][event][loss] are the flgs values, trimmed.
var flagStrings = func() (t [2][5][4]string) {
	for e := range 2 {
		for ev := range 5 {
			for l := range 4 {
				b := []byte{' ', " URTI"[ev], " sd*"[l]}
				if e == 1 {
					b[0] = 'e'
				}
				t[e][ev][l] = strings.TrimSpace(string(b))
			}
		}
	}
	return t
}()

// argusProto returns Argus' protocol name and cnids' proto_number.
func argusProto(p uint8) (string, int) {
	switch p {
	case flow.ProtoTCP:
		return "tcp", 1
	case flow.ProtoUDP:
		return "udp", 3
	case flow.ProtoICMP:
		return "icmp", 4
	case flow.ProtoICMPv6:
		return "ipv6-icmp", 5
	}
	return protoNames[p], 1000 + int(p)
}

// protoNames are /etc/protocols names (as Argus prints them) of the
// other IP protocols, or the number.
var protoNames = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	for p, n := range map[uint8]string{0: "hopopt", 2: "igmp", 4: "ipencap", 8: "egp", 9: "igp", 41: "ipv6",
		43: "ipv6-route", 44: "ipv6-frag", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 59: "ipv6-nonxt",
		60: "ipv6-opts", 88: "eigrp", 89: "ospf", 94: "ipip", 103: "pim", 112: "vrrp", 115: "l2tp",
		132: "sctp", 136: "udplite"} {
		t[p] = n
	}
	return t
}()

// botStates lists Argus' states in state_number order (index + 1); the
// first eleven follow the public files where they are known (see
// BotIoTExtractor).
var botStates = []string{"FIN", "CON", "REQ", "INT", "RST", "ECO", "ACC", "ECR", "URP", "URH", "TXD",
	"URN", "URO", "URF", "URS", "URNU", "URHU", "URISO", "URNPRO", "URHPRO", "URNTOS", "URHTOS", "URFIL",
	"URPRE", "URCUT", "SRC", "RED", "PAR", "TST", "TSR", "IRQ", "IRR", "MAS", "MSR", "RTA", "RTS",
	"PTB", "NRS", "NRA", "NNS", "NNA", "MRQ", "MHR", "UNK"}

// stateNumber returns a state's state_number (0 for an unknown name).
func stateNumber(s string) int {
	for i, n := range botStates {
		if n == s {
			return i + 1
		}
	}
	return 0
}
