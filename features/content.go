package features

import (
	"bytes"

	"github.com/cnids/cnids/flow"
)

// ContentFeatures holds NSL-KDD's 13 content features (columns 10-22) of
// one connection. The package documentation defines each one per
// protocol.
type ContentFeatures struct {
	Hot           int
	FailedLogins  int
	LoggedIn      bool
	Compromised   int
	RootShell     bool
	SuAttempted   int // 0 none, 1 "su" to root tried without success seen, 2 succeeded
	NumRoot       int
	FileCreations int
	Shells        int
	AccessFiles   int
	HostLogin     bool
	GuestLogin    bool
}

// MaxContentScan bounds the bytes of each direction that the content
// scanners read (the flow stage's cap is normally far lower).
const MaxContentScan = 1 << 20

// Line-length limits above which a command counts as an overflow attempt
// (a "compromised condition"): RFC 959/1939 allow 512 bytes for FTP and
// POP3 command lines, RFC 3501 and 5321 about 1000 for IMAP and SMTP, and
// no common HTTP client sends request lines near 1024 bytes.
const (
	overlongShort = 512
	overlongLong  = 1024
)

// Word lists, '|'-separated, matched case-insensitively.
const (
	// accessFiles are access-control files (num_access_files).
	accessFiles = "/etc/passwd|/etc/shadow|/etc/group|/etc/gshadow|/etc/sudoers|hosts.equiv|.rhosts|.shosts|" +
		".netrc|authorized_keys|/etc/inetd.conf|hosts.allow|hosts.deny|/etc/pam.d|.htpasswd|.htaccess|" +
		".k5login|/etc/security/|/etc/login.defs|/etc/ftpusers"
	// systemDirs are system directories whose use is "hot".
	systemDirs = "/etc/|/bin/|/sbin/|/usr/bin/|/usr/sbin/|/dev/|/boot/|/lib/modules|/var/log/|/root/|/proc/"
	// hotUsers are privileged or system account names: a login attempt
	// as one of them is a hot indicator.
	hotUsers = "root|toor|admin|administrator|sys|bin|daemon|adm|lp|uucp|operator|nobody|sync|shutdown|halt|" +
		"mail|news|games|system|sysadm|supervisor"
	// guestUsers are the guest accounts (is_guest_login).
	guestUsers = "anonymous|ftp|guest"
	// shells are shell programs (num_shells).
	shells = "sh|bash|csh|tcsh|ksh|zsh|dash|ash|rbash"
	// creators are programs that create files (num_file_creations).
	creators = "touch|mkdir|cp|mv|vi|vim|emacs|pico|nano|ed|ex|joe|tee|dd|ln|mknod|mkfifo|tar|unzip|gunzip|" +
		"uncompress|uudecode|wget|curl|tftp|scp|rcp|gcc|cc|make|as|ld"
	// hotCommands are commands that build programs, change permissions or
	// ownership, load kernel modules, schedule jobs, manage accounts, mount
	// file systems, open network back doors or remote displays, or that the
	// DARPA U2R attacks used (loadmodule, perl, eject, ffbconfig).
	hotCommands = "gcc|cc|make|as|ld|chmod|chown|chgrp|insmod|modprobe|rmmod|crontab|at|mount|umount|passwd|" +
		"useradd|adduser|usermod|userdel|nc|netcat|xterm|xhost|loadmodule|perl|eject|ffbconfig"
	// httpMethods are the request methods the HTTP scanner recognises.
	httpMethods = "GET|POST|HEAD|PUT|DELETE|OPTIONS|TRACE|CONNECT|PATCH|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK"
	// ftpGuestOps are the FTP commands that count as hot in a guest
	// session: every file-system operation.
	ftpGuestOps = "CWD|XCWD|CDUP|XCUP|RETR|STOR|STOU|APPE|DELE|MKD|XMKD|RMD|XRMD|RNFR|RNTO|LIST|NLST|MLSD|MLST|SITE|SIZE|MDTM"
	// ftpCreateOps create a file or directory on success.
	ftpCreateOps = "STOR|STOU|APPE|MKD|XMKD|RNTO"
)

// ContentScanner computes content features from a connection's
// reassembled payload. It keeps scratch buffers between calls, so that
// scanning allocates nothing once the buffers have grown to the largest
// content seen. It is not safe for concurrent use.
type ContentScanner struct {
	hostUsers []string
	norm      []byte
	pending   [8][]byte // IMAP login tags awaiting their reply
}

// NewContentScanner returns a scanner. hostLoginUsers lists the login
// names whose successful login sets is_host_login (KDD's "hot list" of
// accounts; empty by default, as is_host_login is 1 in a single row of
// KDDTrain+).
func NewContentScanner(hostLoginUsers []string) *ContentScanner {
	return &ContentScanner{hostUsers: append([]string(nil), hostLoginUsers...)}
}

