// Package flow decodes packets, keys them into bidirectional connections,
// tracks each connection's TCP state, reassembles the streams the content
// features read, expires and evicts connections, and emits finished
// connections (Conn) ordered by the packet time at which they finished.
//
// # Pipeline
//
// The wiring calls Table.Packet from one reader goroutine with each frame
// (data, link type, timestamp, file name, packet number). There the
// Decoder turns the frame into a compact Packet summary, IP fragments are
// reassembled, the FTP control channel is watched, and the packet is
// keyed and appended to the batch of its shard (hash of the key modulo the
// shard count). Payload bytes are copied into the batch only for TCP
// packets to or from a content port; nothing else of the capture buffer is
// kept, so the capture may overwrite it at the next read. Batches (pooled
// slices) go over channels to N shard goroutines, each owning its part of
// the table; finished connections go to one merge goroutine, which
// releases them in order on Table.Out, in batches.
//
// # Decoding
//
// Decoder wraps preallocated gopacket DecodingLayerParsers, one per first
// layer, all sharing one set of layers: Ethernet, 802.1Q and 802.1ad
// (stacked tags decode into one layer, so a wrapper records the first two
// VLAN IDs), Linux SLL and SLL2, BSD null/loopback (either byte order),
// PPP (a small layer of this package: gopacket's PPP is not a
// DecodingLayer), raw IP (DLT_RAW 12/14, LINKTYPE_RAW, LINKTYPE_IPV4,
// LINKTYPE_IPV6: the version nibble picks IPv4 or IPv6), IPv4, IPv6 with
// hop-by-hop, routing, destination-options and fragment headers, TCP, UDP,
// ICMPv4 and ICMPv6. Decoding an ordinary packet allocates nothing (the
// tests check it with testing.AllocsPerRun); IPv6 hop-by-hop options and
// MPTCP options are the exceptions, where gopacket allocates. IP-in-IP is
// decoded to the inner packet. A frame that is not IP (ARP, LLC, an
// unsupported link type...) is counted by kind and skipped; a truncated or
// invalid header is counted as malformed, by reason, and skipped. A packet
// whose captured bytes end before its IP length (snap length) is decoded
// and counted as truncated: its lengths come from the headers, its payload
// is what was captured.
//
// IPv4 fragments are reassembled by (source, destination, ID, protocol),
// IPv6 fragments by (source, destination, ID), with a timeout of packet
// time (DecoderConfig.FragTimeout, 30 s from the first fragment) and a
// memory cap (FragMemory, 4 MiB; the oldest trains are dropped and their
// fragments counted). The first copy of a byte wins. A fragment is
// "wrong" (KDD's wrong_fragment) when it overlaps earlier data without
// being an exact duplicate, is not a multiple of 8 bytes before the last
// one, disagrees with the datagram's end, or reaches past 65,535 bytes;
// a train still incomplete at its timeout (or at Flush) counts one more.
// A complete train is decoded as one packet carrying its wrong count and
// the number of fragments (packets and IP bytes count every fragment). A
// train that cannot make a datagram (oversized, or incomplete) is reported
// as a packet built from its first fragment, carrying the wrong count, so
// that it is attributed to its connection (a ping of death is one ICMP
// connection with wrong_fragment 1 and the first fragment's 1480 bytes,
// as KDD's pod rows); without a first fragment the count goes to a global
// counter.
//
// # Connections
//
// A connection is keyed by the canonical 5-tuple (the lower endpoint, by
// address bytes then port, first) plus the VLAN IDs.
//
//   - TCP: from the first packet to termination (a RST from either side,
//     or a FIN from both) plus a linger, or to its idle timeout. A bare SYN
//     on a terminated connection starts a new one.
//   - UDP: one connection per 5-tuple until it is idle for the UDP
//     timeout; its state is always SF.
//   - ICMP and ICMPv6: every packet is its own connection, emitted at
//     once: duration 0, state SF, OrigBytes the ICMP header plus data,
//     nothing from the responder (KDD's eco_i and ecr_i rows are separate
//     and all ICMP rows have dst_bytes 0).
//   - Other IP protocols: one flow per address pair and protocol, state
//     OTH, until idle.
//
// The originator is the sender of the first packet, with Zeek's exception
// for a TCP connection whose first packet is not a bare SYN (SYN-ACK seen
// first, or mid-stream): the sender's peer is the originator (the
// history starts with '^') when the sender's port is a likely server port
// (Config.ServerPorts, default every port below 1024 and common service
// ports above) and the receiver's is not; when both are, only a packet
// without SYN from the lower port is flipped, as Zeek does (a SYN-ACK
// between two server ports is kept, not to confuse stealth scans).
//
// # TCP state
//
// A TCP connection records which of SYN, SYN-ACK, FIN and RST each side
// sent; its state (Zeek's conn_state, KDD's flag) is computed from these
// facts when it is emitted. "SYN" is the originator's SYN without ACK,
// "SYN-ACK" the responder's; a SYN and a SYN-ACK mean established (Zeek
// treats the SYN-ACK as establishing). Rules are tried top to bottom, the
// responder's RST before the originator's, a RST before a FIN, as in
// Zeek:
//
//	SYN   SYN-ACK  seen after them                          state
//	yes   yes      responder RST                            RSTR
//	yes   yes      originator RST                           RSTO
//	yes   yes      FIN from both                            SF
//	yes   yes      originator FIN only                      S2
//	yes   yes      responder FIN only                       S3
//	yes   yes      no FIN, no RST                           S1
//	yes   no       responder RST                            REJ
//	yes   no       originator RST                           RSTOS0
//	yes   no       originator FIN                           SH
//	yes   no       responder silent                         S0
//	yes   no       responder sent something else            OTH
//	no    yes      responder RST, no originator FIN or RST  RSTRH
//	no    yes      responder RST otherwise                  RSTR
//	no    yes      originator RST                           RSTO
//	no    yes      responder FIN, no originator FIN         SHR
//	no    yes      anything else                            OTH
//	no    no       (mid-stream)                             OTH
//
// Unlike Zeek, a connection whose originator SYN was not seen is never
// SF, S1, S2 or S3 (DESIGN.md: OTH is "no SYN seen, mid-stream"; so
// tcp-missing-syn.pcap, which starts at the SYN-ACK and ends with a FIN
// from both, is OTH). NSL-KDD lacks RSTRH and SHR; the features package
// maps them for the model.
//
// Conn.History keeps Zeek's history letters, upper case for the
// originator, lower case for the responder, each at its first occurrence:
// a packet with more than one of SYN, FIN, RST gives I (FIN+RST) or Q;
// otherwise S (SYN), H (SYN-ACK), F, R, else D (payload) or A (ACK);
// T marks a retransmitted payload, W a zero window, ^ a flipped
// connection.
//
// # Bytes
//
// OrigBytes and RespBytes are application payload bytes (KDD's src_bytes
// and dst_bytes): the UDP payload (from the UDP length), the ICMP header
// and data, the IP payload of other protocols; for TCP, sequence space:
// the highest offset a side sent or the peer acknowledged, relative to
// its ISN (or to its first sequence number when the SYN was not seen),
// less the SYN and FIN octets, so retransmissions count once and bytes
// lost before the capture but acknowledged count. Sequence numbers are
// unwrapped to 64 bits (streams over 4 GiB, wrap-around). A segment or an
// ACK more than 8 MiB beyond the highest offset seen, or before the ISN,
// is taken for a forged number and does not count; a RST's payload is not
// stream data. OrigIPBytes and RespIPBytes sum the IP lengths, OrigPkts
// and RespPkts the packets (every fragment counts). Urgent counts packets
// with URG set; Land is set when both endpoints (address and port) are
// equal.
//
// # Timeouts
//
// All time is packet time. The clock is the latest packet time seen: a
// packet stamped earlier is taken as arriving at the clock, so records
// come out in order even from a capture whose timestamps go back. Each
// live flow is in one class, an LRU list by last activity whose flows all
// share one idle timeout, so the next timer is always a list front:
//
//	class                                   timeout (Timeouts field)   default
//	TCP, one side never sent a packet       TCPAttempt                 30 s
//	TCP, both sides sent                    TCPInactive                5 min (Zeek)
//	TCP, terminated (RST, or FIN both ways)  TCPLinger                  2 s
//	UDP                                     UDPInactive                1 min (Zeek)
//	other IP protocols                      OtherInactive              1 min
//
// A timer fires when packet time passes last activity plus timeout (a
// packet exactly at the deadline still belongs to the flow). Zeek keeps a
// closed connection 5 s and reports an unanswered SYN after 5 s; the 30 s
// attempt timeout keeps a client's SYN retransmissions (1, 3, 7, 15 s) in
// one S0 connection, and the 2 s linger is long enough for the final ACK
// and the RST answers to late segments. Timeouts.Active (off by default:
// KDD connections last up to hours) ends a long flow at its next packet,
// which then starts a new one. A terminated connection is emitted with
// Reason Closed when its linger ends, an idle one with Reason Timeout.
// Flush (end of input) emits everything: Reason Shutdown, or Closed for
// terminated ones. On a quiet live link the wiring calls Advance with the
// wall clock, so timers still fire.
//
// # Eviction
//
// Config.MaxFlows caps the live flows (split evenly over the shards; ICMP
// packets take no room). A new flow at the cap evicts one: the least
// recently active terminated flow if any, else the least recently active
// one-sided flow, one side of which never sent a packet (S0 attempts,
// scans, spoofed floods, SYN-ACK reflections), else the least recently
// active flow of all. It is emitted with
// Reason Evicted (its state as it stands) and counted. So a spoofed-source
// SYN flood cycles through the unanswered flows and leaves established
// connections alone; memory stays bounded (about 500 bytes per flow
// without content, measured by TestSYNFloodBounded).
//
// # Content
//
// For a TCP connection whose responder port is in Config.ContentPorts
// (default: ftp 21, telnet 23, smtp 25, http 80, pop3 110, imap 143,
// rexec/rlogin/rsh 512-514, http-alt 8080; the cleartext the content
// features read), each direction is reassembled in sequence order into
// Conn.Content, up to Config.ContentCap bytes (default 64 KiB) per
// direction: bytes already delivered are dropped (retransmissions and
// overlaps are not duplicated), out-of-order segments wait within the cap
// (at most 64 of them), a hole that the cap or the end of the connection
// leaves unfilled is skipped and marked in ContentGaps (as are bytes the
// capture cut, or that the peer acknowledged but were never seen), and
// bytes beyond the cap are dropped, marked in ContentTruncated and
// counted. A string typed one keystroke per segment comes out whole.
// Other connections keep no payload, and a content connection allocates
// its streams only at its first payload byte.
//
// # FTP data connections
//
// The reader watches TCP port 21: a client's PORT or EPRT command, and a
// server's 227 (PASV) or 229 (EPSV) reply, announce a data connection
// (the announced address, or the server's for 229, and port; expected
// from the server for PORT/EPRT, from the client otherwise), kept for
// Timeouts.FTPExpect (5 min), at most 16384 at a time. A later SYN to an
// announced address and port from the expected host (or the SYN-ACK
// answering it) consumes the expectation and marks its connection
// FTPData. The registry lives in the reader, before packets are split,
// so the decision does not depend on which shard processes what, and
// needs no lock. Commands and replies are read one segment at a time (FTP
// clients and servers send each in one segment).
//
// # Ordering
//
// Out delivers records ordered by Conn.Finish, the packet time at which
// each finished: End (its last packet) for a closed connection and an
// ICMP packet, End plus the idle timeout for a timed-out one, the clock
// when evicted or flushed. Ties are broken by End, then Start, then the
// arrival order of the first packet. Each shard reports a watermark with
// every batch it processes: the batch's clock, lowered to the last
// activity of its oldest lingering closed connection (whose Finish will be
// that End); the reader sends every shard a batch, empty if need be, at
// least every Config.Heartbeat of packet time (100 ms), so an idle shard
// never stalls the merge. The merger releases the records below the
// lowest watermark. The same input gives the same sequence of records
// whatever the shard count, as long as no flow was evicted (eviction
// depends on each shard's population).
//
// # Counters
//
// Table.Stats (safe from any goroutine) reports: frames, decoded packets,
// truncated packets, malformed frames by reason, unsupported frames by
// kind, fragments received and reassembled, wrong fragments attributed
// and not, fragments dropped at the memory cap, fragment trains held, FTP
// expectations and FTP data connections, flows created and active, flows
// ended by each reason (closed, expired, evicted, shutdown), content
// bytes dropped, and records emitted.
//
// # Written by hand
//
// The fragment reassembler, the stream reassembler and the key hash are
// this package's own. gopacket's ip4defrag and ip6defrag work on
// allocated gopacket.Packet values, have no memory cap, and drop
// overlapping fragments without the per-connection attribution KDD's
// wrong_fragment needs; its reassembly package allocates per segment,
// delivers through callbacks and has no per-connection byte cap or gap
// flags. The key hash is a multiply-xorshift over the key's words:
// hash/maphash is seeded per process (shard assignment, and so eviction,
// would change run to run) and hash/fnv walks bytes one at a time.
package flow
