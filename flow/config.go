package flow

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Timeouts are the packet-time timers of the flow table. A zero field takes
// its default (DefaultTimeouts); a negative one is an error.
type Timeouts struct {
	// TCPAttempt expires a TCP connection one side of which has sent
	// nothing (S0, SH, a SYN-ACK without its SYN, one-way mid-stream)
	// after this long without a packet. Default 30 s.
	TCPAttempt time.Duration
	// TCPInactive expires a TCP connection both sides of which have spoken
	// after this long without a packet. Default 5 min (Zeek's
	// tcp_inactivity_timeout).
	TCPInactive time.Duration
	// TCPLinger keeps a terminated TCP connection (a RST from either side,
	// or a FIN from both) this long after its last packet, so that the
	// final ACKs and the RST answers to late segments are counted in it.
	// Default 2 s.
	TCPLinger time.Duration
	// UDPInactive expires a UDP flow after this long without a packet.
	// Default 1 min (Zeek's udp_inactivity_timeout).
	UDPInactive time.Duration
	// OtherInactive expires a flow of another IP protocol after this long
	// without a packet. Default 1 min.
	OtherInactive time.Duration
	// Active, when positive, ends a flow that has lasted this long at its
	// next packet (NetFlow's active timeout); that packet starts a new
	// flow. Zero disables it (the default: KDD'99 connections last up to
	// hours and are never split).
	Active time.Duration
	// FTPExpect is how long an FTP data connection announced on a control
	// channel (PORT, EPRT, 227, 229) is expected. Default 5 min.
	FTPExpect time.Duration
}

// DefaultTimeouts returns the default timeouts.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		TCPAttempt:    30 * time.Second,
		TCPInactive:   5 * time.Minute,
		TCPLinger:     2 * time.Second,
		UDPInactive:   time.Minute,
		OtherInactive: time.Minute,
		FTPExpect:     5 * time.Minute,
	}
}

// withDefaults fills zero fields with their defaults.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	fill := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&t.TCPAttempt, d.TCPAttempt)
	fill(&t.TCPInactive, d.TCPInactive)
	fill(&t.TCPLinger, d.TCPLinger)
	fill(&t.UDPInactive, d.UDPInactive)
	fill(&t.OtherInactive, d.OtherInactive)
	fill(&t.FTPExpect, d.FTPExpect)
	return t
}

// Validate reports the first invalid field: negative durations, and a
// linger not shorter than the inactivity timeout.
func (t Timeouts) Validate() error {
	fields := []struct {
		name string
		v    time.Duration
	}{
		{"TCPAttempt", t.TCPAttempt}, {"TCPInactive", t.TCPInactive},
		{"TCPLinger", t.TCPLinger}, {"UDPInactive", t.UDPInactive},
		{"OtherInactive", t.OtherInactive}, {"Active", t.Active},
		{"FTPExpect", t.FTPExpect},
	}
	for _, f := range fields {
		if f.v < 0 {
			return fmt.Errorf("flow: Timeouts.%s is negative (%v)", f.name, f.v)
		}
	}
	w := t.withDefaults()
	if w.TCPLinger >= w.TCPInactive {
		return fmt.Errorf("flow: Timeouts.TCPLinger (%v) must be shorter than TCPInactive (%v)", w.TCPLinger, w.TCPInactive)
	}
	return nil
}

// DecoderConfig configures a Decoder's IP fragment reassembly. Zero fields
// take their defaults.
type DecoderConfig struct {
	// FragTimeout is how long (packet time, from its first fragment) an
	// incomplete fragment train is kept. Default 30 s.
	FragTimeout time.Duration
	// FragMemory caps the bytes held by incomplete fragment trains; the
	// oldest trains are dropped (and counted) to stay under it. Default
	// 4 MiB (Linux's ipfrag_high_thresh).
	FragMemory int
}

func (c DecoderConfig) withDefaults() DecoderConfig {
	if c.FragTimeout == 0 {
		c.FragTimeout = 30 * time.Second
	}
	if c.FragMemory == 0 {
		c.FragMemory = 4 << 20
	}
	return c
}

// Validate reports negative fields and a memory cap too small for one
// maximal datagram.
func (c DecoderConfig) Validate() error {
	if c.FragTimeout < 0 {
		return fmt.Errorf("flow: DecoderConfig.FragTimeout is negative (%v)", c.FragTimeout)
	}
	if c.FragMemory < 0 {
		return fmt.Errorf("flow: DecoderConfig.FragMemory is negative (%d)", c.FragMemory)
	}
	if c.FragMemory != 0 && c.FragMemory < maxDatagram {
		return fmt.Errorf("flow: DecoderConfig.FragMemory (%d) is below one maximal datagram (%d bytes)", c.FragMemory, maxDatagram)
	}
	return nil
}

// DefaultContentPorts are the responder ports whose TCP streams are
// reassembled for the content features: ftp 21, telnet 23, smtp 25, http
// 80, pop3 110, imap 143, rexec 512, rlogin 513, rsh 514, http-alt 8080.
func DefaultContentPorts() []uint16 {
	return []uint16{21, 23, 25, 80, 110, 143, 512, 513, 514, 8080}
}

