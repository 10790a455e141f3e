package capture

import (
	"fmt"
	"os"
	"time"
)

// AFPacketOptions configures OpenAFPacket.
type AFPacketOptions struct {
	// Interface is the device to capture from (required). Interfaces with
	// an Ethernet or loopback hardware type give Ethernet frames; those
	// without a link-layer header (tun) give raw IP.
	Interface string
	// Filter is a BPF expression (tcpdump syntax) run in the kernel; empty
	// means every packet.
	Filter string
	// SnapLen is the largest number of bytes kept per packet: 1 to 262144;
	// 0 means 262144. It is enforced by the kernel filter.
	SnapLen int
	// Promiscuous puts the interface in promiscuous mode.
	Promiscuous bool
	// BlockSize is the size in bytes of one ring block, a multiple of the
	// page size; 0 means 1 MiB.
	BlockSize int
	// NumBlocks is the number of ring blocks; 0 means 64.
	NumBlocks int
	// BlockTimeout is how long the kernel waits before handing over a block
	// that is not full, at least 1 ms; 0 means 10 ms.
	BlockTimeout time.Duration
	// Timeout is the read timeout, between 1 ms and MaxTimeout; 0 means
	// DefaultTimeout. ReadPacket returns ErrIdle when it expires with no
	// packet.
	Timeout time.Duration
	// FanoutGroup, if not 0, joins the socket to this PACKET_FANOUT group
	// (1 to 65535) in hash mode with IP defragmentation: packets are spread
	// over the group's sockets by flow, so that each worker reading one
	// source sees whole flows. Open one source per worker with the same
	// group and options.
	FanoutGroup int
}

// Defaults of AF_PACKET captures.
const (
	defaultBlockSize    = 1 << 20
	defaultNumBlocks    = 64
	defaultBlockTimeout = 10 * time.Millisecond
)

// validate checks o and fills in its defaults.
func (o AFPacketOptions) validate() (AFPacketOptions, error) {
	if err := checkInterface(o.Interface); err != nil {
		return o, err
	}
	var err error
	if o.SnapLen, err = checkSnapLen(o.SnapLen); err != nil {
		return o, err
	}
	if o.Timeout, err = checkTimeout(o.Timeout); err != nil {
		return o, err
	}
	page := os.Getpagesize()
	switch {
	case o.BlockSize == 0:
		o.BlockSize = defaultBlockSize
	case o.BlockSize < page || o.BlockSize%page != 0 || o.BlockSize > 1<<30:
		return o, fmt.Errorf("capture: block size %d: must be a multiple of the page size %d, at most 1 GiB", o.BlockSize, page)
	}
	switch {
	case o.NumBlocks == 0:
		o.NumBlocks = defaultNumBlocks
	case o.NumBlocks < 1 || o.NumBlocks > 1<<16:
		return o, fmt.Errorf("capture: number of blocks %d: must be between 1 and 65536", o.NumBlocks)
	}
	if int64(o.BlockSize)*int64(o.NumBlocks) > 1<<34 {
		return o, fmt.Errorf("capture: ring of %d blocks of %d bytes: larger than 16 GiB", o.NumBlocks, o.BlockSize)
	}
	switch {
	case o.BlockTimeout == 0:
		o.BlockTimeout = defaultBlockTimeout
	case o.BlockTimeout < time.Millisecond || o.BlockTimeout > MaxTimeout:
		return o, fmt.Errorf("capture: block timeout %v: must be between 1ms and %v", o.BlockTimeout, MaxTimeout)
	}
	if o.FanoutGroup < 0 || o.FanoutGroup > 65535 {
		return o, fmt.Errorf("capture: fanout group %d: must be between 1 and 65535 (0 for none)", o.FanoutGroup)
	}
	return o, nil
}
