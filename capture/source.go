package capture

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Source produces packets. See the package documentation for the full
// contract: zero-copy data, io.EOF at the end, ErrIdle ticks on idle live
// captures, and which goroutines may call what.
type Source interface {
	// ReadPacket returns the next packet. The data may be overwritten by the
	// next call: the caller copies what it keeps.
	ReadPacket(ctx context.Context) (data []byte, ci Info, err error)
	// LinkType is the link type of the packet just returned.
	LinkType() layers.LinkType
	// Stats returns a snapshot of the counters; safe from any goroutine.
	Stats() Stats
	// Close releases the source; safe to call while ReadPacket is blocked.
	Close() error
}

// ErrIdle is returned by the ReadPacket method of a live source when its read
// timeout expired without a packet. The Info returned with it has no packet
// but its Timestamp is the wall-clock time of the timeout, so that the caller
// can advance packet time on a quiet link.
var ErrIdle = errors.New("capture: idle, no packet within the read timeout")

// Info describes one captured packet.
type Info struct {
	gopacket.CaptureInfo
	// File is the input file name as given ("-" for standard input), or ""
	// for a live capture.
	File string
	// FileIndex is the index of File in the names given to OpenFiles. A
	// change of FileIndex between two packets marks the start of a new file,
	// for callers that reset their state per file.
	FileIndex int
	// Packet is the 1-based number of the packet record within its file, as
	// Wireshark numbers frames (malformed and filtered records are counted
	// too). For live captures it numbers the packets returned since opening.
	Packet uint64
}

// Stats is a snapshot of a source's counters. See the package documentation
// for the meaning of each.
type Stats struct {
	// Received counts packets received (returned, for files; reported by the
	// kernel, for live captures).
	Received uint64
	// KernelDropped counts packets the kernel dropped for lack of buffer.
	KernelDropped uint64
	// IfaceDropped counts packets dropped by the interface or its driver.
	IfaceDropped uint64
	// Malformed counts unreadable file records that were skipped.
	Malformed uint64
	// Filtered counts file records rejected by the BPF filter.
	Filtered uint64
	// Dropped counts packets dropped by cnids after capture (AddDropped).
	Dropped uint64
	// FilesOpened counts input files whose header was read.
	FilesOpened int
	// FilesFailed counts input files that could not be read as asked.
	FilesFailed int
}

// counters are the atomically updated counters shared by all sources.
type counters struct {
	received      atomic.Uint64
	kernelDropped atomic.Uint64
	ifaceDropped  atomic.Uint64
	malformed     atomic.Uint64
	filtered      atomic.Uint64
	dropped       atomic.Uint64
	filesOpened   atomic.Int64
	filesFailed   atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received:      c.received.Load(),
		KernelDropped: c.kernelDropped.Load(),
		IfaceDropped:  c.ifaceDropped.Load(),
		Malformed:     c.malformed.Load(),
		Filtered:      c.filtered.Load(),
		Dropped:       c.dropped.Load(),
		FilesOpened:   int(c.filesOpened.Load()),
		FilesFailed:   int(c.filesFailed.Load()),
	}
}

// FileError reports a problem with one input file: the whole file (Packet 0)
// or one record in it.
type FileError struct {
	// File is the file name as given ("-" for standard input).
	File string
	// FileIndex is the index of the file in the names given to OpenFiles.
	FileIndex int
	// Packet is the 1-based number of the bad packet record, or 0 when the
	// problem concerns the file as a whole or a non-packet block.
	Packet uint64
	// Offset is the byte offset of the bad record or block in the file
	// (after decompression), or -1 when it does not apply.
	Offset int64
	// Err is what was wrong.
	Err error
}

// Error implements error.
func (e *FileError) Error() string {
	switch {
	case e.Packet > 0 && e.Offset >= 0:
		return fmt.Sprintf("capture: %s: packet %d at byte %d: %v", e.File, e.Packet, e.Offset, e.Err)
	case e.Packet > 0:
		return fmt.Sprintf("capture: %s: packet %d: %v", e.File, e.Packet, e.Err)
	case e.Offset >= 0:
		return fmt.Sprintf("capture: %s: at byte %d: %v", e.File, e.Offset, e.Err)
	default:
		return fmt.Sprintf("capture: %s: %v", e.File, e.Err)
	}
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// ctxDone reports the context's error without blocking; it is cheaper than
// ctx.Err() on the per-packet path.
func ctxDone(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}
