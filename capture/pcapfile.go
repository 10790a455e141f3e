package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// maxSnapLen is libpcap's MAXIMUM_SNAPLEN, the largest captured length it
// produces; pcapgo takes records up to the larger of it and the file's
// snapshot length.
const maxSnapLen = 262144

// pcap record-length layouts, as libpcap handles them: files before version
// 2.3 have the captured and original lengths in the other order, and some
// 2.3 files have them in either order.
const (
	lengthsInOrder = iota
	lengthsMaybeSwapped
	lengthsSwapped
)

// isPcap reports whether the first bytes of a file are a pcap magic number.
func isPcap(head [4]byte) bool {
	_, _, ok := pcapMagic(head)
	return ok
}

// pcapMagic decodes a pcap magic number into byte order and resolution.
func pcapMagic(head [4]byte) (order binary.ByteOrder, nano bool, ok bool) {
	switch binary.LittleEndian.Uint32(head[:]) {
	case 0xa1b2c3d4:
		return binary.LittleEndian, false, true
	case 0xa1b23c4d:
		return binary.LittleEndian, true, true
	case 0xd4c3b2a1:
		return binary.BigEndian, false, true
	case 0x4d3cb2a1:
		return binary.BigEndian, true, true
	}
	return nil, false, false
}

// pcapRecords reads the records of a classic pcap file with pcapgo.
type pcapRecords struct {
	r       *pcapgo.Reader
	br      *bufio.Reader // pcapgo reads from br directly (no buffer of its own)
	cnt     *countReader  // counts the bytes br has taken from the file
	report  func(recordError)
	order   binary.ByteOrder
	nano    bool
	lengths int
	lt      layers.LinkType
	maxCap  int64
	n       uint64   // records met so far
	hdr     [16]byte // the header of the current record
	buf     []byte   // packet buffer of the swapped-lengths path
	done    bool
}

// openPcap checks the file header as libpcap does and opens a pcapgo reader.
// head holds the four magic bytes already read from cnt.
func openPcap(head [4]byte, cnt *countReader, report func(recordError)) (*pcapRecords, error) {
	var hdr [24]byte
	copy(hdr[:4], head[:])
	if n, err := io.ReadFull(cnt, hdr[4:]); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("truncated pcap file header: %d of 24 bytes", 4+n)
		}
		return nil, fmt.Errorf("read pcap file header: %w", err)
	}
	order, nano, _ := pcapMagic(head)
	major, minor := order.Uint16(hdr[4:6]), order.Uint16(hdr[6:8])
	if major != 2 || minor > 4 {
		return nil, fmt.Errorf("unsupported pcap version %d.%d (2.0 to 2.4 are supported)", major, minor)
	}
	ltField := order.Uint32(hdr[20:24])
	if ltField&0x03ff0000 != 0 {
		return nil, fmt.Errorf("pcap link-type field 0x%08x has its reserved bits set", ltField)
	}
	lt := layers.LinkType(ltField & 0xffff)
	snaplen := order.Uint32(hdr[16:20])
	p := &pcapRecords{cnt: cnt, report: report, order: order, nano: nano, lt: lt, maxCap: max(int64(snaplen), maxSnapLen)}
	switch {
	case minor < 3:
		p.lengths = lengthsSwapped
	case minor == 3:
		p.lengths = lengthsMaybeSwapped
	}
	// pcapgo takes version 2.4 only and keeps the whole link-type field:
	// show it the header it understands. The record layout differences of
	// older versions are handled in next.
	order.PutUint16(hdr[6:8], 4)
	order.PutUint32(hdr[20:24], uint32(lt))
	p.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(hdr[:]), cnt), pcapBufSize)
	r, err := pcapgo.NewReader(p.br)
	if err != nil {
		return nil, fmt.Errorf("pcap file header: %w", err)
	}
	p.r = r
	return p, nil
}

func (p *pcapRecords) bigEndian() bool { return p.order == binary.BigEndian }

// offset is the position of br in the file.
func (p *pcapRecords) offset() int64 { return p.cnt.n - int64(p.br.Buffered()) }

