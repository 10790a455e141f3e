package features

import (
	"encoding/binary"
	"math"
)

// The BoT-IoT aggregate window: the last BotIoTWindow flows in row order,
// the current one included, with per-group sums (see BotIoTExtractor).

// winEntry is one flow of the window.
type winEntry struct {
	src, dst     [16]byte
	sport, dport uint16
	proto, state uint8
	pkts, bytes  uint64
	rate         int64 // pkts/dur in micro-packets per second
}

// Group kinds of the window's counters.
const (
	aggSrc           uint8 = iota // saddr
	aggDst                        // daddr
	aggProto                      // proto
	aggProtoDport                 // proto, dport
	aggProtoSport                 // proto, sport
	aggProtoSrc                   // proto, saddr
	aggProtoDst                   // proto, daddr
	aggStateProtoDst              // state, proto, daddr
	aggStateProtoSrc              // state, proto, saddr
	numAgg
)

// aggKey identifies one group.
type aggKey struct {
	addr  [16]byte
	port  uint16
	proto uint8
	state uint8
	kind  uint8
}

// aggVal sums a group's flows.
type aggVal struct {
	n           int32
	pkts, bytes uint64
	rate        int64
}

// botAgg holds the fourteen aggregates of one flow.
type botAgg struct {
	bytesSrc, bytesDst, pktsSrc, pktsDst, pktsProto, pktsDport uint64
	arSrc, arDst, arSport, arDport                             float64
	nSrc, nDst                                                 int32
	pktsStateDst, pktsStateSrc                                 uint64
}

// botWindow is the ring of the window's flows and the group table.
type botWindow struct {
	ring [BotIoTWindow]winEntry
	head int
	n    int
	tab  oaTable[aggKey, aggVal]
}

func (w *botWindow) init() {
	w.tab = newOATable[aggKey, aggVal](4*int(numAgg)*BotIoTWindow, hashAggKey)
}

func (w *botWindow) reset() {
	w.tab.reset()
	w.head, w.n = 0, 0
}

// hashAggKey mixes a group key (a fixed mix: the table's layout, not its
// results, depends on it).
func hashAggKey(k aggKey) uint64 {
	lo := binary.LittleEndian.Uint64(k.addr[:8])
	hi := binary.LittleEndian.Uint64(k.addr[8:])
	rest := uint64(k.port) | uint64(k.proto)<<16 | uint64(k.state)<<24 | uint64(k.kind)<<32
	return fmix64(fmix64(lo^0x9e3779b97f4a7c15) ^ hi ^ fmix64(rest^0x6a09e667f3bcc909))
}

// keys returns the groups of entry e, in kind order.
func (e *winEntry) keys(out *[numAgg]aggKey) {
	out[aggSrc] = aggKey{addr: e.src, kind: aggSrc}
	out[aggDst] = aggKey{addr: e.dst, kind: aggDst}
	out[aggProto] = aggKey{proto: e.proto, kind: aggProto}
	out[aggProtoDport] = aggKey{proto: e.proto, port: e.dport, kind: aggProtoDport}
	out[aggProtoSport] = aggKey{proto: e.proto, port: e.sport, kind: aggProtoSport}
	out[aggProtoSrc] = aggKey{addr: e.src, proto: e.proto, kind: aggProtoSrc}
	out[aggProtoDst] = aggKey{addr: e.dst, proto: e.proto, kind: aggProtoDst}
	out[aggStateProtoDst] = aggKey{addr: e.dst, proto: e.proto, state: e.state, kind: aggStateProtoDst}
	out[aggStateProtoSrc] = aggKey{addr: e.src, proto: e.proto, state: e.state, kind: aggStateProtoSrc}
}

// update adds (d = 1) or removes (d = -1) entry e from its groups.
func (w *botWindow) update(e *winEntry, d int32) {
	var ks [numAgg]aggKey
	e.keys(&ks)
	for _, k := range ks {
		var v *aggVal
		if d > 0 {
			i, _ := w.tab.slot(k)
			v = &w.tab.vals[i]
		} else {
			i := w.tab.find(k)
			if i < 0 {
				continue // cannot happen: every entry was added
			}
			v = &w.tab.vals[i]
			if v.n == 1 {
				w.tab.remove(i)
				continue
			}
		}
		v.n += d
		if d > 0 {
			v.pkts += e.pkts
			v.bytes += e.bytes
			v.rate += e.rate
		} else {
			v.pkts -= e.pkts
			v.bytes -= e.bytes
			v.rate -= e.rate
		}
	}
}

// add enters the current flow (dropping the oldest when the window is
// full) and computes its aggregates.
func (w *botWindow) add(e *winEntry, a *botAgg) {
	if w.n == BotIoTWindow {
		w.update(&w.ring[w.head], -1)
		w.head = (w.head + 1) % BotIoTWindow
		w.n--
	}
	w.ring[(w.head+w.n)%BotIoTWindow] = *e
	w.n++
	w.update(e, 1)

	var ks [numAgg]aggKey
	e.keys(&ks)
	get := func(kind uint8) aggVal {
		if i := w.tab.find(ks[kind]); i >= 0 {
			return w.tab.vals[i]
		}
		return aggVal{}
	}
	mean := func(v aggVal) float64 {
		if v.n == 0 {
			return 0
		}
		return float64(v.rate) / float64(v.n) / 1e6
	}
	src, dst := get(aggSrc), get(aggDst)
	a.bytesSrc, a.bytesDst = src.bytes, dst.bytes
	a.pktsSrc, a.pktsDst = src.pkts, dst.pkts
	a.nSrc, a.nDst = src.n, dst.n
	a.pktsProto = get(aggProto).pkts
	dport := get(aggProtoDport)
	a.pktsDport = dport.pkts
	a.arDport = mean(dport)
	a.arSport = mean(get(aggProtoSport))
	a.arSrc = mean(get(aggProtoSrc))
	a.arDst = mean(get(aggProtoDst))
	a.pktsStateDst = get(aggStateProtoDst).pkts
	a.pktsStateSrc = get(aggStateProtoSrc).pkts
}

// maxRate clamps a flow's rate (packets per second) in the window's fixed
// point: 100 flows at 10^10 packets per second stay within int64.
const maxRate = 1e10

// fixedRate returns pkts/dur in micro-packets per second (0 when dur is 0).
func fixedRate(pkts uint64, dur float64) int64 {
	if dur <= 0 {
		return 0
	}
	r := float64(pkts) / dur
	if r > maxRate {
		r = maxRate
	}
	return int64(math.Round(r * 1e6))
}
