// Package features turns records into model input vectors.
//
// It holds the dataset schemas (NSL-KDD's 41 features, UNSW-NB15's and
// BoT-IoT's columns), the compact Frame that dataset readers fill, the
// Encoder that one-hot encodes and scales rows (fitted on training data and
// saved in the model file, so that training and serving share one
// encoding), and the feature-semantics description that the sensor checks
// a model against.
//
// # Encoding
//
// It encodes rows with an Encoder, by the rules below.
//
// An Encoder turns rows of a Schema into the model's float32 input
// vectors. It is fitted on training rows only (Fit), saved inside the
// model file (MarshalJSON; encoding/json writes every float64 in its
// shortest round-tripping form, so a loaded encoder's parameters are bit
// for bit the fitted ones), and used unchanged by the sensor, one row at a
// time from many goroutines (EncodeRow).
//
// # Output columns
//
// Identifier columns are dropped. The Numeric and Binary columns come
// first, one output each, in schema order; then each Categorical column's
// one-hot block, in schema order, its values sorted bytewise (the
// vocabulary seen in the training rows). This is the layout of
// shared/tools/torch-reference.py: on KDDTrain+ it gives 38 + 3 + 70 + 11
// = 122 columns, named like "duration" and "protocol_type=tcp". When
// mutual-information selection is configured, only the selected columns
// are written, in the same relative order.
//
// # Numeric columns
//
// Each numeric value x goes through these steps, with parameters learned
// from the training rows:
//
//  1. Missing and non-finite values. NaN (missing) is replaced by the
//     column's training median (the median of its finite training values,
//     the mean of the middle two for an even count, as numpy.median).
//     +Inf and -Inf are replaced by the column's training maximum and
//     minimum (of its finite values). Training rows are treated the same
//     way when the scaling is fitted.
//  2. With EncoderConfig.Log1p, on HeavyTailed columns, x becomes
//     sign(x)*log1p(|x|), which is defined for every finite x.
//  3. Scaling: "minmax" maps the training range to [0, 1] as
//     (x-min)/(max-min); "standard" computes (x-mean)/std with the
//     population (ddof 0) deviation; "none" leaves x alone. A constant
//     training column (min == max) encodes as 0 under minmax and standard.
//  4. With EncoderConfig.Clip, the scaled value is clipped to the scaled
//     training range: [0, 1] for minmax, [(min-mean)/std, (max-mean)/std]
//     for standard, [min, max] (after step 2) for none, so that counts far
//     beyond anything seen in training (a flood) stay in range.
//  5. The result is rounded to float32; a value beyond float32's range
//     (possible without Clip, or under "none" when the training values
//     themselves lie beyond it) is clamped to ±math.MaxFloat32, so the
//     output is always finite.
//
// Arithmetic is in float64, rounded once to float32 at the end; the
// division is a true division, as in torch-reference.py.
// TransformStats counts the values replaced in step 1 (Imputed for NaN,
// Clipped for ±Inf) and the values changed in steps 4 and 5 (Clipped).
//
// # Categorical columns
//
// A value seen in training sets its one-hot position to 1. A value absent
// from training (for example a service the training data never had)
// encodes as an all-zero block and is counted per column; it is never an
// error. Note that "other" is a real NSL-KDD service, not a fallback.
//
// # Mutual-information selection
//
// With EncoderConfig.Select, Fit scores every encoded training column with
// MutualInfoClassif against the class labels (one-hot and Binary columns
// as discrete features, the other numeric columns as continuous ones) and
// keeps the columns that SelectPercentile keeps. Both follow scikit-learn
// 1.2 (testdata/mi_reference.py makes the golden files that check them
// against scikit-learn itself).
//
// # Written by hand
//
// No Go library estimates mutual information the way scikit-learn does,
// or reproduces SelectPercentile's threshold and tie rule, so both are
// written here (mi.go), with gonum for the digamma function and the
// standard deviation. Because each feature is one-dimensional, the
// k-nearest-neighbour searches that scikit-learn does with KD-trees are
// done on one sorted copy of the column, O(n log n) per column. The
// median is computed by sorting, because gonum's stat.Quantile returns an
// order statistic rather than numpy's mean of the middle two.
//
// # NSL-KDD features from packets
//
// It also computes NSL-KDD's 41 features from the
// connections of the flow stage (KDDExtractor), so that a sensor's row is
// a valid dataset row. Every rule below was checked against KDDTrain+
// itself (the tests re-check them on the data); where the data and the
// KDD documentation disagree, the data wins, because the model learnt the
// data.
//
// # Basic features (columns 1-9)
//
//   - duration: End - Start in whole seconds, truncated (a 1.9 s
//     connection has duration 1).
//   - protocol_type: tcp, udp or icmp; ICMPv6 is icmp (the dataset has no
//     IPv6). Other IP protocols have no NSL-KDD row: Extract returns
//     ErrNotKDD and leaves the windows untouched.
//   - service: see "Service map".
//   - flag: the connection state (flow.State). The dataset's eleven values
//     lack Zeek's RSTRH and SHR (a SYN-ACK then RST or FIN with no SYN
//     seen: mid-stream connections), which map to OTH, the dataset's
//     state for mid-stream traffic (KDDFlag). The full state stays in
//     flow.Conn.State for alerts.
//   - src_bytes, dst_bytes: Conn.OrigBytes and Conn.RespBytes (payload;
//     for ICMP the ICMP header and data).
//   - land: 1 when Conn.Land. wrong_fragment: Conn.WrongFragment.
//     urgent: Conn.Urgent.
//
// # Service map
//
// The names are KDD's: /etc/services names of 1998 with '-' as '_', "_u"
// for UDP and "_i" for ICMP services. A TCP connection is ftp_data when
// the flow stage saw it announced on an FTP control channel
// (Conn.FTPData: PORT, PASV, EPRT, EPSV) or when its originator port is
// 20 (active FTP); a TCP connection to port 111 whose first request is a
// portmapper DUMP call ("rpcinfo -p") is pm_dump. Otherwise the responder
// port decides:
//
//	service      proto  ports              service      proto  ports
//	aol          tcp    5190               login        tcp    513
//	auth         tcp    113                mtp          tcp    57
//	bgp          tcp    179                name         tcp    42
//	courier      tcp    530                netbios_dgm  tcp    138
//	csnet_ns     tcp    105                netbios_ns   tcp    137
//	ctf          tcp    84                 netbios_ssn  tcp    139
//	daytime      tcp    13                 netstat      tcp    15
//	discard      tcp    9                  nnsp         tcp    433
//	domain       tcp    53                 nntp         tcp    119
//	domain_u     udp    53                 ntp_u        udp    123
//	echo         tcp    7                  pop_2        tcp    109
//	efs          tcp    520                pop_3        tcp    110
//	exec         tcp    512                printer      tcp    515
//	finger       tcp    79                 remote_job   tcp    71-74
//	ftp          tcp    21                 rje          tcp    5
//	ftp_data     tcp    20 (see above)     shell        tcp    514
//	gopher       tcp    70                 smtp         tcp    25
//	http         tcp    80                 sql_net      tcp    66, 150
//	http_2784    tcp    2784               ssh          tcp    22
//	http_443     tcp    443                sunrpc       tcp    111
//	http_8001    tcp    8001               supdup       tcp    95
//	imap4        tcp    143                systat       tcp    11
//	IRC          tcp    194, 6665-6669     telnet       tcp    23
//	iso_tsap     tcp    102                tftp_u       udp    69
//	klogin       tcp    543                time         tcp    37
//	kshell       tcp    544                uucp         tcp    540
//	ldap         tcp    389                uucp_path    tcp    117
//	link         tcp    245                vmnet        tcp    175
//	pm_dump      tcp    111 (DUMP call)    whois        tcp    43
//	X11          tcp    6000-6063          Z39_50       tcp    210
//
// Any other TCP or UDP port is private below 1024 and other from 1024
// up. That is the rule the data supports: private is not "ephemeral
// ports". In KDDTrain+, nmap (which scanned ports 1-1024 by default)
// gives 221 tcp/private rows and no tcp/other row, and 247 udp/private
// rows and no udp/other row; neptune, whose SYN floods hit the low ports,
// gives 15,079 tcp/private rows and only 58 tcp/other; satan and
// portsweep, which also probe high ports, have both. tcp/private holds
// 18,562 rows of which 4 are normal, while udp/other is 90% normal
// (clients' high ports). UDP has no names but domain_u, ntp_u and tftp_u:
// the data has no other UDP service, so SNMP (161) or NetBIOS (137, 138)
// over UDP are private, as snmpgetattack rows are in KDDTest+.
//
// ICMP services come from the type and code (ICMPv6 in brackets):
//
//	eco_i  echo request 8 [128]          ecr_i  echo reply 0 [129]
//	urp_i  unreachable, port 3/3 [1/4]   urh_i  unreachable, other code 3 [1]
//	red_i  redirect 5 [137]              tim_i  time exceeded 11 [3], timestamp 13, 14
//	other  every other type
//
// The data agrees: its 8,291 icmp rows use only these six names, eco_i
// rows carry 8 bytes or more (an empty echo is 8 bytes), urh_i rows
// carry 36 bytes (8 + a 20-byte IP header + 8 bytes, what an unreachable
// quotes), urp_i rows 37-1480, and the pod rows of tim_i (564 bytes) are
// the reassembly-time-exceeded answers to oversized fragments. NSL-KDD
// has no "oth_i", so the remaining types (source quench, router
// discovery, parameter problem, neighbour discovery, ...) are "other".
// harvest is never produced: no port assignment for it could be
// established (2 satan rows in KDDTrain+).
//
// # Content features (columns 10-22)
//
// They are read from Conn.Content, each TCP direction reassembled in
// order without retransmitted bytes and capped by the flow stage, for
// telnet, login (rlogin), shell (rsh), exec (rexec), ftp, pop_3, imap4,
// smtp and http (and for any other or private TCP connection whose first
// client line is an HTTP request). Every feature is 0 for other services,
// for encrypted ones (ssh, http_443) and when the content is absent (the
// flow stage keeps none), as in most of the dataset. Telnet option
// negotiation (IAC sequences, IAC IAC as 0xff), NUL, CR NUL and CR LF,
// backspace and DEL editing are undone first; the server stream of a
// telnet or rlogin session is read as the transcript: it holds the
// prompts, the echo of every typed command (never of passwords) and the
// output, in order, however the keystrokes were segmented.
//
//   - logged_in: telnet/rlogin: after a "login:" or "Password:" prompt
//     (or at once for a trusted rlogin) a shell prompt or a "Last login"
//     line appears; rsh/rexec: the server's first byte is 0 (accepted);
//     ftp: a 230 reply to USER or PASS; pop_3: "+OK" to PASS, APOP or
//     AUTH; imap4: a tagged OK to LOGIN or AUTHENTICATE; smtp: 250 to
//     HELO/EHLO or 235 to AUTH; http: a request got a final response
//     other than 401 or 407 (KDD marks 99.9% of http rows with a request
//     and a response logged in); ftp_data: the data connection carried
//     bytes (data connections exist only inside a logged-in FTP session).
//   - num_failed_logins: telnet/rlogin before login: server lines with
//     "Login incorrect", "Login failed", "Authentication failure",
//     "Access denied", "Invalid login" or "Permission denied"; rsh/rexec:
//     the server's first byte is 1; ftp: 530 to USER, 5xx to PASS; pop_3:
//     "-ERR" to PASS, APOP or AUTH; imap4: a tagged NO to LOGIN or
//     AUTHENTICATE; smtp: 535 to AUTH; http: a 401 or 407 response to a
//     request that carried credentials (Authorization or
//     Proxy-Authorization).
//   - hot: a login attempt (telnet/rlogin "login:" echo, rlogin, rsh and
//     rexec account, ftp USER, pop_3 USER, imap4 LOGIN) with a privileged
//     or system account name (root, admin, bin, daemon, ...); a shell
//     command that builds programs, changes permissions or ownership,
//     loads kernel modules, manages accounts, mounts, opens a back door or
//     a remote display (gcc, cc, make, chmod, chown, insmod, modprobe,
//     crontab, at, mount, passwd, useradd, nc, xterm, xhost, loadmodule,
//     perl, eject, ffbconfig, ...), runs "./program", names a system
//     directory (/etc/, /bin/, /sbin/, /usr/bin/, /usr/sbin/, /dev/,
//     /boot/, /lib/modules, /var/log/, /root/, /proc/) or is "cd /"; ftp:
//     in a guest (anonymous) session every file-system command (CWD, CDUP,
//     RETR, STOR, LIST, NLST, MKD, DELE, RNFR, RNTO, SITE, SIZE, ...; KDD's
//     guest ftp rows have hot growing with the session's commands, up to
//     30), in any session SITE and commands naming a system directory;
//     smtp: VRFY, EXPN, DEBUG, WIZ, KILL and a MAIL/RCPT address that is
//     a pipe or a file; http: per request one each for an overlong request
//     line (> 1024 bytes), a CGI script (/cgi-bin/, .cgi, .pl), a "///"
//     run (the back attack), and traversal, an encoded control character
//     (%0a, %0d, %00) or a system directory in the target.
//   - num_compromised: telnet/rlogin/rsh/rexec output lines "Permission
//     denied", "Operation not permitted", "Not owner", "command not
//     found", "Access denied"; ftp: 550/553 replies saying denied or
//     permission, and commands over 512 bytes; pop_3: command lines over
//     512 bytes; imap4, smtp: lines over 1024 bytes; http: overlong
//     request lines and "../" traversal. (Overlong lines are buffer
//     overflow attempts, such as the imap attack.)
//   - root_shell: telnet/rlogin: a root prompt ("#") after login;
//     rsh/rexec: accepted as root; http: a request injecting a command
//     (an encoded newline or a shell metacharacter followed by /bin/,
//     /usr/bin/ or /sbin/, as the phf attack does) answered 200.
//   - su_attempted: 0 without an "su" (or "sudo su", "sudo -s", "sudo -i")
//     to root in the session, 2 when a root prompt follows it, 1 when none
//     does. KDDTrain+ has the values 0, 1 and 2, and its 59 rows with 2 all
//     have root_shell 1.
//   - num_root: commands typed at a root prompt (telnet/rlogin), the
//     command of a root rsh/rexec, commands of an ftp session logged in as
//     root.
//   - num_file_creations: commands that create files (touch, mkdir, cp,
//     mv, editors, tee, dd, ln, tar, unzip, wget, curl, gcc, make, ... or a
//     '>' redirection); ftp: STOR, STOU, APPE, MKD, RNTO that succeeded;
//     smtp: an accepted RCPT to a file; http: a PUT answered 200, 201 or
//     204.
//   - num_shells: commands that start a shell (sh, bash, csh, tcsh, ksh,
//     zsh, dash, ash); smtp: an address piping to a shell; http: an
//     injected command running a shell.
//   - num_access_files: commands, ftp arguments, smtp addresses and http
//     targets that name an access-control file (/etc/passwd, /etc/shadow,
//     /etc/group, /etc/sudoers, hosts.equiv, .rhosts, .netrc,
//     authorized_keys, /etc/inetd.conf, hosts.allow, hosts.deny,
//     /etc/pam.d, .htpasswd, .htaccess, ...; any http target holding
//     "passwd").
//   - num_outbound_cmds: always 0. It is 0 in every row of KDDTrain+ (the
//     KDD tools never set it), so any other value would be one the model
//     never saw, and a min-max scaler fitted on a constant column cannot
//     place it.
//   - is_host_login: a login by an account of KDDConfig.HostLoginUsers
//     (empty by default: the feature is 1 in one row of KDDTrain+).
//   - is_guest_login: a login as anonymous, ftp or guest (ftp, telnet,
//     rlogin, pop_3, imap4).
//
// # Window features (columns 23-41)
//
// The connections arrive ordered by End. The time window of a connection
// ending at t holds the connections that ended in (t-2 s, t], this one
// included (a connection that ended exactly 2 s earlier is out). The host
// window holds the last 256 connections, this one included (not 100:
// dst_host_count exceeds 100 in 91,492 rows of KDDTrain+).
//
//   - count: connections to the same destination host; srv_count:
//     connections to the same service on any host. Both are capped at 511.
//   - serror_rate, rerror_rate (srv_serror_rate, srv_rerror_rate): the
//     fraction of count (srv_count) whose state is in the SYN-error set
//     {S0, S1, S2, S3, SH} or the reject set {REJ, RSTO, RSTR, RSTOS0},
//     applied to the model's flag (RSTRH and SHR are OTH, in neither).
//     On the 27,763 rows with count 1, serror_rate is 1 exactly for S0,
//     S1, S2, S3 and SH and rerror_rate exactly for REJ, RSTO, RSTR and
//     RSTOS0.
//   - same_srv_rate: the fraction of count with the same service (1.00 on
//     every row with count 1).
//   - diff_srv_rate: the number of DISTINCT services among count over
//     count, and 0 when there is only one. This is what the data holds,
//     not 1 - same_srv_rate (which fails on 47,202 rows): every row with
//     count 2 and same_srv_rate 0.50 has diff_srv_rate 1.00, with count 3
//     and same_srv_rate 0.67 it is 0.67, and the rule holds on all rows.
//   - srv_diff_host_rate: likewise the number of distinct destination
//     hosts among srv_count over srv_count, 0 when there is one (with
//     srv_count 2 the data has only 0.00 and 1.00, never 0.50).
//   - dst_host_count (same destination host) and dst_host_srv_count (same
//     service on any host: 682 rows have dst_host_count 1 and
//     dst_host_srv_count 255) in the host window, capped at 255; the rates
//     over their uncapped values: dst_host_same_srv_rate,
//     dst_host_same_src_port_rate (same originator port),
//     dst_host_serror_rate, dst_host_srv_serror_rate, dst_host_rerror_rate
//     and dst_host_srv_rerror_rate are fractions, dst_host_diff_srv_rate
//     and dst_host_srv_diff_host_rate distinct counts over the count, as
//     in the time window.
//
// The "service" of the windows is the service name, except that private
// and other connections are told apart by protocol and responder port
// (ICMP "other" by type and code). The data requires it: neptune's
// tcp/private flood rows have same_srv_rate 0.01-0.12 and srv_count
// 4-20, and satan's tcp/other rows reach count 511 with srv_count 1 and
// diff_srv_rate 1.00, impossible if all private (or other) connections
// were one service; ftp_data, whose responder ports vary, is one service
// (same_srv_rate 1.00 on most multi-connection ftp_data rows).
//
// Rates are computed in single precision and rounded to two decimals as
// C's printf("%.2f") rounds that value, because that is the only common
// rounding that reproduces every rate of KDDTrain+ (3/40 is 0.08 but 7/40
// is 0.17; 1/8 is 0.12 and 3/8 is 0.38). The model saw only such values.
//
// Memory is bounded and exact up to the caps: each destination host and
// each service keeps at most its 511 most recent connections of the time
// window (so count and srv_count are exact up to the cap, and their rates
// are over those 511), keys leave as their last connection ages out, and
// the total of stored time-window entries is bounded by
// KDDConfig.MaxWindowEntries (default 262,144): beyond it whole keys are
// dropped early, least recently used first, and counted in
// KDDStats.WindowEvicted. A 1 Mpps SYN flood at one host and port thus
// keeps 2x511 entries, not 2 million. Each connection costs O(1) work
// (amortised) and no allocation once the tables have reached the
// window's peak size. The hash tables are hand-written open-addressing
// tables with backward-shift deletion rather than Go maps because a map
// that churns keys (as a 2-second window does) keeps allocating, and the
// window stage must not.
//
// KDDTrain+ has artefacts no sensor reproduces: 13 rows with count 0 and
// 3 with dst_host_count 0, although every window includes its own
// connection.
package features
