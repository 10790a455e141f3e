//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// AFPacket captures packets from an interface through a Linux TPACKET_V3
// memory-mapped ring. It implements Source. ReadPacket and LinkType are for
// one goroutine; Stats, AddDropped and Close may be called from any, Close
// with the caveat of the package documentation: it unmaps the ring, so the
// reader must not be using packet data when it runs (a reader blocked in
// ReadPacket is fine).
//
// VLAN tags that the kernel strips are put back into the frames. On the
// loopback interface, where the kernel shows every packet twice (sent and
// received), the sent copy is dropped in the kernel filter, as libpcap does.
// gopacket binds the socket before the filter can be attached, so packets
// that arrive in those microseconds may bypass the filter.
type AFPacket struct {
	tp    *afpacket.TPacket
	iface string
	lt    layers.LinkType
	n     uint64 // packets returned, for Info.Packet

	c      counters
	closed atomic.Bool
	readMu sync.Mutex // held while the ring is read, so that Close waits

	mu       sync.Mutex // serialises the socket's statistics and Close
	released bool
	recv     uint32 // last cumulative values from the socket
	drop     uint32
}

var _ Source = (*AFPacket)(nil)

// OpenAFPacket validates opt and starts an AF_PACKET capture. An error
// caused by a lack of privileges matches fs.ErrPermission.
func OpenAFPacket(opt AFPacketOptions) (*AFPacket, error) {
	opt, err := opt.validate()
	if err != nil {
		return nil, err
	}
	lt, loopback, err := ifaceLinkType(opt.Interface)
	if err != nil {
		return nil, err
	}
	prog, err := kernelFilter(lt, opt.SnapLen, opt.Filter, loopback)
	if err != nil {
		return nil, fmt.Errorf("capture: %s: filter %q: %w", opt.Interface, opt.Filter, err)
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(opt.Interface),
		afpacket.TPacketVersion3,
		afpacket.OptBlockSize(opt.BlockSize),
		afpacket.OptNumBlocks(opt.NumBlocks),
		afpacket.OptBlockTimeout(opt.BlockTimeout),
		afpacket.OptPollTimeout(opt.Timeout),
		afpacket.OptAddVLANHeader(true),
	)
	if err != nil {
		return nil, fmt.Errorf("capture: %s: open AF_PACKET socket: %w", opt.Interface, permission(err))
	}
	fail := func(what string, err error) (*AFPacket, error) {
		tp.Close()
		return nil, fmt.Errorf("capture: %s: %s: %w", opt.Interface, what, err)
	}
	if err := tp.SetBPF(prog); err != nil {
		return fail("attach filter", err)
	}
	if opt.Promiscuous {
		if err := tp.SetPromiscuous(true); err != nil {
			return fail("set promiscuous mode", err)
		}
	}
	if opt.FanoutGroup != 0 {
		if err := tp.SetFanout(afpacket.FanoutHashWithDefrag, uint16(opt.FanoutGroup)); err != nil {
			return fail(fmt.Sprintf("join fanout group %d", opt.FanoutGroup), err)
		}
	}
	return &AFPacket{tp: tp, iface: opt.Interface, lt: lt}, nil
}

// ifaceLinkType maps the interface's ARPHRD hardware type to the link type
// of the frames an AF_PACKET raw socket gives.
func ifaceLinkType(iface string) (lt layers.LinkType, loopback bool, err error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return 0, false, fmt.Errorf("capture: %s: hardware type: %w", iface, err)
	}
	hw, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false, fmt.Errorf("capture: %s: hardware type %q: %w", iface, b, err)
	}
	switch hw {
	case unix.ARPHRD_ETHER:
		return layers.LinkTypeEthernet, false, nil
	case unix.ARPHRD_LOOPBACK:
		return layers.LinkTypeEthernet, true, nil
	case unix.ARPHRD_NONE:
		return layers.LinkTypeRaw, false, nil
	}
	return 0, false, fmt.Errorf("capture: %s: hardware type %d not supported by AF_PACKET capture; use libpcap (OpenLive)", iface, hw)
}