// Scan returns the content features of c, whose service is svc.
func (s *ContentScanner) Scan(svc Service, c *flow.Conn) ContentFeatures {
	var f ContentFeatures
	if c.Proto != flow.ProtoTCP {
		return f
	}
	if svc == SvcFTPData {
		// A data connection exists only inside a logged-in FTP session;
		// KDD marks those that carried data as logged in.
		f.LoggedIn = c.OrigBytes+c.RespBytes > 0
		return f
	}
	s.ScanStreams(svc, c.Content[0], c.Content[1], &f)
	return f
}

// ScanStreams adds the content features of a connection of service svc
// with the given originator (orig) and responder (resp) byte streams to
// f. It reads at most MaxContentScan bytes of each.
func (s *ContentScanner) ScanStreams(svc Service, orig, resp []byte, f *ContentFeatures) {
	if len(orig) > MaxContentScan {
		orig = orig[:MaxContentScan]
	}
	if len(resp) > MaxContentScan {
		resp = resp[:MaxContentScan]
	}
	switch svc {
	case SvcTelnet:
		s.interactive(orig, resp, true, f)
	case SvcLogin:
		s.rlogin(orig, resp, f)
	case SvcShell, SvcExec:
		s.rcmd(svc, orig, resp, f)
	case SvcFTP:
		s.ftp(orig, resp, f)
	case SvcPOP3:
		s.pop3(orig, resp, f)
	case SvcIMAP4:
		s.imap(orig, resp, f)
	case SvcSMTP:
		s.smtp(orig, resp, f)
	case SvcHTTP, SvcHTTP8001, SvcHTTP2784:
		s.http(orig, resp, f)
	case SvcOther, SvcPrivate:
		if isHTTPRequestLine(firstLine(orig)) {
			s.http(orig, resp, f)
		}
	}
}

// ---------------------------------------------------------------------
// Byte helpers (ASCII, allocation-free).

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// hasPrefixFold reports whether h starts with p (p in lower case).
func hasPrefixFold(h []byte, p string) bool {
	if len(h) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lower(h[i]) != p[i] {
			return false
		}
	}
	return true
}

// indexFold returns the first index of p (lower case) in h, or -1.
func indexFold(h []byte, p string) int {
	if len(p) == 0 {
		return 0
	}
	c0 := p[0]
	for i := 0; i+len(p) <= len(h); i++ {
		if lower(h[i]) == c0 && hasPrefixFold(h[i:], p) {
			return i
		}
	}
	return -1
}

func containsFold(h []byte, p string) bool { return indexFold(h, p) >= 0 }

// nextItem returns the first '|'-separated item of list and the rest.
func nextItem(list string) (string, string) {
	for i := 0; i < len(list); i++ {
		if list[i] == '|' {
			return list[:i], list[i+1:]
		}
	}
	return list, ""
}

// containsAnyFold reports whether h contains any item of list.
func containsAnyFold(h []byte, list string) bool {
	for list != "" {
		var it string
		it, list = nextItem(list)
		if containsFold(h, it) {
			return true
		}
	}
	return false
}

// equalFold reports whether w equals item case-insensitively.
func equalFold(w []byte, item string) bool {
	if len(w) != len(item) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(w[i]) != lower(item[i]) {
			return false
		}
	}
	return true
}

// inList reports whether w equals an item of list (case-insensitive).
func inList(w []byte, list string) bool {
	if len(w) == 0 {
		return false
	}
	for list != "" {
		var it string
		it, list = nextItem(list)
		if equalFold(w, it) {
			return true
		}
	}
	return false
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == '\f' || b == '\v'
}

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// cutWord returns the first whitespace-separated word of b and the rest
// (leading space trimmed).
func cutWord(b []byte) (word, rest []byte) {
	b = trimSpace(b)
	i := 0
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	return b[:i], trimSpace(b[i:])
}

// baseName returns the last path element of a command word.
func baseName(w []byte) []byte {
	if i := bytes.LastIndexByte(w, '/'); i >= 0 {
		return w[i+1:]
	}
	return w
}

// nextLine returns the line starting at b[0] (without its terminator,
// which is "\n", "\r\n" or a lone "\r") and the rest after it.
func nextLine(b []byte) (line, rest []byte) {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			return b[:i], b[i+1:]
		case '\r':
			if i+1 < len(b) && (b[i+1] == '\n' || b[i+1] == 0) {
				return b[:i], b[i+2:]
			}
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func firstLine(b []byte) []byte {
	l, _ := nextLine(b)
	return l
}

// replyCode returns the 3-digit reply code a line starts with and the
// separator after it (' ', '-' or 0 at end of line), or ok false.
func replyCode(l []byte) (code int, sep byte, ok bool) {
	if len(l) < 3 {
		return 0, 0, false
	}
	for i := 0; i < 3; i++ {
		if l[i] < '0' || l[i] > '9' {
			return 0, 0, false
		}
	}
	code = int(l[0]-'0')*100 + int(l[1]-'0')*10 + int(l[2]-'0')
	if len(l) == 3 {
		return code, 0, true
	}
	if l[3] != ' ' && l[3] != '-' {
		return 0, 0, false
	}
	return code, l[3], true
}

// replyReader yields the final lines of FTP/SMTP-style replies
// ("ddd text" or the last line of a "ddd-" multi-line reply).
type replyReader struct{ rest []byte }

// next returns the next reply's code and its last line, or ok false at
// the end of the stream.
func (r *replyReader) next() (code int, text []byte, ok bool) {
	for len(r.rest) > 0 {
		var l []byte
		l, r.rest = nextLine(r.rest)
		c, sep, isReply := replyCode(l)
		if !isReply {
			continue // stray or continuation text
		}
		if sep != '-' {
			return c, l, true
		}
		// Multi-line reply: read to the line "ddd " (or "ddd") of the
		// same code.
		for len(r.rest) > 0 {
			l, r.rest = nextLine(r.rest)
			if c2, sep2, ok2 := replyCode(l); ok2 && c2 == c && sep2 != '-' {
				return c, l, true
			}
		}
		return c, l, true
	}
	return 0, nil, false
}

// ---------------------------------------------------------------------
// Command analysis shared by the interactive protocols.

// command applies the per-command rules to one shell command line run as
// root (root) or not.
func command(cmd []byte, root bool, f *ContentFeatures) (su bool) {
	cmd = trimSpace(cmd)
	if len(cmd) == 0 {
		return false
	}
	w, rest := cutWord(cmd)
	for (equalFold(w, "exec") || equalFold(w, "nohup") || equalFold(w, "nice") || equalFold(w, "time")) && len(rest) > 0 {
		w, rest = cutWord(rest)
	}
	name := baseName(w)
	if root {
		f.NumRoot++
	}
	switch {
	case equalFold(name, "su"):
		su = isSuToRoot(rest)
	case equalFold(name, "sudo"):
		a, _ := cutWord(rest)
		su = equalFold(a, "su") || equalFold(a, "-s") || equalFold(a, "-i") || inList(baseName(a), shells)
	}
	if inList(name, shells) {
		f.Shells++
	}
	if inList(name, creators) || bytes.IndexByte(cmd, '>') >= 0 {
		f.FileCreations++
	}
	if containsAnyFold(cmd, accessFiles) {
		f.AccessFiles++
	}
	if inList(name, hotCommands) || containsAnyFold(rest, systemDirs) || hasPrefixFold(w, "./") ||
		(equalFold(name, "cd") && len(rest) == 1 && rest[0] == '/') {
		f.Hot++
	}
	return su
}

// isSuToRoot reports whether the arguments of su name root (or no user,
// which means root).
func isSuToRoot(args []byte) bool {
	for len(args) > 0 {
		var a []byte
		a, args = cutWord(args)
		if len(a) == 0 {
			break
		}
		if a[0] == '-' {
			if equalFold(a, "-c") {
				return true // command as root
			}
			continue
		}
		return equalFold(a, "root")
	}
	return true
}

// ---------------------------------------------------------------------
// Interactive sessions (telnet, rlogin).

// normalize writes src to dst without telnet option negotiation (when
// telnet), NUL bytes and line editing: CR LF, CR NUL and a lone CR become
// LF, and backspace or DEL erases the previous byte of the current line.
func normalize(dst, src []byte, telnet bool) []byte {
	dst = dst[:0]
	for i := 0; i < len(src); {
		b := src[i]
		if telnet && b == 0xff {
			if i+1 >= len(src) {
				break
			}
			switch c := src[i+1]; {
			case c == 0xff:
				dst = append(dst, 0xff)
				i += 2
			case c >= 251: // WILL, WONT, DO, DONT option
				i += 3
			case c == 250: // SB ... IAC SE
				j := i + 2
				for j+1 < len(src) && !(src[j] == 0xff && src[j+1] == 240) {
					j++
				}
				i = j + 2
			default: // two-byte command
				i += 2
			}
			continue
		}
		switch b {
		case '\r':
			dst = append(dst, '\n')
			if i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == 0) {
				i++
			}
		case 0:
		case 0x08, 0x7f:
			if n := len(dst); n > 0 && dst[n-1] != '\n' {
				dst = dst[:n-1]
			}
		default:
			dst = append(dst, b)
		}
		i++
	}
	return dst
}

