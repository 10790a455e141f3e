package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// Defaults and limits of live captures.
const (
	// DefaultTimeout is the default read timeout of live sources, which is
	// also the interval of idle ticks and the longest Close waits.
	DefaultTimeout = 100 * time.Millisecond
	// MaxTimeout is the longest read timeout accepted, so that Close and
	// context cancellation stay prompt.
	MaxTimeout = time.Second
	// statsEvery is how often (in packets) a live reader refreshes the
	// kernel counters itself, so that the kernel's 32-bit counters are
	// followed across wrap-arounds even if nobody calls Stats.
	statsEvery = 1 << 20
)

// LiveOptions configures OpenLive.
type LiveOptions struct {
	// Interface is the device to capture from (required).
	Interface string
	// Filter is a BPF expression (tcpdump syntax) run in the kernel; empty
	// means every packet.
	Filter string
	// SnapLen is the largest number of bytes kept per packet: 1 to 262144;
	// 0 means 262144.
	SnapLen int
	// Promiscuous puts the interface in promiscuous mode.
	Promiscuous bool
	// BufferSize is the kernel capture buffer in bytes; 0 keeps libpcap's
	// default (2 MiB).
	BufferSize int
	// Immediate delivers each packet as soon as it arrives instead of
	// waiting for a buffer to fill or the timeout to expire.
	Immediate bool
	// Timeout is the read timeout, between 1 ms and MaxTimeout; 0 means
	// DefaultTimeout. ReadPacket returns ErrIdle when it expires with no
	// packet.
	Timeout time.Duration
}

// validate checks o and fills in its defaults.
func (o LiveOptions) validate() (LiveOptions, error) {
	if err := checkInterface(o.Interface); err != nil {
		return o, err
	}
	var err error
	if o.SnapLen, err = checkSnapLen(o.SnapLen); err != nil {
		return o, err
	}
	if o.BufferSize < 0 {
		return o, fmt.Errorf("capture: buffer size %d: must be >= 0", o.BufferSize)
	}
	if o.Timeout, err = checkTimeout(o.Timeout); err != nil {
		return o, err
	}
	return o, nil
}

func checkInterface(name string) error {
	if name == "" {
		return errors.New("capture: no interface given")
	}
	if _, err := net.InterfaceByName(name); err != nil {
		return fmt.Errorf("capture: interface %q: %w", name, err)
	}
	return nil
}

func checkSnapLen(n int) (int, error) {
	if n == 0 {
		return maxSnapLen, nil
	}
	if n < 1 || n > maxSnapLen {
		return 0, fmt.Errorf("capture: snapshot length %d: must be between 1 and %d (0 for the maximum)", n, maxSnapLen)
	}
	return n, nil
}

func checkTimeout(d time.Duration) (time.Duration, error) {
	if d == 0 {
		return DefaultTimeout, nil
	}
	if d < time.Millisecond || d > MaxTimeout {
		return 0, fmt.Errorf("capture: read timeout %v: must be between 1ms and %v (0 for %v)", d, MaxTimeout, DefaultTimeout)
	}
	return d, nil
}

// permission marks errors that come from a lack of privileges, so that
// callers can test them with errors.Is(err, fs.ErrPermission).
func permission(err error) error {
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "permission") || strings.Contains(s, "not permitted") {
		return fmt.Errorf("%w (%w)", err, fs.ErrPermission)
	}
	return err
}

// Live captures packets from an interface with libpcap. It implements
// Source. ReadPacket and LinkType are for one goroutine; Stats, AddDropped
// and Close may be called from any.
type Live struct {
	h     *pcap.Handle
	iface string
	lt    layers.LinkType
	n     uint64 // packets returned, for Info.Packet

	c      counters
	closed atomic.Bool

	mu       sync.Mutex // serialises the handle's Stats and Close
	released bool
	kstats   kernelCounters
}

var _ Source = (*Live)(nil)

