package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// Stdin is the file name that stands for standard input in OpenFiles.
const Stdin = "-"

// maxListedPerFile is the number of record errors listed per file; the rest
// are counted and summarised.
const maxListedPerFile = 16

// Buffer sizes of the readers. A pcapng block must fit in the buffer to be
// checked before pcapgo parses it: the buffer starts small and grows once,
// for the first block that needs it, up to pcapngMaxBuf. libpcap's largest
// snapshot length is 262144 bytes, so every real packet block fits.
const (
	pcapBufSize   = 64 << 10
	pcapngBufSize = 64 << 10
	pcapngMaxBuf  = 1 << 20
)

// FileOptions configures OpenFiles.
type FileOptions struct {
	// Speed paces the replay in packet time: 0 reads as fast as possible,
	// 1 in real time, N at N times real time. See Pacer.
	Speed float64
	// Filter is a BPF expression (tcpdump syntax) applied to every record;
	// records it rejects are counted in Stats.Filtered. It is compiled for
	// each link type met. Empty means no filter.
	Filter string
	// Clock is the clock used for pacing; nil means the wall clock.
	Clock Clock
}

// Files reads pcap and pcapng files as one timeline. It implements Source.
// ReadPacket and LinkType are for one goroutine; Stats, Errs, AddDropped and
// Close may be called from any.
type Files struct {
	names  []string
	open   func(name string) (io.ReadCloser, error)
	pacer  *Pacer
	filter *filterSet

	next int        // index of the next file to open
	cur  *inputFile // the file being read, nil between files
	lt   layers.LinkType

	// A packet whose pacing wait was interrupted by the context, returned by
	// the next call.
	pending     bool
	pendingData []byte
	pendingInfo Info
	pendingLT   layers.LinkType

	c      counters
	closed atomic.Bool

	mu        sync.Mutex // guards the fields below
	errs      []error
	curCloser io.Closer
}

var _ Source = (*Files)(nil)

// OpenFiles validates the names and options and returns a source that reads
// the files in the order given, as one timeline. It opens nothing yet: the
// files are opened one at a time by ReadPacket, and a file that cannot be
// read is reported through Errs and Stats.FilesFailed, not here. The name "-"
// reads standard input and may be given once.
func OpenFiles(names []string, opt FileOptions) (*Files, error) {
	if len(names) == 0 {
		return nil, errors.New("capture: no input files")
	}
	stdin := 0
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("capture: input file %d: empty name", i)
		}
		if n == Stdin {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, fmt.Errorf("capture: standard input (%q) given %d times; it can be read once", Stdin, stdin)
	}
	if opt.Speed < 0 || math.IsNaN(opt.Speed) || math.IsInf(opt.Speed, 0) {
		return nil, fmt.Errorf("capture: speed %v: must be a finite number >= 0", opt.Speed)
	}
	f := &Files{names: append([]string(nil), names...), open: openInput}
	if opt.Speed > 0 {
		p, err := NewPacer(opt.Speed, opt.Clock)
		if err != nil {
			return nil, err
		}
		f.pacer = p
	}
	if opt.Filter != "" {
		fs, err := newFilterSet(opt.Filter)
		if err != nil {
			return nil, err
		}
		f.filter = fs
	}
	return f, nil
}

// openInput opens a file by name, or standard input for "-".
func openInput(name string) (io.ReadCloser, error) {
	if name == Stdin {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(name)
}

// ReadPacket returns the next packet of the run; see Source. At the end of
// the last file it returns io.EOF; problems with files are not returned but
// recorded (Errs, Stats).
func (f *Files) ReadPacket(ctx context.Context) ([]byte, Info, error) {
	if f.closed.Load() {
		return nil, Info{}, io.EOF
	}
	if err := ctxDone(ctx); err != nil {
		return nil, Info{}, err
	}
	if f.pending {
		if err := f.pacer.Wait(ctx, f.pendingInfo.Timestamp); err != nil {
			return nil, Info{}, err
		}
		f.pending = false
		f.lt = f.pendingLT
		f.c.received.Add(1)
		return f.pendingData, f.pendingInfo, nil
	}
	for {
		if f.closed.Load() {
			f.finishFile()
			return nil, Info{}, io.EOF
		}
		if f.cur == nil {
			if f.next >= len(f.names) {
				return nil, Info{}, io.EOF
			}
			f.openNext()
			continue
		}
		data, ci, lt, pkt, err := f.cur.safeNext()
		if err != nil {
			// The only error is the end of the file; its problems have been
			// reported through the file's report function.
			f.finishFile()
			continue
		}
		if f.filter != nil {
			prog, ferr := f.filter.forLinkType(lt, f.cur.rec.bigEndian())
			if ferr != nil {
				f.fileFailed(&FileError{File: f.cur.name, FileIndex: f.cur.index, Packet: pkt, Offset: -1,
					Err: fmt.Errorf("filter %q cannot be applied to link type %s (%d); rest of file skipped: %w", f.filter.expr, lt, int(lt), ferr)})
				f.finishFile()
				continue
			}
			if !prog.Matches(ci, data) {
				f.c.filtered.Add(1)
				continue
			}
		}
		info := Info{CaptureInfo: ci, File: f.cur.name, FileIndex: f.cur.index, Packet: pkt}
		if f.pacer != nil {
			if err := f.pacer.Wait(ctx, ci.Timestamp); err != nil {
				f.pending, f.pendingData, f.pendingInfo, f.pendingLT = true, data, info, lt
				return nil, Info{}, err
			}
		}
		f.lt = lt
		f.c.received.Add(1)
		return data, info, nil
	}
}

// openNext opens the next file; on failure it records the error and moves on.
func (f *Files) openNext() {
	idx := f.next
	f.next++
	name := f.names[idx]
	in, err := f.openFile(name, idx)
	if err != nil {
		f.fileFailed(&FileError{File: name, FileIndex: idx, Offset: -1, Err: err})
		return
	}
	f.c.filesOpened.Add(1)
	f.cur = in
}

// openFile opens one file and reads its header. The returned error concerns
// the file as a whole.
func (f *Files) openFile(name string, idx int) (in *inputFile, err error) {
	rc, err := f.open(name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	f.mu.Lock()
	f.curCloser = rc
	f.mu.Unlock()
	in = &inputFile{name: name, index: idx, files: f}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: parser panic while reading the file header: %v", r)
		}
		if err != nil {
			f.closeCurrent()
			in = nil
		}
	}()
	rec, err := openRecords(rc, in.report)
	if err != nil {
		return nil, err
	}
	in.rec = rec
	return in, nil
}

// fileFailed counts and records a file that could not be read as asked.
func (f *Files) fileFailed(e *FileError) {
	f.c.filesFailed.Add(1)
	f.addErr(e)
}

// finishFile closes the current file, summarising unlisted errors.
func (f *Files) finishFile() {
	in := f.cur
	f.cur = nil
	if in == nil {
		return
	}
	if in.unlisted > 0 && !f.closed.Load() {
		f.addErr(&FileError{File: in.name, FileIndex: in.index, Offset: -1,
			Err: fmt.Errorf("%d malformed records: %d not listed", in.listed+in.unlisted, in.unlisted)})
	}
	f.closeCurrent()
}

func (f *Files) closeCurrent() {
	f.mu.Lock()
	c := f.curCloser
	f.curCloser = nil
	f.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

func (f *Files) addErr(e error) {
	f.mu.Lock()
	f.errs = append(f.errs, e)
	f.mu.Unlock()
}

// LinkType returns the link type of the packet just returned.
func (f *Files) LinkType() layers.LinkType { return f.lt }

// Stats returns a snapshot of the counters.
func (f *Files) Stats() Stats { return f.c.snapshot() }

// AddDropped adds n to the Dropped counter, for packets cnids dropped after
// reading them.
func (f *Files) AddDropped(n uint64) { f.c.dropped.Add(n) }

// Errs returns the problems met so far, in order: each is a *FileError.
func (f *Files) Errs() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// Close stops reading: the current file is closed and ReadPacket returns
// io.EOF from now on. Close is safe to call from another goroutine and more
// than once.
func (f *Files) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	f.closeCurrent()
	return nil
}

// inputFile is one open input file.
type inputFile struct {
	name     string
	index    int
	files    *Files
	rec      records
	listed   int
	unlisted int
}

// records reads the packet records of one file. next returns io.EOF at the
// end of the file, clean or not: problems are given to the report function
// that was passed to the constructor.
type records interface {
	next() (data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, packet uint64, err error)
	// bigEndian reports the byte order of the file (of the current section,
	// for pcapng), which the filter depends on.
	bigEndian() bool
}

// recordError describes one malformed record.
type recordError struct {
	packet uint64 // 0 for a non-packet block
	offset int64
	fatal  bool // the rest of the file was skipped
	err    error
}

// report counts a malformed record and lists it, up to maxListedPerFile.
func (in *inputFile) report(re recordError) {
	f := in.files
	if f.closed.Load() {
		return // a read interrupted by Close is not a malformed record
	}
	f.c.malformed.Add(1)
	if in.listed >= maxListedPerFile {
		in.unlisted++
		return
	}
	in.listed++
	err := re.err
	if re.fatal {
		err = fmt.Errorf("%w; rest of file skipped", err)
	}
	f.addErr(&FileError{File: in.name, FileIndex: in.index, Packet: re.packet, Offset: re.offset, Err: err})
}

// safeNext reads the next record, turning a parser panic into a reported
// malformed record that ends the file: a daemon reading untrusted files must
// not crash. The fuzz tests check that this never happens.
func (in *inputFile) safeNext() (data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, pkt uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			in.report(recordError{offset: -1, fatal: true, err: fmt.Errorf("internal error: parser panic: %v", r)})
			data, err = nil, io.EOF
		}
	}()
	return in.rec.next()
}