// kernelFilter compiles expr for link type lt with libpcap and returns the
// socket filter: it also cuts packets to snaplen (the filter's return value)
// and, on loopback, drops the outgoing copy of each packet.
func kernelFilter(lt layers.LinkType, snaplen int, expr string, loopback bool) ([]bpf.RawInstruction, error) {
	ins, err := pcap.CompileBPFFilter(lt, snaplen, expr)
	if err != nil {
		return nil, err
	}
	var prog []bpf.RawInstruction
	if loopback {
		// Classic BPF jumps are relative, so a prefix needs no relocation.
		prefix, err := bpf.Assemble([]bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: 0, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		})
		if err != nil {
			return nil, err
		}
		prog = append(prog, prefix...)
	}
	for _, in := range ins {
		prog = append(prog, bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K})
	}
	if len(prog) > 4096 { // BPF_MAXINSNS
		return nil, fmt.Errorf("filter of %d instructions exceeds the kernel limit of 4096", len(prog))
	}
	return prog, nil
}

// ReadPacket returns the next packet; see Source. It returns ErrIdle, with
// Info.Timestamp set to the wall clock, when the read timeout expires with no
// packet, and io.EOF once the source is closed.
func (a *AFPacket) ReadPacket(ctx context.Context) ([]byte, Info, error) {
	if a.closed.Load() {
		return nil, Info{}, io.EOF
	}
	if err := ctxDone(ctx); err != nil {
		return nil, Info{}, err
	}
	a.readMu.Lock()
	if a.closed.Load() {
		a.readMu.Unlock()
		return nil, Info{}, io.EOF
	}
	data, ci, err := a.tp.ZeroCopyReadPacketData()
	a.readMu.Unlock()
	switch {
	case err == nil:
		a.n++
		if a.n%statsEvery == 0 {
			a.refreshStats()
		}
		ci.Timestamp = ci.Timestamp.UTC()
		ci.AncillaryData = nil // the VLAN tag is back in the frame
		return data, Info{CaptureInfo: ci, Packet: a.n}, nil
	case a.closed.Load():
		return nil, Info{}, io.EOF
	case errors.Is(err, afpacket.ErrTimeout):
		a.refreshStats()
		if err := ctxDone(ctx); err != nil {
			return nil, Info{}, err
		}
		return nil, idleInfo(), ErrIdle
	default:
		return nil, Info{}, fmt.Errorf("capture: read %s: %w", a.iface, err)
	}
}

// LinkType returns the link type of the interface's frames.
func (a *AFPacket) LinkType() layers.LinkType { return a.lt }

// Stats returns the counters, with the socket's counters fetched now.
func (a *AFPacket) Stats() Stats {
	a.refreshStats()
	return a.c.snapshot()
}

func (a *AFPacket) refreshStats() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.released {
		return
	}
	_, s, err := a.tp.SocketStats()
	if err != nil {
		return // keep the last values; the next call tries again
	}
	// gopacket sums the kernel's per-read counters in 32 bits: follow the
	// increments so that a wrap-around is not seen as a reset.
	recv, drop := uint32(s.Packets()), uint32(s.Drops())
	a.c.received.Add(uint64(recv - a.recv))
	a.c.kernelDropped.Add(uint64(drop - a.drop))
	a.recv, a.drop = recv, drop
}

// AddDropped adds n to the Dropped counter, for packets cnids dropped after
// reading them.
func (a *AFPacket) AddDropped(n uint64) { a.c.dropped.Add(n) }

// Close stops the capture and unmaps the ring. A ReadPacket blocked in
// another goroutine returns io.EOF within one read timeout; Close waits for
// it. The counters keep their last values.
func (a *AFPacket) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	a.refreshStats()
	a.readMu.Lock()
	defer a.readMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tp.Close()
	a.released = true
	return nil
}