func (p *pcapRecords) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, uint64, error) {
	for !p.done {
		off := p.offset()
		h, err := p.br.Peek(16)
		if len(h) < 16 {
			p.done = true
			if len(h) == 0 && err == io.EOF {
				break // the clean end of the file
			}
			p.n++
			if err == io.EOF {
				p.fail(off, fmt.Errorf("truncated record header: %d of 16 bytes", len(h)))
			} else {
				p.fail(off, fmt.Errorf("read: %w", err))
			}
			break
		}
		p.n++
		copy(p.hdr[:], h)
		caplen, origlen := p.order.Uint32(p.hdr[8:12]), p.order.Uint32(p.hdr[12:16])
		if p.lengths == lengthsSwapped || (p.lengths == lengthsMaybeSwapped && caplen > origlen) {
			data, ci, ok := p.readSwapped(off, origlen, caplen)
			if !ok {
				break
			}
			return data, ci, p.lt, p.n, nil
		}
		data, ci, err := p.r.ZeroCopyReadPacketData()
		if err == nil {
			return data, ci, p.lt, p.n, nil
		}
		switch {
		case int64(caplen) > p.maxCap:
			p.fail(off, fmt.Errorf("captured length %d exceeds the snapshot length %d: record header corrupt", caplen, p.maxCap))
		case caplen > origlen:
			// The record is framed by its captured length: skip it.
			if n, err := p.br.Discard(int(caplen)); err != nil {
				p.fail(off, fmt.Errorf("truncated record: %d of %d captured bytes present", n, caplen))
				break
			}
			p.report(recordError{packet: p.n, offset: off, err: fmt.Errorf("captured length %d exceeds original length %d: record skipped", caplen, origlen)})
			continue
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			p.fail(off, fmt.Errorf("truncated record: %d of %d captured bytes present", p.offset()-off-16, caplen))
		default:
			p.fail(off, fmt.Errorf("read: %w", err))
		}
		break
	}
	return nil, gopacket.CaptureInfo{}, p.lt, 0, io.EOF
}

// fail reports a malformed record after which the file cannot be followed.
func (p *pcapRecords) fail(off int64, err error) {
	p.done = true
	p.report(recordError{packet: p.n, offset: off, fatal: true, err: err})
}

// readSwapped reads a record of a pre-2.4 file whose length fields are in the
// pre-2.3 order (libpcap's rule), which pcapgo does not know about.
func (p *pcapRecords) readSwapped(off int64, caplen, origlen uint32) ([]byte, gopacket.CaptureInfo, bool) {
	if int64(caplen) > p.maxCap {
		p.fail(off, fmt.Errorf("captured length %d exceeds the snapshot length %d: record header corrupt", caplen, p.maxCap))
		return nil, gopacket.CaptureInfo{}, false
	}
	if _, err := p.br.Discard(16); err != nil {
		p.fail(off, fmt.Errorf("read: %w", err))
		return nil, gopacket.CaptureInfo{}, false
	}
	var data []byte
	if caplen <= maxSnapLen {
		if cap(p.buf) < int(caplen) {
			p.buf = make([]byte, max(int(caplen), 2048))
		}
		data = p.buf[:caplen]
		if n, err := io.ReadFull(p.br, data); err != nil {
			p.fail(off, fmt.Errorf("truncated record: %d of %d captured bytes present", n, caplen))
			return nil, gopacket.CaptureInfo{}, false
		}
	} else {
		// A length beyond any real packet, allowed by a large snapshot
		// length in the header: let the buffer grow with the bytes that
		// are really there, so that a corrupt length cannot make us
		// allocate gigabytes.
		var buf bytes.Buffer
		if n, err := io.CopyN(&buf, p.br, int64(caplen)); err != nil {
			p.fail(off, fmt.Errorf("truncated record: %d of %d captured bytes present", n, caplen))
			return nil, gopacket.CaptureInfo{}, false
		}
		data = buf.Bytes()
	}
	frac := int64(p.order.Uint32(p.hdr[4:8]))
	if !p.nano {
		frac *= 1000
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(int64(p.order.Uint32(p.hdr[0:4])), frac).UTC(),
		CaptureLength: int(caplen),
		Length:        int(origlen),
	}
	return data, ci, true
}