// promptAt finds a shell prompt at the start of line l: it returns the
// prompt character ('#' for root, or '$', '%', '>') and the index where
// the echoed command starts, or 0 when l is not a prompt line.
func promptAt(l []byte) (byte, int) {
	max := len(l)
	if max > 80 {
		max = 80
	}
	for k := 0; k < max; k++ {
		c := l[k]
		if c != '#' && c != '$' && c != '%' && c != '>' {
			continue
		}
		if k+1 < len(l) && l[k+1] != ' ' {
			continue
		}
		p := l[:k]
		start := k + 1
		if start < len(l) {
			start++
		}
		if promptPrefix(p, l[start:]) {
			return c, start
		}
		return 0, 0
	}
	return 0, 0
}

// promptPrefix reports whether p looks like the text before a prompt
// character: empty (a bare "# " or "$ "), "[user@host dir]", "user@host:dir"
// or one word such as a host name or "bash-5.1".
func promptPrefix(p, rest []byte) bool {
	if len(p) == 0 {
		// A bare prompt: accept it when nothing or a plausible command
		// follows, so that "# Comment" lines of listed files do not count.
		return len(rest) == 0 || (len(rest) < 256 && (rest[0] >= 'a' && rest[0] <= 'z' || rest[0] == '.' || rest[0] == '/' || rest[0] == '~'))
	}
	if len(p) > 64 {
		return false
	}
	if p[0] == '[' && p[len(p)-1] == ']' {
		return true
	}
	for _, b := range p {
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case b == '@' || b == ':' || b == '.' || b == '-' || b == '_' || b == '/' || b == '~' || b == '(' || b == ')':
		default:
			return false
		}
	}
	// One word that is not a number ("100%" is progress output).
	for _, b := range p {
		if b < '0' || b > '9' {
			return true
		}
	}
	return false
}

// loginFailure reports whether a server line reports a failed login.
func loginFailure(l []byte) bool {
	return containsFold(l, "login incorrect") || containsFold(l, "login failed") ||
		containsFold(l, "authentication failure") || containsFold(l, "access denied") ||
		containsFold(l, "invalid login") || containsFold(l, "permission denied")
}

// accessViolation reports whether a server line reports a denied or
// failed operation (a "compromised condition").
func accessViolation(l []byte) bool {
	return containsFold(l, "permission denied") || containsFold(l, "operation not permitted") ||
		containsFold(l, "not owner") || containsFold(l, "command not found") || containsFold(l, "access denied")
}

// suFailure reports whether a server line reports a failed su.
func suFailure(l []byte) bool {
	t := trimSpace(l)
	return (hasPrefixFold(t, "su:") && (containsFold(t, "fail") || containsFold(t, "incorrect") || containsFold(t, "sorry") || containsFold(t, "denied"))) ||
		equalFold(t, "sorry") || equalFold(t, "sorry.")
}

// session is the state of an interactive login session.
type session struct {
	loggedIn  bool
	prompts   int // login or password prompts seen before login
	user      []byte
	root      bool // the current prompt is a root prompt
	userShell bool // a non-root prompt was seen
	suPending bool
	suTried   bool
	suOK      bool
}

// interactive scans a telnet (or rlogin, after its handshake) session.
// The server stream carries the whole transcript: prompts, the echo of
// every typed command (not of passwords) and the output.
func (s *ContentScanner) interactive(orig, resp []byte, telnet bool, f *ContentFeatures) {
	var ss session
	s.session(resp, telnet, false, &ss, f)
}