// DefaultServerPorts are the ports Zeek's originator heuristic treats as
// likely server ports (see the package doc): every port below 1024 and
// these common service ports above it.
func DefaultServerPorts() []uint16 {
	ports := make([]uint16, 0, 1024+24)
	for p := 1; p < 1024; p++ {
		ports = append(ports, uint16(p))
	}
	return append(ports, 1080, 1194, 1433, 1521, 1723, 1812, 1813, 2049, 3128, 3306,
		3389, 5060, 5061, 5222, 5432, 5900, 6379, 6667, 8000, 8008, 8080, 8443, 8888, 9200, 27017)
}

// Config configures a Table. Zero fields take their defaults.
type Config struct {
	// Shards is the number of flow-table shards, each owned by one
	// goroutine. Default runtime.GOMAXPROCS(0).
	Shards int
	// MaxFlows caps the live flows of the whole table (split evenly across
	// shards); at the cap a new flow evicts an old one (see the package
	// doc). Default 1 << 20.
	MaxFlows int
	// Timeouts are the flow timers.
	Timeouts Timeouts
	// ContentPorts are the responder ports whose TCP streams are
	// reassembled into Conn.Content. Nil means DefaultContentPorts; an
	// empty non-nil slice disables content reassembly.
	ContentPorts []uint16
	// ContentCap caps the content kept per connection and direction.
	// Default 64 KiB.
	ContentCap int
	// ServerPorts are the likely server ports of the originator heuristic
	// for TCP connections whose first packet is not a SYN. Nil means
	// DefaultServerPorts.
	ServerPorts []uint16
	// Decoder configures IP fragment reassembly.
	Decoder DecoderConfig
	// BatchSize is the number of packets per batch sent to a shard.
	// Default 256.
	BatchSize int
	// StatusInterval cuts every connection into status records, as Argus
	// reports a flow every ARGUS_FLOW_STATUS_INTERVAL seconds (see
	// Conn.Records). Default 5 s, the value of Debian's /etc/argus.conf
	// and of Argus' own default. It changes no other field.
	StatusInterval time.Duration
	// Heartbeat is the packet-time interval at which every shard receives
	// a batch (possibly empty) so that its watermark advances and the
	// merge never stalls on an idle shard. Default 100 ms.
	Heartbeat time.Duration
}

// Defaults of Config.
const (
	defaultMaxFlows   = 1 << 20
	defaultContentCap = 64 << 10
	defaultBatchSize  = 256
	defaultHeartbeat  = 100 * time.Millisecond
	// DefaultStatusInterval is the default Config.StatusInterval.
	DefaultStatusInterval = 5 * time.Second
)

// normalize validates c and returns it with defaults filled in.
func (c Config) normalize() (Config, error) {
	if c.Shards < 0 {
		return c, fmt.Errorf("flow: Config.Shards is negative (%d)", c.Shards)
	}
	if c.MaxFlows < 0 {
		return c, fmt.Errorf("flow: Config.MaxFlows is negative (%d)", c.MaxFlows)
	}
	if c.ContentCap < 0 {
		return c, fmt.Errorf("flow: Config.ContentCap is negative (%d)", c.ContentCap)
	}
	if c.BatchSize < 0 {
		return c, fmt.Errorf("flow: Config.BatchSize is negative (%d)", c.BatchSize)
	}
	if c.Heartbeat < 0 {
		return c, fmt.Errorf("flow: Config.Heartbeat is negative (%v)", c.Heartbeat)
	}
	if c.StatusInterval < 0 {
		return c, fmt.Errorf("flow: Config.StatusInterval is negative (%v)", c.StatusInterval)
	}
	if err := c.Timeouts.Validate(); err != nil {
		return c, err
	}
	if err := c.Decoder.Validate(); err != nil {
		return c, err
	}
	for i, p := range c.ContentPorts {
		if p == 0 {
			return c, fmt.Errorf("flow: Config.ContentPorts[%d] is port 0", i)
		}
	}
	if c.Shards == 0 {
		c.Shards = runtime.GOMAXPROCS(0)
	}
	if c.MaxFlows == 0 {
		c.MaxFlows = defaultMaxFlows
	}
	if c.MaxFlows < c.Shards {
		return c, fmt.Errorf("flow: Config.MaxFlows (%d) is below the shard count (%d)", c.MaxFlows, c.Shards)
	}
	if c.ContentCap == 0 {
		c.ContentCap = defaultContentCap
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatchSize
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = defaultHeartbeat
	}
	if c.StatusInterval == 0 {
		c.StatusInterval = DefaultStatusInterval
	}
	if c.ContentPorts == nil {
		c.ContentPorts = DefaultContentPorts()
	}
	if c.ServerPorts == nil {
		c.ServerPorts = DefaultServerPorts()
	}
	c.Timeouts = c.Timeouts.withDefaults()
	c.Decoder = c.Decoder.withDefaults()
	return c, nil
}

// ErrClosed is returned by the Table's methods after Close.
var ErrClosed = errors.New("flow: table closed")

// portSet is a bitmap of the 65536 ports.
type portSet [1024]uint64

func newPortSet(ports []uint16) *portSet {
	var s portSet
	for _, p := range ports {
		s[p>>6] |= 1 << (p & 63)
	}
	return &s
}

func (s *portSet) has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }
