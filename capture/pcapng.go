package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapng block types (draft-ietf-opsawg-pcapng).
const (
	ngSHB       = 0x0a0d0d0a
	ngIDB       = 1
	ngPB        = 2 // obsolete packet block
	ngSPB       = 3
	ngEPB       = 6
	ngByteOrder = 0x1a2b3c4d
)

// ngRecords reads the packets of a pcapng file with pcapgo, behind an
// ngFramer that checks each block first.
type ngRecords struct {
	r  *pcapgo.NgReader
	fr *ngFramer
}

// openPcapng opens a pcapng stream; head holds its first four bytes, already
// read from cnt.
func openPcapng(head [4]byte, cnt *countReader, report func(recordError)) (*ngRecords, error) {
	fr := &ngFramer{
		cnt:    cnt,
		report: report,
	}
	fr.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head[:]), cnt), pcapngBufSize)
	r, err := pcapgo.NewNgReader(fr, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if fr.headErr != nil {
		return nil, fr.headErr
	}
	if err != nil {
		return nil, fmt.Errorf("pcapng section header: %w", err)
	}
	return &ngRecords{r: r, fr: fr}, nil
}

func (n *ngRecords) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, uint64, error) {
	data, ci, err := n.r.ZeroCopyReadPacketData()
	if err == nil {
		// The framer hands pcapgo one block at a time and pcapgo asks for
		// the next block only when it needs its bytes, so the packet just
		// returned is from the last packet block the framer passed.
		ci.AncillaryData = nil
		return data, ci, n.fr.lastLT, n.fr.lastPacket, nil
	}
	if err != io.EOF && !n.fr.failed {
		// pcapgo rejected a block the framer let through.
		n.fr.fail(0, -1, fmt.Errorf("pcapng (after packet %d): %w", n.fr.lastPacket, err))
	}
	return nil, gopacket.CaptureInfo{}, 0, 0, io.EOF
}

// bigEndian is the byte order of the section of the packet just returned:
// the framer has not gone beyond its block.
func (n *ngRecords) bigEndian() bool { return n.fr.big }

// ngFramer is the io.Reader pcapgo reads from. It reads the pcapng stream
// block by block, checks each block completely while it is still in the
// buffer, passes the blocks pcapgo needs (section headers, interface
// descriptions, packets), skips the others, skips a damaged packet block
// whose framing is intact, and ends the stream at a block whose framing is
// damaged. pcapgo then never reads past a block boundary or parses an option
// that overruns its block.
type ngFramer struct {
	br     *bufio.Reader
	inner  *bufio.Reader // the first, smaller buffer, once br has grown
	cnt    *countReader
	report func(recordError)

	big     bool              // byte order of the current section
	lts     []layers.LinkType // link type of each interface of the section
	snap0   uint32            // snapshot length of interface 0 (simple packets)
	started bool              // the first section header was passed
	remain  int               // bytes of the current block not yet handed out
	done    bool              // no more blocks
	failed  bool              // ended on an error
	headErr error             // why the first block is unusable

	packets    uint64 // packet blocks met, good or bad
	lastPacket uint64 // number of the last packet block passed
	lastLT     layers.LinkType
}