// session runs the interactive state machine over the server stream.
// trusted says that a prompt may appear without a password prompt
// (rlogin with host trust).
func (s *ContentScanner) session(resp []byte, telnet, trusted bool, ss *session, f *ContentFeatures) {
	s.norm = normalize(s.norm, resp, telnet)
	rest := s.norm
	for len(rest) > 0 {
		var l []byte
		l, rest = nextLine(rest)
		if !ss.loggedIn {
			switch {
			case loginFailure(l):
				f.FailedLogins++
				continue
			case hasPrefixFold(trimSpace(l), "last login"):
				s.login(ss, f)
				continue
			case indexFold(l, "login:") >= 0 || indexFold(l, "username:") >= 0:
				i := indexFold(l, "login:") + len("login:")
				if j := indexFold(l, "username:"); j >= 0 {
					i = j + len("username:")
				}
				u, _ := cutWord(l[i:])
				ss.user = u
				ss.prompts++
				if inList(u, hotUsers) {
					f.Hot++
				}
				continue
			case containsFold(l, "password:") || containsFold(l, "password for"):
				ss.prompts++
				continue
			}
			c, _ := promptAt(l)
			if c == 0 || (ss.prompts == 0 && !trusted) {
				continue
			}
			s.login(ss, f)
		}
		if c, start := promptAt(l); c != 0 {
			if c == '#' {
				ss.root = true
				f.RootShell = true
				if ss.suPending {
					ss.suOK = true
				}
			} else {
				ss.root = false
				ss.userShell = true
			}
			ss.suPending = false
			if command(l[start:], ss.root, f) {
				ss.suTried, ss.suPending = true, true
			}
			continue
		}
		if suFailure(l) {
			ss.suPending = false
			continue
		}
		if accessViolation(l) {
			f.Compromised++
		}
	}
	switch {
	case ss.suOK:
		f.SuAttempted = 2
	case ss.suTried:
		f.SuAttempted = 1
	}
}

// login records a successful login of ss.user.
func (s *ContentScanner) login(ss *session, f *ContentFeatures) {
	ss.loggedIn = true
	f.LoggedIn = true
	s.account(ss.user, f)
}

// account sets the guest and host login flags for a logged-in user.
func (s *ContentScanner) account(user []byte, f *ContentFeatures) {
	if inList(user, guestUsers) {
		f.GuestLogin = true
	}
	for _, h := range s.hostUsers {
		if equalFold(user, h) {
			f.HostLogin = true
		}
	}
}

// nulFields splits the first n NUL-terminated fields off b.
func nulFields(b []byte, out [][]byte) (rest []byte, ok bool) {
	for i := range out {
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return b, false
		}
		out[i], b = b[:j], b[j+1:]
	}
	return b, true
}

// rlogin scans an rlogin session: the client's handshake
// "\0client-user\0server-user\0terminal/speed\0" names the account; the
// server answers "\0" and the session follows, with a password prompt
// unless the host is trusted.
func (s *ContentScanner) rlogin(orig, resp []byte, f *ContentFeatures) {
	var fl [4][]byte
	if len(orig) == 0 || orig[0] != 0 {
		return
	}
	if _, ok := nulFields(orig[1:], fl[:3]); !ok {
		return
	}
	if len(resp) == 0 || resp[0] != 0 {
		return
	}
	ss := session{user: fl[1]}
	if inList(fl[1], hotUsers) {
		f.Hot++
	}
	s.session(resp[1:], false, true, &ss, f)
}

// rcmd scans rsh (shell) and rexec (exec): the client sends
// "port\0client-user\0server-user\0command\0" (rsh) or
// "port\0user\0password\0command\0" (rexec); the server answers "\0" and
// the output, or "\1" and an error message.
func (s *ContentScanner) rcmd(svc Service, orig, resp []byte, f *ContentFeatures) {
	var fl [4][]byte
	if _, ok := nulFields(orig, fl[:]); !ok || len(resp) == 0 {
		return
	}
	user := fl[2]
	if svc == SvcExec {
		user = fl[1]
	}
	if inList(user, hotUsers) {
		f.Hot++
	}
	switch resp[0] {
	case 0:
		f.LoggedIn = true
		s.account(user, f)
		root := equalFold(user, "root")
		f.RootShell = root
		if command(fl[3], root, f) {
			f.SuAttempted = 1
		}
		rest := resp[1:]
		for len(rest) > 0 {
			var l []byte
			l, rest = nextLine(rest)
			if accessViolation(l) {
				f.Compromised++
			}
		}
	case 1:
		f.FailedLogins++
	}
}

// ---------------------------------------------------------------------
// FTP.