// OpenLive validates opt and starts a libpcap capture. An error caused by a
// lack of privileges matches fs.ErrPermission.
func OpenLive(opt LiveOptions) (*Live, error) {
	opt, err := opt.validate()
	if err != nil {
		return nil, err
	}
	in, err := pcap.NewInactiveHandle(opt.Interface)
	if err != nil {
		return nil, fmt.Errorf("capture: %s: %w", opt.Interface, permission(err))
	}
	defer in.CleanUp()
	set := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("capture: %s: set %s: %w", opt.Interface, what, err)
		}
		return nil
	}
	if err := set("snapshot length", in.SetSnapLen(opt.SnapLen)); err != nil {
		return nil, err
	}
	if err := set("promiscuous mode", in.SetPromisc(opt.Promiscuous)); err != nil {
		return nil, err
	}
	if err := set("read timeout", in.SetTimeout(opt.Timeout)); err != nil {
		return nil, err
	}
	if err := set("immediate mode", in.SetImmediateMode(opt.Immediate)); err != nil {
		return nil, err
	}
	if opt.BufferSize > 0 {
		if err := set("buffer size", in.SetBufferSize(opt.BufferSize)); err != nil {
			return nil, err
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, fmt.Errorf("capture: %s: activate: %w", opt.Interface, permission(err))
	}
	if opt.Filter != "" {
		if err := h.SetBPFFilter(opt.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture: %s: filter %q: %w", opt.Interface, opt.Filter, err)
		}
	}
	return &Live{h: h, iface: opt.Interface, lt: h.LinkType()}, nil
}

// ReadPacket returns the next packet; see Source. It returns ErrIdle, with
// Info.Timestamp set to the wall clock, when the read timeout expires with no
// packet, and io.EOF once the source is closed.
func (l *Live) ReadPacket(ctx context.Context) ([]byte, Info, error) {
	if l.closed.Load() {
		return nil, Info{}, io.EOF
	}
	if err := ctxDone(ctx); err != nil {
		return nil, Info{}, err
	}
	data, ci, err := l.h.ZeroCopyReadPacketData()
	switch {
	case err == nil:
		l.n++
		if l.n%statsEvery == 0 {
			l.refreshStats()
		}
		ci.Timestamp = ci.Timestamp.UTC()
		return data, Info{CaptureInfo: ci, Packet: l.n}, nil
	case l.closed.Load() || err == io.EOF:
		return nil, Info{}, io.EOF
	case errors.Is(err, pcap.NextErrorTimeoutExpired):
		l.refreshStats()
		if err := ctxDone(ctx); err != nil {
			return nil, Info{}, err
		}
		return nil, idleInfo(), ErrIdle
	default:
		return nil, Info{}, fmt.Errorf("capture: read %s: %w", l.iface, err)
	}
}

// idleInfo is the Info of an idle tick: no packet, the wall-clock time.
func idleInfo() Info {
	return Info{CaptureInfo: gopacket.CaptureInfo{Timestamp: time.Now().UTC()}}
}

// LinkType returns the link type of the interface.
func (l *Live) LinkType() layers.LinkType { return l.lt }

// Stats returns the counters, with the kernel's counters fetched now.
func (l *Live) Stats() Stats {
	l.refreshStats()
	return l.c.snapshot()
}

func (l *Live) refreshStats() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return
	}
	s, err := l.h.Stats()
	if err != nil {
		return // keep the last values; the next call tries again
	}
	l.kstats.update(&l.c, uint32(s.PacketsReceived), uint32(s.PacketsDropped), uint32(s.PacketsIfDropped))
}

// AddDropped adds n to the Dropped counter, for packets cnids dropped after
// reading them.
func (l *Live) AddDropped(n uint64) { l.c.dropped.Add(n) }

// Close stops the capture. A ReadPacket blocked in another goroutine returns
// io.EOF within one read timeout; Close waits for it. The counters keep their
// last values.
func (l *Live) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.refreshStats()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Close()
	l.released = true
	return nil
}

// kernelCounters follows the kernel's 32-bit cumulative counters and adds
// their increments to 64-bit counters, so that a wrap-around is not seen as
// a reset.
type kernelCounters struct {
	recv, drop, ifdrop uint32
}

func (k *kernelCounters) update(c *counters, recv, drop, ifdrop uint32) {
	c.received.Add(uint64(recv - k.recv))
	c.kernelDropped.Add(uint64(drop - k.drop))
	c.ifaceDropped.Add(uint64(ifdrop - k.ifdrop))
	k.recv, k.drop, k.ifdrop = recv, drop, ifdrop
}
