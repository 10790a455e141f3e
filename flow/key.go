package flow

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
)

// Key identifies a bidirectional connection: the canonical 5-tuple (the
// lower endpoint, by address bytes then port, first) and the VLAN IDs. It
// is a comparable fixed-size value (no strings, no pointers), usable as a
// map key without allocation.
type Key struct {
	lo, hi         [16]byte // addresses in 16-byte form (IPv4 mapped)
	loPort, hiPort uint16
	vlan           [2]uint16
	proto          uint8
	v4             bool
}

// PacketKey returns the connection key of p and whether p was sent by the
// key's lower endpoint. ICMP and protocols without ports key on the
// addresses and the protocol only.
func PacketKey(p *Packet) (k Key, fromLo bool) {
	src, dst := p.Src.As16(), p.Dst.As16()
	sp, dp := p.SrcPort, p.DstPort
	k.proto = p.Proto
	k.vlan = p.VLAN
	k.v4 = p.Src.Is4()
	fromLo = lessEndpoint(&src, sp, &dst, dp)
	if fromLo {
		k.lo, k.hi, k.loPort, k.hiPort = src, dst, sp, dp
	} else {
		k.lo, k.hi, k.loPort, k.hiPort = dst, src, dp, sp
	}
	return k, fromLo
}

// lessEndpoint orders endpoints by address bytes, then port; equal
// endpoints (a land packet) count as "less" so that the sender is lo.
func lessEndpoint(a *[16]byte, ap uint16, b *[16]byte, bp uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return ap <= bp
}

// Hash returns a well-mixed 64-bit hash of the key. It is deterministic
// (no per-process seed) so that shard assignment, and with it eviction, is
// reproducible run to run. Written by hand (a multiply-xorshift mix over
// the key's five 64-bit words, murmur3's finalizer) because hash/maphash
// is seeded per process and hash/fnv walks bytes one at a time.
func (k *Key) Hash() uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(0x243F6A8885A308D3)
	mix := func(v uint64) {
		h ^= v
		h *= m
		h = bits.RotateLeft64(h, 29)
	}
	mix(binary.LittleEndian.Uint64(k.lo[0:8]))
	mix(binary.LittleEndian.Uint64(k.lo[8:16]))
	mix(binary.LittleEndian.Uint64(k.hi[0:8]))
	mix(binary.LittleEndian.Uint64(k.hi[8:16]))
	v := uint64(k.loPort) | uint64(k.hiPort)<<16 | uint64(k.vlan[0])<<32 | uint64(k.vlan[1]&0xfff)<<48 | uint64(k.proto)<<60
	mix(v ^ uint64(k.proto)>>4)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// addr returns endpoint i (0 lo, 1 hi) of the key as a netip.Addr.
func (k *Key) addr(i int) netip.Addr {
	b := &k.lo
	if i == 1 {
		b = &k.hi
	}
	a := netip.AddrFrom16(*b)
	if k.v4 {
		return a.Unmap()
	}
	return a
}

func (k *Key) port(i int) uint16 {
	if i == 1 {
		return k.hiPort
	}
	return k.loPort
}

// String returns "lo:port <-> hi:port proto N vlan a/b" for diagnostics.
func (k Key) String() string {
	return fmt.Sprintf("%v <-> %v proto %d vlan %d/%d",
		netip.AddrPortFrom(k.addr(0), k.loPort), netip.AddrPortFrom(k.addr(1), k.hiPort),
		k.proto, k.vlan[0], k.vlan[1])
}