// ftp pairs each client command with its reply (replies come in command
// order; 1xx preliminary replies precede the final one).
func (s *ContentScanner) ftp(orig, resp []byte, f *ContentFeatures) {
	rr := replyReader{rest: resp}
	// The greeting.
	for {
		c, _, ok := rr.next()
		if !ok || c >= 200 {
			break
		}
	}
	var user []byte
	loggedIn, guest, root := false, false, false
	rest := orig
	for len(rest) > 0 {
		var l []byte
		l, rest = nextLine(rest)
		if len(l) == 0 {
			continue
		}
		verb, arg := cutWord(l)
		// Its reply: preliminary 1xx, then the final one.
		code, text, prelim := 0, []byte(nil), false
		for {
			c, t, ok := rr.next()
			if !ok {
				break
			}
			code, text = c, t
			if c >= 200 {
				break
			}
			prelim = true
		}
		if len(l) > overlongShort {
			f.Compromised++
		}
		switch {
		case equalFold(verb, "USER"):
			user = arg
			if inList(arg, hotUsers) {
				f.Hot++
			}
			switch {
			case code == 230:
				loggedIn, guest, root = true, inList(user, guestUsers), equalFold(user, "root")
				f.LoggedIn = true
				s.account(user, f)
			case code == 530:
				f.FailedLogins++
			}
			continue
		case equalFold(verb, "PASS") || equalFold(verb, "ACCT"):
			switch {
			case code == 230:
				loggedIn, guest, root = true, inList(user, guestUsers), equalFold(user, "root")
				f.LoggedIn = true
				s.account(user, f)
			case code >= 500 && equalFold(verb, "PASS"):
				f.FailedLogins++
			}
			continue
		}
		if !loggedIn {
			continue
		}
		if root {
			f.NumRoot++
		}
		hot := (guest && inList(verb, ftpGuestOps)) || containsAnyFold(arg, systemDirs) || equalFold(verb, "SITE")
		if hot {
			f.Hot++
		}
		if equalFold(verb, "SITE") {
			if w, cmd := cutWord(arg); equalFold(w, "EXEC") {
				command(cmd, root, f)
			}
		}
		if inList(verb, ftpCreateOps) && (code/100 == 2 || (prelim && code == 0)) {
			f.FileCreations++
		}
		if containsAnyFold(arg, accessFiles) {
			f.AccessFiles++
		}
		if (code == 550 || code == 553) && (containsFold(text, "denied") || containsFold(text, "ermission")) {
			f.Compromised++
		}
	}
}

// ---------------------------------------------------------------------
// POP3.

// pop3 pairs commands with "+OK"/"-ERR" replies, skipping the bodies of
// multi-line replies and answering SASL challenges with client lines.
func (s *ContentScanner) pop3(orig, resp []byte, f *ContentFeatures) {
	rest := resp
	// popReply returns the next status line, skipping a multi-line body
	// when multi.
	popReply := func(multi bool) []byte {
		for len(rest) > 0 {
			var l []byte
			l, rest = nextLine(rest)
			if !hasPrefixFold(l, "+") && !hasPrefixFold(l, "-err") {
				continue
			}
			if multi && hasPrefixFold(l, "+ok") {
				for len(rest) > 0 {
					var b []byte
					b, rest = nextLine(rest)
					if len(b) == 1 && b[0] == '.' {
						break
					}
				}
			}
			return l
		}
		return nil
	}
	popReply(false) // greeting
	var user []byte
	crest := orig
	for len(crest) > 0 {
		var l []byte
		l, crest = nextLine(crest)
		if len(l) == 0 {
			continue
		}
		if len(l) > overlongShort {
			f.Compromised++
		}
		verb, arg := cutWord(l)
		multi := equalFold(verb, "RETR") || equalFold(verb, "TOP") || equalFold(verb, "CAPA") ||
			((equalFold(verb, "LIST") || equalFold(verb, "UIDL")) && len(arg) == 0)
		r := popReply(multi)
		if equalFold(verb, "AUTH") {
			for hasPrefixFold(r, "+ ") || (len(r) == 1 && r[0] == '+') {
				if len(crest) == 0 {
					break
				}
				_, crest = nextLine(crest) // the client's SASL response
				r = popReply(false)
			}
		}
		switch {
		case equalFold(verb, "USER"):
			user, _ = cutWord(arg)
			if inList(user, hotUsers) {
				f.Hot++
			}
		case equalFold(verb, "PASS") || equalFold(verb, "APOP") || equalFold(verb, "AUTH"):
			if equalFold(verb, "APOP") {
				user, _ = cutWord(arg)
			}
			switch {
			case hasPrefixFold(r, "+ok"):
				f.LoggedIn = true
				s.account(user, f)
			case hasPrefixFold(r, "-err"):
				f.FailedLogins++
			}
		}
	}
}

// ---------------------------------------------------------------------
// IMAP.

// imap matches LOGIN and AUTHENTICATE commands with their tagged replies.
func (s *ContentScanner) imap(orig, resp []byte, f *ContentFeatures) {
	pend := s.pending[:0]
	var user []byte
	crest := orig
	for len(crest) > 0 {
		var l []byte
		l, crest = nextLine(crest)
		if len(l) > overlongLong {
			f.Compromised++
		}
		tag, rest := cutWord(l)
		verb, arg := cutWord(rest)
		if equalFold(verb, "LOGIN") || equalFold(verb, "AUTHENTICATE") {
			if equalFold(verb, "LOGIN") {
				user, _ = cutWord(arg)
				user = bytes.Trim(user, "\"")
				if inList(user, hotUsers) {
					f.Hot++
				}
			}
			if len(pend) < cap(pend) && len(tag) > 0 {
				pend = append(pend, tag)
			}
		}
	}
	rrest := resp
	for len(rrest) > 0 && len(pend) > 0 {
		var l []byte
		l, rrest = nextLine(rrest)
		tag, rest := cutWord(l)
		status, _ := cutWord(rest)
		for i, p := range pend {
			if !bytes.Equal(tag, p) {
				continue
			}
			switch {
			case equalFold(status, "OK"):
				f.LoggedIn = true
				s.account(user, f)
			case equalFold(status, "NO"):
				f.FailedLogins++
			}
			pend = append(pend[:i], pend[i+1:]...)
			break
		}
	}
	clear(s.pending[:])
}

