// Package capture is the first stage of the cnids sensor: it produces raw
// packets with their capture information and counts what was received and
// what was lost. It knows nothing of decoding or flows.
//
// # Sources
//
// Three implementations share the [Source] contract:
//
//   - [Files] reads pcap and pcapng files (and "-" for standard input) with
//     gopacket's pcapgo, as one timeline in the order given (see [OpenFiles]).
//   - [Live] captures from an interface with libpcap (see [OpenLive]).
//   - [AFPacket] captures from an interface with a Linux TPACKET_V3 ring,
//     optionally as one member of a fanout group (see [OpenAFPacket]).
//
// All three are opened after their options have been validated, so that a bad
// option is reported before any device or file is touched.
//
// # The Source contract
//
// ReadPacket returns the next packet, its [Info] and a nil error. The returned
// data is zero-copy: it belongs to the source and is overwritten by the next
// call to ReadPacket and invalidated by Close. The caller copies what it keeps.
// LinkType reports the link type of the packet just returned: it can change
// between files of one run and between the interfaces of one pcapng file.
//
// ReadPacket returns a non-nil error with no packet in these cases:
//
//   - io.EOF: the end of the input. For files, after the last record of the
//     last file; for live sources, after Close. io.EOF is returned again on
//     every later call.
//   - ctx.Err(): the context was cancelled or timed out. No packet is lost:
//     for files, a packet that was waiting for its pacing slot is returned by
//     the next call. A live source blocked in a read notices the cancellation
//     within one read timeout.
//   - [ErrIdle] (live sources only): the read timeout expired with no packet.
//     The returned Info carries no packet but its Timestamp is the wall-clock
//     time at the timeout, so that the flow stage can advance its clock and
//     expire flows on a quiet link. Call ReadPacket again to go on. Idle ticks
//     come at most once per read timeout (LiveOptions.Timeout,
//     AFPacketOptions.Timeout), and only while no packet arrives.
//   - any other error: the capture failed (for example the interface went
//     away); the error names the interface.
//
// Close may be called from another goroutine while ReadPacket is blocked: the
// blocked call returns io.EOF within one read timeout (at most one second).
// Close invalidates the data of the last packet (AFPacket unmaps its ring),
// so the reading goroutine must not be using it when Close runs; the usual
// shutdown is to cancel the context, let the reader return, then Close.
//
// # Counters
//
// Stats returns a snapshot of the counters, safe to call from any goroutine
// while another goroutine reads:
//
//   - Received: packets received. For files, the packets returned by
//     ReadPacket (records that were read and passed the filter). For live
//     sources, what the kernel reports: libpcap's ps_recv or the AF_PACKET
//     socket's tp_packets, which count packets that passed the kernel filter,
//     including those then dropped for lack of buffer space.
//   - KernelDropped: packets the kernel dropped because the capture buffer was
//     full (ps_drop, tp_drops). Always zero for files.
//   - IfaceDropped: packets the interface or its driver dropped (ps_ifdrop).
//     Always zero for files and AF_PACKET.
//   - Malformed: file records that could not be read and were skipped: a
//     truncated last record, a record whose lengths contradict each other or
//     the file, a corrupt pcapng block. Always zero for live sources.
//   - Filtered: file records that were read but rejected by the BPF filter.
//     Live sources filter in the kernel, which does not count rejections.
//   - Dropped: packets dropped by cnids itself after capture, for example on a
//     full queue. The source never increments it: the wiring calls
//     AddDropped, so that every loss is reported in one place.
//   - FilesOpened, FilesFailed: input files whose header was read, and input
//     files that could not be read at all (missing, not a capture, bad
//     version, truncated header) or, with a filter, not filtered as asked.
//     A run with FilesFailed > 0 should end with a non-zero exit status.
//
// # Errors in files
//
// A bad file does not stop a run of several files. Each problem is recorded
// as a [*FileError] that names the file, its index in the run and, for a bad
// record, the packet number (counted as Wireshark numbers frames: the 1-based
// ordinal of the packet record in its file, counting malformed and filtered
// records too) and the byte offset of the record. [Files.Errs] returns them
// after (or during) the run, in the order they happened, like the error of a
// bufio.Scanner. A file that cannot be opened or has a bad header is counted
// in FilesFailed and skipped. A bad record is counted in Malformed; reading
// goes on after it where the format allows finding the next record (a pcap
// record whose captured length exceeds its original length, a pcapng block
// whose framing is intact but whose content is not), and otherwise the rest
// of that file is skipped and the error says so. At most 16 record errors are
// listed per file; a last error gives the number of those not listed.
// ReadPacket never returns these errors: it goes on to the next file and ends
// with io.EOF.
//
// # Formats
//
// The format is detected from the first bytes of the file, never from its
// name: pcap (little or big endian, microsecond or nanosecond magic, version
// 2.0 to 2.4 as libpcap accepts), pcapng (any number of sections and
// interfaces, mixed link types, either byte order), each optionally
// gzip-compressed. pcapgo does the parsing; this package adds what it lacks
// for untrusted input, written by hand because no library offers it:
//
//   - a check of the pcap file header as libpcap does it (reserved link-type
//     bits, version), so that files libpcap and Wireshark reject are rejected;
//   - for pcapng, a block framer in front of pcapgo that checks every block's
//     length, trailer, interface id, captured length and options before pcapgo
//     parses it, skips blocks the sensor does not need (name resolution,
//     statistics, decryption secrets, custom and unknown blocks), and skips a
//     damaged packet block without losing the rest of the file;
//   - byte offsets and packet numbers for the error reports.
//
// A pcapng block larger than 1 MiB cannot be checked: a packet block that
// large (no real packet is) is skipped as malformed. Reading allocates
// nothing per packet, except inside pcapgo for pcapng interfaces whose link
// type number is 256 or more (Linux SLL2: two bytes per packet). A pcapng simple packet
// block has no time stamp: its Info.Timestamp is the zero time.Time. A pcap
// record longer than the file's snapshot length is returned whole, where
// libpcap would cut it to the snapshot length.
//
// # Pacing
//
// With FileOptions.Speed > 0, files are replayed in packet time: a [Pacer]
// releases each packet when the wall clock reaches
//
//	start + (t - t0) / speed
//
// where t is the packet's timestamp, t0 that of the first packet of the run
// and start the wall-clock time at which the first packet was released. The
// schedule is absolute, so time spent by the caller between packets does not
// accumulate into drift. A packet whose slot has passed, or whose timestamp is
// earlier than t0 or unset, is released at once. Speed 1 is real time and
// speed 10 ten times faster; speed 0 reads as fast as possible. Pacing waits
// honour the context.
package capture
