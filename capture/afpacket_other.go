//go:build !linux

package capture

import (
	"context"
	"errors"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// errNoAFPacket is returned by OpenAFPacket outside Linux.
var errNoAFPacket = errors.New("capture: AF_PACKET capture needs Linux; use libpcap (OpenLive)")

// AFPacket is a Linux AF_PACKET capture; on this system it cannot be opened.
type AFPacket struct{}

// OpenAFPacket reports that AF_PACKET capture needs Linux.
func OpenAFPacket(opt AFPacketOptions) (*AFPacket, error) {
	if _, err := opt.validate(); err != nil {
		return nil, err
	}
	return nil, errNoAFPacket
}

// ReadPacket returns io.EOF.
func (a *AFPacket) ReadPacket(context.Context) ([]byte, Info, error) { return nil, Info{}, io.EOF }

// LinkType returns 0.
func (a *AFPacket) LinkType() layers.LinkType { return 0 }

// Stats returns zero counters.
func (a *AFPacket) Stats() Stats { return Stats{} }

// AddDropped does nothing.
func (a *AFPacket) AddDropped(uint64) {}

// Close does nothing.
func (a *AFPacket) Close() error { return nil }