// ---------------------------------------------------------------------
// SMTP.

// smtp pairs commands with replies; a DATA command's message body (up to
// the "." line) is skipped, and its end gets a reply of its own.
func (s *ContentScanner) smtp(orig, resp []byte, f *ContentFeatures) {
	rr := replyReader{rest: resp}
	rr.next() // greeting
	crest := orig
	for len(crest) > 0 {
		var l []byte
		l, crest = nextLine(crest)
		if len(l) == 0 {
			continue
		}
		if len(l) > overlongLong {
			f.Compromised++
		}
		verb, arg := cutWord(l)
		code, _, _ := rr.next()
		switch {
		case equalFold(verb, "HELO") || equalFold(verb, "EHLO"):
			if code == 250 {
				f.LoggedIn = true
			}
		case equalFold(verb, "AUTH"):
			for code == 334 && len(crest) > 0 {
				_, crest = nextLine(crest)
				code, _, _ = rr.next()
			}
			switch {
			case code == 235:
				f.LoggedIn = true
			case code == 535:
				f.FailedLogins++
			}
		case equalFold(verb, "VRFY") || equalFold(verb, "EXPN") || equalFold(verb, "DEBUG") ||
			equalFold(verb, "WIZ") || equalFold(verb, "KILL"):
			f.Hot++
		case equalFold(verb, "DATA"):
			if code == 354 {
				for len(crest) > 0 {
					var b []byte
					b, crest = nextLine(crest)
					if len(b) == 1 && b[0] == '.' {
						break
					}
				}
				rr.next() // the message's own reply
			}
		case hasPrefixFold(l, "rcpt to:") || hasPrefixFold(l, "mail from:"):
			if i := bytes.IndexByte(arg, '|'); i >= 0 {
				f.Hot++
				cmd := bytes.Trim(arg[i+1:], "\"<>")
				if w, _ := cutWord(cmd); inList(baseName(w), shells) {
					f.Shells++
				}
			} else if j := bytes.IndexByte(arg, ':'); j >= 0 {
				a := bytes.TrimLeft(arg[j+1:], " <\"")
				if len(a) > 0 && a[0] == '/' {
					f.Hot++
					if code == 250 {
						f.FileCreations++
					}
				}
			}
			if containsAnyFold(arg, accessFiles) {
				f.AccessFiles++
			}
		}
	}
}

// ---------------------------------------------------------------------
// HTTP.

// isHTTPRequestLine reports whether l is "METHOD SP target ..." with a
// known method.
func isHTTPRequestLine(l []byte) bool {
	m, rest := cutWord(l)
	return len(rest) > 0 && inListExact(m, httpMethods)
}

// inListExact is inList with case-sensitive matching (HTTP methods are
// case-sensitive).
func inListExact(w []byte, list string) bool {
	for list != "" {
		var it string
		it, list = nextItem(list)
		if string(w) == it {
			return true
		}
	}
	return false
}

// headerValue returns the value of a header line if its name is name
// (lower case).
func headerValue(l []byte, name string) ([]byte, bool) {
	if len(l) <= len(name) || l[len(name)] != ':' || !hasPrefixFold(l, name) {
		return nil, false
	}
	return trimSpace(l[len(name)+1:]), true
}

// parseUint parses a decimal number, capped far above any content size.
func parseUint(b []byte) (int, bool) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<40 {
			n = n*10 + int(c-'0')
		}
	}
	return n, true
}

// parseHex parses a chunk-size line (hex digits, optional extensions).
func parseHex(b []byte) (int, bool) {
	n, any := 0, false
	for _, c := range trimSpace(b) {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return n, any
		}
		any = true
		if n < 1<<40 {
			n = n*16 + d
		}
	}
	return n, any
}

