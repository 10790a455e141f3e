package alert

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// TimeFormat is the layout of every timestamp the package writes: RFC 3339
// with nanoseconds, always in UTC (so the zone is written "Z").
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// EventType is an event's kind, written as event_type.
type EventType uint8

// Event types. The zero value is not a valid type: the encoder rejects it.
const (
	// TypeAlert is a connection the model classified as an attack.
	TypeAlert EventType = iota + 1
	// TypeFlow is a finished connection record without an alert.
	TypeFlow
	// TypeSummary is a roll-up written by a Summarizer.
	TypeSummary
)

// String returns the event_type value ("alert", "flow", "alert_summary").
func (t EventType) String() string {
	switch t {
	case TypeAlert:
		return "alert"
	case TypeFlow:
		return "flow"
	case TypeSummary:
		return "alert_summary"
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// FlowState is a connection's state in EVE's sense (flow.state).
type FlowState uint8

// Flow states. The zero value means unknown; flow.state is then omitted.
const (
	StateNew FlowState = iota + 1
	StateEstablished
	StateClosed
)

// String returns the flow.state value ("new", "established", "closed").
func (s FlowState) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateEstablished:
		return "established"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("FlowState(%d)", uint8(s))
}

// FlowReason says why a connection record was emitted (flow.reason).
type FlowReason uint8

// Flow reasons. The zero value means unknown; flow.reason is then omitted.
const (
	// ReasonTimeout: the connection was idle past its timeout (EVE "timeout").
	ReasonTimeout FlowReason = iota + 1
	// ReasonShutdown: end of input or daemon shutdown (EVE "shutdown").
	ReasonShutdown
	// ReasonEvicted: the flow table was full and dropped the connection
	// early (EVE has "forced" for a related case; cnids writes "evicted").
	ReasonEvicted
	// ReasonClosed: the connection ended by FIN or RST (not in EVE, which
	// writes "timeout" for closed TCP sessions once their state expires).
	ReasonClosed
)

// String returns the flow.reason value.
func (r FlowReason) String() string {
	switch r {
	case ReasonTimeout:
		return "timeout"
	case ReasonShutdown:
		return "shutdown"
	case ReasonEvicted:
		return "evicted"
	case ReasonClosed:
		return "closed"
	}
	return fmt.Sprintf("FlowReason(%d)", uint8(r))
}

// VLAN holds up to three 802.1Q tags, outermost first; N says how many are
// set. It is a fixed array so that filling an Event never allocates.
type VLAN struct {
	IDs [3]uint16
	N   uint8
}

// Event is one line of output. The wiring fills it from the flow, features
// and model outputs; the package doc maps every field to its JSON name.
//
// An Event is a plain value: sinks never retain it, nor its slices, after
// Write returns (the Ring deep-copies what it keeps).
type Event struct {
	// Time is the packet time of the event: the connection's end for
	// alerts and flows, the last alert's time for summaries.
	Time time.Time
	// Type selects the event kind and which objects are written.
	Type EventType
	// FlowID identifies the connection (see FlowID); written for alerts
	// and flows.
	FlowID uint64
	// CommunityID is the Community ID v1 string (see CommunityID and
	// SetCommunityID); omitted when empty.
	CommunityID string
	// SrcIP and DestIP are the originator and responder addresses.
	SrcIP, DestIP netip.Addr
	// SrcPort and DestPort are the transport ports, written for TCP, UDP,
	// SCTP, DCCP and UDP-Lite.
	SrcPort, DestPort uint16
	// Proto is the IP protocol number, written by name ("TCP", ...).
	Proto uint8
	// ICMPType and ICMPCode are written instead of the ports when Proto
	// is ICMP (1) or ICMPv6 (58).
	ICMPType, ICMPCode uint8
	// AppProto is the service name (NSL-KDD's "http", "private", ...).
	AppProto string
	// VLAN holds the connection's VLAN tags; omitted when untagged.
	VLAN VLAN
	// InIface is the capture interface in live mode; omitted when empty.
	InIface string

	// Flow is the connection record.
	Flow Flow
	// Alert is the verdict (alerts) or the summarised signature (summaries).
	Alert Alert
	// KDD holds the connection state and, optionally, the features.
	KDD KDD
	// Source says where the packets came from.
	Source Source
	// Summary is written for TypeSummary only.
	Summary Summary
}

// Flow is a connection's record (EVE's flow object).
type Flow struct {
	// Start and End are the times of the first and the last packet.
	// End defaults to Event.Time when zero.
	Start, End time.Time
	// PktsToServer and PktsToClient count packets by direction.
	PktsToServer, PktsToClient uint64
	// BytesToServer and BytesToClient count bytes by direction.
	BytesToServer, BytesToClient uint64
	// State is the EVE state; omitted when zero.
	State FlowState
	// Reason says why the record was emitted; omitted when zero.
	Reason FlowReason
}

// ClassProb is one class's probability in Alert.Probabilities.
type ClassProb struct {
	Class string
	P     float64
}

// Alert is a verdict (EVE's alert object plus cnids's model fields).
type Alert struct {
	// Signature identifies the class (see LookupSignature).
	Signature Signature
	// Score is 1 - P(normal), in [0, 1].
	Score float64
	// Probabilities lists each class's probability, in the model's class
	// order; class names must be distinct.
	Probabilities []ClassProb
	// Model names the model (name or digest).
	Model string
	// Family is the dataset family the model was trained on
	// ("nsl-kdd", "bot-iot", "unsw-nb15").
	Family string
}

// FeatureValue is one input feature: a number, or text for categorical
// features (protocol_type, service, flag).
type FeatureValue struct {
	Text   string
	Num    float64
	IsText bool
}

// Num returns a numeric FeatureValue.
func Num(v float64) FeatureValue { return FeatureValue{Num: v} }

// Text returns a categorical FeatureValue.
func Text(s string) FeatureValue { return FeatureValue{Text: s, IsText: true} }

// KDD holds NSL-KDD specifics: the full connection state and the features.
type KDD struct {
	// Flag is the full Zeek-style connection state (SF, S0, RSTRH, ...),
	// including the states the dataset lacks.
	Flag string
	// Features are the model's input values, in the order of
	// EncoderOptions.FeatureNames; written only when those names are set.
	Features []FeatureValue
}

// Source says where an event's packets came from, so that an analyst can
// cut them out (for example editcap -r FILE OUT FIRST-LAST).
type Source struct {
	// File is the capture file of the first packet; empty when live.
	File string
	// FirstPacket and LastPacket are 1-based packet numbers in the input
	// (in File, or since capture start when live).
	FirstPacket, LastPacket uint64
	// LastFile is the file of the last packet when it differs from File
	// (a connection that spans a rotated capture).
	LastFile string
}

// FlowRef points at one connection from a summary.
type FlowRef struct {
	FlowID                  uint64
	CommunityID             string
	Start, End              time.Time
	File                    string
	FirstPacket, LastPacket uint64
}

// FlagCount counts one connection state in a summary.
type FlagCount struct {
	Flag  string
	Count uint64
}

// Summary is the roll-up of one (source, destination, category) group over
// one interval; see Summarizer.
type Summary struct {
	// IntervalStart and IntervalEnd bound the interval, [start, end).
	IntervalStart, IntervalEnd time.Time
	// Alerts counts the group's alerts.
	Alerts uint64
	// FlowsNew, FlowsEstablished and FlowsClosed count them by EVE state.
	FlowsNew, FlowsEstablished, FlowsClosed uint64
	// Flags counts them by KDD flag, in first-seen order.
	Flags []FlagCount
	// ScoreMax and ScoreMean summarise the scores.
	ScoreMax, ScoreMean float64
	// Overflow is set on the catch-all group used once MaxGroups is
	// reached; its addresses are then omitted.
	Overflow bool
	// First and Last are the earliest and the latest alert's connections.
	First, Last FlowRef
}

// SetCommunityID computes ev.CommunityID from the event's tuple (ICMP type
// and code for ICMP and ICMPv6) with the given seed. It leaves the field
// empty when the tuple has no valid addresses.
func (ev *Event) SetCommunityID(seed uint16) {
	sp, dp := ev.SrcPort, ev.DestPort
	if isICMP(ev.Proto) {
		sp, dp = uint16(ev.ICMPType), uint16(ev.ICMPCode)
	}
	ev.CommunityID = CommunityID(seed, ev.SrcIP, ev.DestIP, ev.Proto, sp, dp)
}

func isICMP(proto uint8) bool { return proto == protoICMP || proto == protoICMPv6 }

// hasPorts reports whether src_port and dest_port are written for proto:
// TCP, UDP, SCTP, DCCP (33) and UDP-Lite (136).
func hasPorts(proto uint8) bool {
	switch proto {
	case protoTCP, protoUDP, protoSCTP, 33, 136:
		return true
	}
	return false
}

// IP protocol numbers the package treats specially.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// knownProto returns the name written for common IP protocols, spelled as
// Suricata writes them, or "" for others (written as the decimal number).
func knownProto(proto uint8) string {
	switch proto {
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 41:
		return "IPv6"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 58:
		return "IPv6-ICMP"
	case 89:
		return "OSPF"
	case 103:
		return "PIM"
	case 112:
		return "VRRP"
	case 132:
		return "SCTP"
	}
	return ""
}

// ProtoName returns the proto string written for an IP protocol number.
func ProtoName(proto uint8) string {
	if s := knownProto(proto); s != "" {
		return s
	}
	return strconv.Itoa(int(proto))
}