func (f *ngFramer) u16(b []byte) uint16 {
	if f.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (f *ngFramer) u32(b []byte) uint32 {
	if f.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (f *ngFramer) offset() int64 {
	n := f.cnt.n - int64(f.br.Buffered())
	if f.inner != nil {
		n -= int64(f.inner.Buffered())
	}
	return n
}

// grow replaces the buffer by one of pcapngMaxBuf bytes, reading from the
// first one, for a block that does not fit.
func (f *ngFramer) grow() {
	f.inner = f.br
	f.br = bufio.NewReaderSize(f.inner, pcapngMaxBuf)
}

// Read implements io.Reader for pcapgo: it hands out the bytes of the current
// block, never more, and moves to the next good block when it is used up.
func (f *ngFramer) Read(p []byte) (int, error) {
	for f.remain == 0 {
		if f.done {
			return 0, io.EOF
		}
		if err := f.advance(); err != nil {
			return 0, err
		}
	}
	if len(p) > f.remain {
		p = p[:f.remain]
	}
	n, err := f.br.Read(p) // the block is in the buffer: this cannot fail
	f.remain -= n
	if err != nil && n == 0 {
		f.fail(0, f.offset(), fmt.Errorf("read: %w", err))
		f.remain = 0
		return 0, io.EOF
	}
	return n, nil
}

// fail reports a problem after which the rest of the file is skipped.
func (f *ngFramer) fail(pkt uint64, off int64, err error) {
	f.done, f.failed = true, true
	f.report(recordError{packet: pkt, offset: off, fatal: true, err: err})
}

// failHead ends the stream before the first section header was passed: the
// file as a whole is unreadable.
func (f *ngFramer) failHead(err error) error {
	f.done, f.failed = true, true
	f.headErr = err
	return err
}

// advance looks at the next block: it passes it (remain > 0), skips it, or
// ends the stream. It returns an error only for the first block, so that
// pcapgo's constructor fails with it.
func (f *ngFramer) advance() error {
	off := f.offset()
	h, err := f.br.Peek(12)
	if len(h) < 12 {
		f.done = true
		if len(h) == 0 && err == io.EOF {
			if !f.started {
				return f.failHead(errors.New("pcapng: no section header"))
			}
			return nil // the clean end of the file
		}
		if !f.started {
			return f.failHead(fmt.Errorf("truncated pcapng section header: %d bytes", len(h)))
		}
		if err == io.EOF {
			err = fmt.Errorf("truncated block header: %d of 8 bytes or more", len(h))
		} else {
			err = fmt.Errorf("read: %w", err)
		}
		f.fail(0, off, err)
		return nil
	}
	if binary.LittleEndian.Uint32(h[0:4]) == ngSHB {
		switch {
		case binary.LittleEndian.Uint32(h[8:12]) == ngByteOrder:
			f.big = false
		case binary.BigEndian.Uint32(h[8:12]) == ngByteOrder:
			f.big = true
		default:
			err := fmt.Errorf("pcapng section header: bad byte-order magic %x", h[8:12])
			if !f.started {
				return f.failHead(err)
			}
			f.fail(0, off, err)
			return nil
		}
	} else if !f.started {
		return f.failHead(errors.New("pcapng: first block is not a section header"))
	}
	typ, blen := f.u32(h[0:4]), f.u32(h[4:8])
	isPacket := typ == ngEPB || typ == ngPB || typ == ngSPB
	var pkt uint64
	if isPacket {
		f.packets++
		pkt = f.packets
	}
	what := blockName(typ)
	if blen < 12 || blen%4 != 0 {
		err := fmt.Errorf("%s: invalid block length %d", what, blen)
		if !f.started {
			return f.failHead(err)
		}
		f.fail(pkt, off, err)
		return nil
	}
	if int64(blen) > int64(f.br.Size()) && f.inner == nil && blen <= pcapngMaxBuf {
		f.grow()
	}
	if int64(blen) > int64(f.br.Size()) {
		return f.skipLarge(typ, blen, pkt, off)
	}
	b, err := f.br.Peek(int(blen))
	if len(b) < int(blen) {
		if err == io.EOF {
			err = fmt.Errorf("%s: truncated: %d of %d bytes present", what, len(b), blen)
		} else {
			err = fmt.Errorf("%s: read: %w", what, err)
		}
		if !f.started {
			return f.failHead(err)
		}
		f.fail(pkt, off, err)
		return nil
	}
	if tl := f.u32(b[blen-4:]); tl != blen {
		err := fmt.Errorf("%s: trailing block length %d differs from leading length %d", what, tl, blen)
		if !f.started {
			return f.failHead(err)
		}
		f.fail(pkt, off, err)
		return nil
	}
	switch typ {
	case ngSHB:
		if err := f.checkSHB(b); err != nil {
			if !f.started {
				return f.failHead(err)
			}
			f.fail(0, off, err)
			return nil
		}
		f.started = true
		f.lts = f.lts[:0]
		f.snap0 = 0
	case ngIDB:
		if err := f.checkIDB(b); err != nil {
			f.fail(0, off, fmt.Errorf("interface %d: %w", len(f.lts), err))
			return nil
		}
		if len(f.lts) == 0 {
			f.snap0 = f.u32(b[12:16])
		}
		f.lts = append(f.lts, layers.LinkType(f.u16(b[8:10])))
	case ngEPB, ngPB, ngSPB:
		lt, err := f.checkPacket(typ, b)
		if err != nil {
			f.report(recordError{packet: pkt, offset: off, err: fmt.Errorf("%s: %w; block skipped", what, err)})
			_, _ = f.br.Discard(int(blen))
			return nil
		}
		f.lastPacket, f.lastLT = pkt, lt
	default:
		// Name resolution, interface statistics, decryption secrets,
		// custom and unknown blocks: the sensor needs none of them.
		_, _ = f.br.Discard(int(blen))
		return nil
	}
	f.remain = int(blen)
	return nil
}

// skipLarge handles a block larger than the buffer: it cannot be checked, so
// a packet block is skipped as malformed (no real packet is that large), a
// header block ends the file, and another block is skipped silently.
func (f *ngFramer) skipLarge(typ, blen uint32, pkt uint64, off int64) error {
	what := blockName(typ)
	if typ == ngSHB || typ == ngIDB {
		err := fmt.Errorf("%s: block of %d bytes exceeds the %d-byte limit", what, blen, pcapngMaxBuf)
		if !f.started {
			return f.failHead(err)
		}
		f.fail(pkt, off, err)
		return nil
	}
	if n, err := f.br.Discard(int(blen) - 4); err != nil {
		f.fail(pkt, off, fmt.Errorf("%s: truncated: %d of %d bytes present", what, n, blen))
		return nil
	}
	t, err := f.br.Peek(4)
	if len(t) < 4 {
		f.fail(pkt, off, fmt.Errorf("%s: truncated: %d of %d bytes present: %v", what, int(blen)-4+len(t), blen, err))
		return nil
	}
	if tl := f.u32(t); tl != blen {
		f.fail(pkt, off, fmt.Errorf("%s: trailing block length %d differs from leading length %d", what, tl, blen))
		return nil
	}
	_, _ = f.br.Discard(4)
	if pkt > 0 {
		f.report(recordError{packet: pkt, offset: off, err: fmt.Errorf("%s: block of %d bytes exceeds the %d-byte limit; block skipped", what, blen, pcapngMaxBuf)})
	}
	return nil
}

// checkSHB checks a whole section header block b.
func (f *ngFramer) checkSHB(b []byte) error {
	if len(b) < 28 {
		return fmt.Errorf("pcapng section header: block length %d below the minimum of 28", len(b))
	}
	if major, minor := f.u16(b[12:14]), f.u16(b[14:16]); major != 1 || minor != 0 {
		return fmt.Errorf("unsupported pcapng version %d.%d (1.0 is supported)", major, minor)
	}
	if err := f.checkOptions(b[24 : len(b)-4]); err != nil {
		return fmt.Errorf("pcapng section header: %w", err)
	}
	return nil
}

// checkIDB checks a whole interface description block b.
func (f *ngFramer) checkIDB(b []byte) error {
	if len(b) < 20 {
		return fmt.Errorf("block length %d below the minimum of 20", len(b))
	}
	opts := b[16 : len(b)-4]
	if err := f.checkOptions(opts); err != nil {
		return err
	}
	// if_tsresol (code 9): pcapgo rejects exponents above 63; decimal
	// exponents above 19 do not fit in 64 bits either.
	for len(opts) >= 4 {
		code, olen := f.u16(opts[0:2]), int(f.u16(opts[2:4]))
		if code == 0 {
			break
		}
		if code == 9 && olen >= 1 {
			v := opts[4]
			exp := v & 0x7f
			if (v&0x80 != 0 && exp > 63) || (v&0x80 == 0 && exp > 19) {
				return fmt.Errorf("unsupported timestamp resolution option 0x%02x", v)
			}
		}
		opts = opts[4+(olen+3)&^3:]
	}
	return nil
}

// checkPacket checks a whole packet block b and returns its link type.
func (f *ngFramer) checkPacket(typ uint32, b []byte) (layers.LinkType, error) {
	if typ == ngSPB {
		if len(b) < 16 {
			return 0, fmt.Errorf("block length %d below the minimum of 16", len(b))
		}
		if len(f.lts) == 0 {
			return 0, errors.New("no interface described before the packet")
		}
		// pcapgo takes the original length, cut to interface 0's snapshot
		// length, as the captured length.
		caplen := f.u32(b[8:12])
		if f.snap0 != 0 && caplen > f.snap0 {
			caplen = f.snap0
		}
		if int64(caplen) > int64(len(b)-16) {
			return 0, fmt.Errorf("packet length %d exceeds the %d data bytes of the block", caplen, len(b)-16)
		}
		return f.lts[0], nil
	}
	if len(b) < 32 {
		return 0, fmt.Errorf("block length %d below the minimum of 32", len(b))
	}
	var ifid int
	if typ == ngEPB {
		ifid = int(f.u32(b[8:12]))
	} else {
		ifid = int(f.u16(b[8:10]))
	}
	if ifid < 0 || ifid >= len(f.lts) {
		return 0, fmt.Errorf("interface id %d not described (the section has %d)", uint32(ifid), len(f.lts))
	}
	caplen := f.u32(b[20:24])
	if int64(caplen) > int64(len(b)-32) {
		return 0, fmt.Errorf("captured length %d exceeds the %d data bytes of the block", caplen, len(b)-32)
	}
	if err := f.checkOptions(b[28+(int(caplen)+3)&^3 : len(b)-4]); err != nil {
		return 0, err
	}
	return f.lts[ifid], nil
}

// checkOptions checks that the options in b (up to the block trailer) are
// well formed and stay inside the block.
func (f *ngFramer) checkOptions(b []byte) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("%d stray bytes after the options", len(b))
		}
		code, olen := f.u16(b[0:2]), int(f.u16(b[2:4]))
		if code == 0 {
			if olen != 0 {
				return fmt.Errorf("end-of-options with length %d", olen)
			}
			return nil
		}
		need := 4 + (olen+3)&^3
		if need > len(b) {
			return fmt.Errorf("option %d of length %d overruns the block (%d bytes left)", code, olen, len(b)-4)
		}
		b = b[need:]
	}
	return nil
}

// blockName names a block type in messages.
func blockName(typ uint32) string {
	switch typ {
	case ngSHB:
		return "section header block"
	case ngIDB:
		return "interface description block"
	case ngPB:
		return "packet block"
	case ngSPB:
		return "simple packet block"
	case ngEPB:
		return "enhanced packet block"
	default:
		return fmt.Sprintf("block type 0x%08x", typ)
	}
}