// countReader counts the bytes read through it, for error offsets.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// isGzip reports whether a file starts with the gzip magic.
func isGzip(head [4]byte) bool { return head[0] == 0x1f && head[1] == 0x8b }

// openRecords detects the format of r from its first bytes and returns a
// reader of its records.
func openRecords(r io.Reader, report func(recordError)) (records, error) {
	cnt := &countReader{r: r}
	var head [4]byte
	n, err := io.ReadFull(cnt, head[:])
	if err != nil {
		return nil, shortFileError(n, err)
	}
	if isGzip(head) {
		gz := head // the gzip header bytes; head is reused below
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(gz[:]), r))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		cnt = &countReader{r: zr}
		n, err = io.ReadFull(cnt, head[:])
		if err != nil {
			if n == 0 && err == io.EOF {
				return nil, errors.New("gzip: empty content")
			}
			return nil, fmt.Errorf("gzip content: %w", shortFileError(n, err))
		}
		if isGzip(head) {
			return nil, errors.New("gzip inside gzip: not supported")
		}
	}
	switch {
	case isPcap(head):
		return openPcap(head, cnt, report)
	case head == [4]byte{0x0a, 0x0d, 0x0d, 0x0a}:
		return openPcapng(head, cnt, report)
	case head == [4]byte{0x28, 0xb5, 0x2f, 0xfd}:
		return nil, errors.New("zstd-compressed file: not supported, decompress it first")
	case head == [4]byte{0x04, 0x22, 0x4d, 0x18}:
		return nil, errors.New("lz4-compressed file: not supported, decompress it first")
	case head == [4]byte{0xa1, 0xb2, 0xcd, 0x34} || head == [4]byte{0x34, 0xcd, 0xb2, 0xa1}:
		return nil, errors.New("modified (Kuznetzov) pcap format: not supported")
	default:
		return nil, fmt.Errorf("not a pcap or pcapng file (first bytes % x)", head[:])
	}
}

func shortFileError(n int, err error) error {
	switch {
	case n == 0 && err == io.EOF:
		return errors.New("empty file")
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("file too short to be a capture (%d bytes)", n)
	default:
		return fmt.Errorf("read: %w", err)
	}
}

// filterSet holds a BPF filter compiled for each link type and byte order
// met.
type filterSet struct {
	expr  string
	last  filterKey
	prog  *pcap.BPF // compiled for last
	byKey map[filterKey]filterEntry
}

// filterKey selects a compiled filter: libpcap compiles some filters
// differently for a file written in the other byte order (the address family
// word of DLT_NULL is in the writer's byte order).
type filterKey struct {
	lt        layers.LinkType
	bigEndian bool
}

type filterEntry struct {
	prog *pcap.BPF
	err  error
}

// newFilterSet compiles expr for a few common link types, to catch syntax
// errors before any file is read: it must compile for one of them.
func newFilterSet(expr string) (*filterSet, error) {
	s := &filterSet{expr: expr, byKey: make(map[filterKey]filterEntry)}
	var first error
	for _, lt := range [...]layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL, layers.LinkTypeIEEE80211Radio} {
		_, err := s.forLinkType(lt, hostBigEndian())
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, fmt.Errorf("capture: filter %q: %w", expr, first)
}

// forLinkType returns the filter compiled for link type lt in a file of the
// given byte order.
func (s *filterSet) forLinkType(lt layers.LinkType, bigEndian bool) (*pcap.BPF, error) {
	k := filterKey{lt, bigEndian}
	if s.prog != nil && k == s.last {
		return s.prog, nil
	}
	e, ok := s.byKey[k]
	if !ok {
		e.prog, e.err = compileOffline(k, s.expr)
		s.byKey[k] = e
	}
	if e.err == nil {
		s.prog, s.last = e.prog, k
	}
	return e.prog, e.err
}

// compileOffline compiles expr as libpcap does for a capture file of the
// given link type and byte order. pcap.NewBPF compiles as for a live
// capture, which differs: for DLT_NULL, "ip6" then matches only the local
// AF_INET6 value, where a file may come from any BSD. So the filter is
// compiled on a libpcap savefile handle opened on a pipe that holds only a
// pcap file header.
func compileOffline(k filterKey, expr string) (*pcap.BPF, error) {
	var hdr [24]byte
	var order binary.ByteOrder = binary.LittleEndian
	if k.bigEndian {
		order = binary.BigEndian
	}
	order.PutUint32(hdr[0:], 0xa1b2c3d4)
	order.PutUint16(hdr[4:], 2)
	order.PutUint16(hdr[6:], 4)
	order.PutUint32(hdr[16:], maxSnapLen)
	order.PutUint32(hdr[20:], uint32(k.lt))
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	_, err = pw.Write(hdr[:])
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	h, err := pcap.OpenOfflineFile(pr)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return h.NewBPF(expr)
}

// hostBigEndian reports whether this machine is big-endian.
func hostBigEndian() bool {
	return binary.NativeEndian.Uint16([]byte{0, 1}) == 1
}
