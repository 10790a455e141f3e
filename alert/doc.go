// Package alert encodes verdicts as JSON lines and delivers them.
//
// The wiring (cmd/cnids) fills an Event from the flow, features and model
// outputs; this package does not import them (data flows one way). An
// Encoder writes one Event as one JSON object and a newline; a Sink
// delivers batches of events (standard output, a file, syslog, an
// in-memory ring, several at once) and counts what it could not deliver.
//
// # Event schema
//
// Field names follow Suricata's EVE JSON where EVE has the field, and no
// EVE name is used with another meaning. Names are stable: a SIEM parses
// them. Fields are written in this order; "opt." fields are omitted when
// empty or zero as stated.
//
//	field              type      meaning                                         EVE
//	timestamp          string    packet time of the event: the connection's      timestamp
//	                             end (alert, flow), the last alert's (summary)
//	host               string    sensor name (EncoderOptions.Host), opt.         host
//	flow_id            integer   connection id (FlowID), alert and flow only     flow_id
//	in_iface           string    capture interface (live), opt.                  in_iface
//	event_type         string    "alert", "flow" or "alert_summary"              event_type
//	vlan               [int]     802.1Q tags, outermost first, opt.              vlan
//	src_ip, dest_ip    string    originator and responder address                src_ip, dest_ip
//	src_port           integer   originator port (TCP, UDP, SCTP, DCCP,          src_port
//	                             UDP-Lite)
//	icmp_type          integer   ICMP type (ICMP, ICMPv6 instead of src_port)    icmp_type
//	dest_port          integer   responder port (as src_port)                    dest_port
//	icmp_code          integer   ICMP code (instead of dest_port)                icmp_code
//	proto              string    "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP",      proto
//	                             ... or the protocol number as a string
//	community_id       string    Community ID v1, opt.                           community_id
//	alert              object    the verdict (alert), the signature (summary)    alert
//	  .action          string    always "allowed" (cnids only detects)           alert.action
//	  .gid             integer   always 1                                        alert.gid
//	  .signature_id    integer   one per (family, class); table below            alert.signature_id
//	  .rev             integer   signature revision                              alert.rev
//	  .signature       string    e.g. "cnids NSL-KDD DoS"                        alert.signature
//	  .category        string    classtype description, e.g. "Attempted          alert.category
//	                             Denial of Service"
//	  .severity        integer   1 high, 2 medium, 3 low                         alert.severity
//	  .class           string    the model's class, e.g. "DoS"                   -
//	  .score           number    1 - P(normal) (alert only)                      -
//	  .probabilities   object    class -> probability, model order (alert only)  -
//	  .model           string    model name or digest, opt.                      -
//	  .family          string    "nsl-kdd", "bot-iot" or "unsw-nb15", opt.       -
//	app_proto          string    the service (NSL-KDD's "http", "private",        app_proto
//	                             "ecr_i", ...), opt.
//	flow               object    the connection (alert and flow)                 flow
//	  .pkts_toserver   integer   packets originator -> responder                 flow.pkts_toserver
//	  .pkts_toclient   integer   packets responder -> originator                 flow.pkts_toclient
//	  .bytes_toserver  integer   bytes originator -> responder                   flow.bytes_toserver
//	  .bytes_toclient  integer   bytes responder -> originator                   flow.bytes_toclient
//	  .start           string    first packet's time, opt.                       flow.start
//	  .end             string    last packet's time (default: timestamp)         flow.end
//	  .age             integer   end's whole seconds minus start's, as EVE       flow.age
//	                             computes it (with start)
//	  .state           string    "new", "established" or "closed", opt.          flow.state
//	  .reason          string    "timeout", "shutdown", "evicted" or "closed",   flow.reason
//	                             opt.
//	kdd                object    NSL-KDD specifics, opt.                         -
//	  .flag            string    full connection state (SF, S0, ..., RSTRH,      -
//	                             SHR), opt.
//	  .features        object    feature name -> value (numbers, or strings      -
//	                             for protocol_type, service, flag), only with
//	                             EncoderOptions.FeatureNames
//	source             object    where the packets are, opt.                     -
//	  .file            string    capture file of the first packet, opt.          (pcap_filename)
//	  .first_packet    integer   1-based packet number of the first packet       -
//	  .last_packet     integer   1-based packet number of the last packet        (pcap_cnt)
//	  .last_file       string    file of the last packet when it differs, opt.   -
//	summary            object    the roll-up (alert_summary only)                -
//	  .interval_start  string    interval start (inclusive)                      -
//	  .interval_end    string    interval end (exclusive)                        -
//	  .alerts          integer   alerts in the group                             -
//	  .flows           object    {"new", "established", "closed"} counts         -
//	  .flags           object    kdd.flag -> count, first-seen order, opt.       -
//	  .score_max       number    highest score                                   -
//	  .score_mean      number    mean score                                      -
//	  .overflow        bool      true on the catch-all group, opt.               -
//	  .first, .last    object    earliest and latest alert's connection:         -
//	                             flow_id, community_id (opt.), start (opt.),
//	                             end, file (opt.), first_packet, last_packet
//
// flow.reason differs from EVE's ("timeout", "forced", "shutdown"): cnids
// writes "evicted" for a connection the full flow table dropped early (EVE
// has no such reason; its "forced" is a different case) and "closed" for a
// connection that ended by FIN or RST, and never writes "forced". A summary
// has no flow_id, ports, proto or flow object, and omits src_ip and dest_ip
// on the overflow group. The alert.score and probabilities are omitted from
// summaries (see summary.score_max and score_mean).
//
// # Encoding
//
// Lines are written with zerolog (github.com/rs/zerolog), as the project
// guide asks: a zerolog.Logger writes into the sink's reused buffer, with
// zerolog's own timestamp and level fields off; nested objects are zerolog
// dicts. Field order is the order of the calls, so it is stable. After
// warm-up an event costs no allocation (zerolog pools its events; checked
// with testing.AllocsPerRun), and about 1.5 µs of CPU for an alert with
// five classes, 4 µs with the 41 features (BenchmarkEncoder; the stdout
// sink adds little, BenchmarkWriterSink). Because zerolog keeps package-level
// settings, two of them matter: zerolog.SetGlobalLevel(zerolog.Disabled)
// elsewhere in the process would silence it, so the encoder detects it and
// returns ErrLoggerDisabled instead of losing alerts; and building with the
// binary_log tag switches zerolog to CBOR, so never build cnids with it.
// The encoder formats numbers it needs in a fixed form itself (and hands
// zerolog the bytes): timestamps, probabilities, features.
//
//   - Timestamps are TimeFormat, RFC 3339 with nanoseconds in UTC
//     ("2026-11-23T02:59:48.584655123Z"), from the event's packet time,
//     never the wall clock.
//   - Probabilities and scores have 6 significant digits (strconv 'g', so
//     small ones may use an exponent, "1.5e-07"), clamped to [0, 1]; NaN is
//     written 0. Features are written in their shortest exact form; NaN is
//     written 0 and infinities as ±math.MaxFloat64. Every replacement is
//     counted (Encoder.Clamped, Stats.Clamped): no NaN or Inf ever reaches
//     the output.
//   - Strings may come from packets (attacker-controlled) and are escaped
//     by zerolog: quote, backslash and control characters (\n, \t, \u0001,
//     ...; DEL as \u007f) are escaped, and each byte of invalid UTF-8 is
//     replaced by U+FFFD (written \ufffd), so decoding gives the string
//     with its invalid bytes replaced, as encoding/json does. '<', '>' and
//     '&' are not escaped (the output is valid JSON; a web page must escape
//     it before embedding it in HTML).
//   - Invalid events are refused with an error naming the field (wrapping
//     ErrInvalidEvent): an unknown event_type, a zero timestamp, a year
//     outside 1-9999, a missing address, a flow ending before it started,
//     a missing signature, repeated class names in probabilities, a
//     feature count differing from the feature names.
//
// # Signatures
//
// LookupSignature maps (family, class) to a stable signature; call it once
// per class at start-up. IDs sit in 1,700,000-1,700,999, inside the range
// Suricata rule sets leave for local rules:
//
//	family     class           id       severity  category
//	nsl-kdd    DoS             1700101  1         Attempted Denial of Service
//	nsl-kdd    Probe           1700102  3         Detection of a Network Scan
//	nsl-kdd    R2L             1700103  2         Attempted User Privilege Gain
//	nsl-kdd    U2R             1700104  1         Attempted Administrator Privilege Gain
//	nsl-kdd    attack          1700199  2         Misc Attack
//	bot-iot    DDoS            1700201  1         Attempted Distributed Denial of Service
//	bot-iot    DoS             1700202  1         Attempted Denial of Service
//	bot-iot    Reconnaissance  1700203  3         Detection of a Network Scan
//	bot-iot    Theft           1700204  1         Information Leak
//	bot-iot    TCP             1700211  1         Attempted Denial of Service over TCP
//	bot-iot    UDP             1700212  1         Attempted Denial of Service over UDP
//	bot-iot    HTTP            1700213  1         Attempted Denial of Service over HTTP
//	bot-iot    Service_Scan    1700214  3         Detection of a Network Scan
//	bot-iot    OS_Fingerprint  1700215  3         Attempted Information Leak
//	bot-iot    Keylogging      1700216  1         A Network Trojan was detected
//	bot-iot    Data_Exfiltration  1700217  1  Information Leak
//	bot-iot    attack          1700299  2         Misc Attack
//	unsw-nb15  Generic         1700301  2         Generic Attack
//	unsw-nb15  Exploits        1700302  1         Attempted Exploit
//	unsw-nb15  Fuzzers         1700303  2         Fuzzing Attempt
//	unsw-nb15  DoS             1700304  1         Attempted Denial of Service
//	unsw-nb15  Reconnaissance  1700305  3         Detection of a Network Scan
//	unsw-nb15  Analysis        1700306  3         Attempted Information Leak
//	unsw-nb15  Backdoor        1700307  1         A Network Trojan was detected
//	unsw-nb15  Shellcode       1700308  1         Executable code was detected
//	unsw-nb15  Worms           1700309  1         Network Worm Activity
//	unsw-nb15  attack          1700399  2         Misc Attack
//
// "attack" is the class of binary models; BoT-IoT's subcategory rows serve
// models trained by subcategory. The category is a Suricata classtype
// description where one fits, and distinct within a model's classes so
// that a summary group (keyed by category) holds one signature (a BoT-IoT
// model has categories or subcategories, not both). NSL-KDD's
// raw attack names (neptune, smurf, ...) have no rows: map them to their
// category first.
//
// # Sinks
//
// Every sink takes batches (Sink.Write) and counts, in Stats: Written,
// Failed (not encodable or not deliverable), Dropped (discarded by a
// bound), Clamped. Write returns an error saying how many events of the
// batch failed or were dropped and why; it is not fatal, and the daemon
// should log it and go on.
//
//   - WriterSink (standard output, pipes): one buffer per batch, written
//     with one call per 64 KiB and flushed after each batch when the writer
//     can Flush. Write errors count the lines not taken as failed.
//   - FileSink: appends (O_APPEND) to a file, fsync optional per batch.
//     Reopen, called by the daemon on SIGHUP, reopens the path after
//     logrotate renamed the file; if the path cannot be opened it keeps
//     writing to the old file and reports the error.
//   - SyslogSink: RFC 5424 messages whose MSG is the JSON line, over UDP or
//     a unixgram socket (one datagram per event, synchronous, failures
//     counted; a message too large for a datagram fails rather than being
//     cut) or over TCP or a unix stream socket with octet-counting framing
//     (RFC 6587). Stream sinks queue and send from a background goroutine,
//     reconnect with exponential backoff (100 ms doubling to 30 s, no
//     jitter), resend what a failed write did not complete, and while down
//     buffer up to a bound (events and bytes); beyond it new events are
//     dropped and counted, keeping the oldest. Close waits up to a timeout
//     for the queue to drain and counts the rest dropped.
//   - Multi fans a batch out to several sinks; one failing sink does not
//     stop the others, and its error is reported with its position.
//   - Ring keeps the last N events for tests and the web console and
//     fans new ones out to subscribers over buffered channels; a slow
//     subscriber loses events (counted per subscriber and in Stats), the
//     writer never waits.
//   - Summarizer (below) wraps another sink.
//
// # Summaries
//
// With --alert-summary DURATION the daemon puts a Summarizer in front of
// its sinks. Per interval of packet time and per (source address,
// destination address, family, category) it writes one alert_summary event
// holding the alert count, the flows by EVE state and by KDD flag, the
// maximum and mean score, and the earliest and latest alert's connection
// (flow_id, times, file and packet numbers, enough to cut the packets out).
// Intervals are aligned multiples of DURATION; an interval is flushed when
// packet time passes it (an event of a later interval, or Advance), and at
// end of input (Flush, Close). --emit all-alerts (the default, EmitAllAlerts)
// still writes every alert, so no detail is lost; --emit summary-only
// (EmitSummaryOnly) writes the summaries instead of the alerts, which turns
// a flood into a few lines per interval. Flow events always pass through.
// The groups of one interval are bounded (MaxGroups); beyond it the alerts
// of new address pairs go to one overflow group per category.
//
// # Community ID and flow ID
//
// CommunityID implements Community ID v1 (github.com/corelight/community-id-spec)
// byte for byte as Zeek and Suricata write it, including the ICMP and ICMPv6
// type/code mapping and its one-way messages; it is checked against the
// reference implementation's published vectors, which testdata/communityid.py
// recomputes independently with Python's hashlib. AppendCommunityID does not
// allocate. FlowID is a stable 53-bit FNV-1a hash of the connection's
// 5-tuple and start time.
//
// # Hand-written parts
//
// The JSON itself is zerolog's. Hand-written are the Community ID (about
// 100 lines over crypto/sha1, allocation-free with fixed arrays, checked
// against the published vectors; a library would be one more dependency
// for less control over allocation) and the syslog framing (the
// standard library's log/syslog writes RFC 3164-style headers, has no
// octet counting, and blocks on a down TCP peer instead of buffering and
// counting drops).
package alert