// httpMessage reads one message's headers from b (after its start line)
// and skips its body; it returns what the headers said and the rest of
// the stream. bodyless forces no body (HEAD responses, 1xx, 204, 304);
// untilClose says a response without length runs to the end.
func httpMessage(b []byte, bodyless, untilClose bool) (auth bool, rest []byte) {
	length, chunked, hasLength := 0, false, false
	for len(b) > 0 {
		var l []byte
		l, b = nextLine(b)
		if len(l) == 0 {
			break
		}
		if v, ok := headerValue(l, "content-length"); ok {
			length, hasLength = parseUint(v)
		}
		if v, ok := headerValue(l, "transfer-encoding"); ok && containsFold(v, "chunked") {
			chunked = true
		}
		if _, ok := headerValue(l, "authorization"); ok {
			auth = true
		}
		if _, ok := headerValue(l, "proxy-authorization"); ok {
			auth = true
		}
	}
	switch {
	case bodyless:
	case chunked:
		for len(b) > 0 {
			var l []byte
			l, b = nextLine(b)
			n, ok := parseHex(l)
			if !ok {
				continue
			}
			if n == 0 {
				// Trailers up to the empty line.
				for len(b) > 0 {
					l, b = nextLine(b)
					if len(l) == 0 {
						break
					}
				}
				break
			}
			if n >= len(b) {
				return auth, nil
			}
			b = b[n:]
			_, b = nextLine(b) // the CRLF after the data
		}
	case hasLength:
		if length >= len(b) {
			return auth, nil
		}
		b = b[length:]
	case untilClose:
		return auth, nil
	}
	return auth, b
}

// httpRequest is what the HTTP scanner remembers of one request.
type httpRequest struct {
	head, auth, inject bool
}

// http pairs requests with responses in order.
func (s *ContentScanner) http(orig, resp []byte, f *ContentFeatures) {
	crest, rrest := orig, resp
	for len(crest) > 0 {
		var l []byte
		l, crest = nextLine(crest)
		if !isHTTPRequestLine(l) {
			continue
		}
		var req httpRequest
		method, rest := cutWord(l)
		target, _ := cutWord(rest)
		req.head = string(method) == "HEAD"
		req.inject = httpTarget(l, target, f)
		req.auth, crest = httpMessage(crest, false, false)
		// Its response (skipping 1xx interim responses).
		code := 0
		for len(rrest) > 0 {
			var sl []byte
			sl, rrest = nextLine(rrest)
			if !hasPrefixFold(sl, "http/") {
				continue
			}
			_, st := cutWord(sl)
			cw, _ := cutWord(st)
			c, ok := parseUint(cw)
			if !ok {
				continue
			}
			bodyless := req.head || c < 200 || c == 204 || c == 304
			_, rrest = httpMessage(rrest, bodyless, true)
			if c >= 200 {
				code = c
				break
			}
		}
		if code == 0 {
			continue
		}
		switch {
		case code == 401 || code == 407:
			if req.auth {
				f.FailedLogins++
			}
		default:
			f.LoggedIn = true
		}
		if req.inject && code == 200 {
			f.RootShell = true
		}
		if string(method) == "PUT" && (code == 200 || code == 201 || code == 204) {
			f.FileCreations++
		}
	}
}

// httpTarget applies the per-request rules to a request line; it reports
// whether the target injects a shell command.
func httpTarget(line, target []byte, f *ContentFeatures) (inject bool) {
	if len(line) > overlongLong {
		f.Compromised++
		f.Hot++
	}
	if containsFold(target, "/cgi-bin/") || containsFold(target, ".cgi") || containsFold(target, ".pl") {
		f.Hot++
	}
	if indexFold(target, "///") >= 0 {
		f.Hot++
	}
	traversal := containsFold(target, "../") || containsFold(target, "..%2f") || containsFold(target, "%2e%2e")
	if traversal {
		f.Compromised++
	}
	ctl := containsFold(target, "%0a") || containsFold(target, "%0d") || containsFold(target, "%00")
	if traversal || ctl || containsAnyFold(target, systemDirs) {
		f.Hot++
	}
	if containsAnyFold(target, accessFiles) || containsFold(target, "passwd") {
		f.AccessFiles++
	}
	// A command after an encoded newline or a shell metacharacter.
	for _, sep := range [...]string{"%0a", "%0d", ";", "|", "%3b", "%7c"} {
		i := indexFold(target, sep)
		if i < 0 {
			continue
		}
		after := target[i+len(sep):]
		if hasPrefixFold(after, "/bin/") || hasPrefixFold(after, "/usr/bin/") || hasPrefixFold(after, "/sbin/") {
			inject = true
			if containsAnyFold(after, "/bin/sh|/bin/bash|/bin/csh|/bin/ksh|/bin/tcsh|/bin/zsh") {
				f.Shells++
			}
			break
		}
	}
	return inject
}
