package flow

import (
	"bytes"
	"net/netip"
)

// FTPAnnounce is what one FTP control-channel line announces about a data
// connection.
type FTPAnnounce struct {
	// Kind is the command or reply: "PORT", "EPRT", "227" or "229".
	Kind string
	// Addr is the announced address; invalid for 229 (EPSV), whose data
	// connection goes to the control connection's server, and for an
	// EPRT that leaves it empty.
	Addr netip.Addr
	// Port is the announced data port.
	Port uint16
}

// ParseFTPLine parses one FTP control-channel line (without its line end)
// and reports whether it announces a data connection: a client's PORT or
// EPRT command (RFC 959, RFC 2428) or a server's 227 (PASV) or 229 (EPSV)
// reply. It never panics on arbitrary input.
func ParseFTPLine(line []byte) (FTPAnnounce, bool) {
	line = bytes.TrimLeft(line, " ")
	switch {
	case hasPrefixFold(line, "PORT "):
		nums, ok := sixNumbers(line[5:], false)
		if !ok {
			return FTPAnnounce{}, false
		}
		return FTPAnnounce{Kind: "PORT", Addr: addr4(nums), Port: port2(nums)}, true
	case hasPrefixFold(line, "EPRT "):
		return parseEPRT(bytes.TrimSpace(line[5:]))
	case bytes.HasPrefix(line, []byte("227")) && (len(line) == 3 || line[3] == ' ' || line[3] == '-'):
		// RFC 1123 4.1.2.6: scan for the first digit; the six numbers
		// follow, with or without parentheses.
		nums, ok := sixNumbers(line[3:], true)
		if !ok {
			return FTPAnnounce{}, false
		}
		return FTPAnnounce{Kind: "227", Addr: addr4(nums), Port: port2(nums)}, true
	case bytes.HasPrefix(line, []byte("229")) && (len(line) == 3 || line[3] == ' ' || line[3] == '-'):
		// "229 Entering Extended Passive Mode (|||6446|)"
		i := bytes.IndexByte(line, '(')
		if i < 0 || len(line) < i+5 {
			return FTPAnnounce{}, false
		}
		rest := line[i+1:]
		d := rest[0]
		if d < 33 || d > 126 || rest[1] != d || rest[2] != d {
			return FTPAnnounce{}, false
		}
		port, n, ok := number(rest[3:], 65535)
		if !ok || port == 0 || len(rest) <= 3+n || rest[3+n] != d {
			return FTPAnnounce{}, false
		}
		return FTPAnnounce{Kind: "229", Port: uint16(port)}, true
	}
	return FTPAnnounce{}, false
}

// parseEPRT parses "<d>1<d>addr<d>port<d>" (or protocol 2 for IPv6).
func parseEPRT(s []byte) (FTPAnnounce, bool) {
	if len(s) < 2 || s[0] < 33 || s[0] > 126 {
		return FTPAnnounce{}, false
	}
	d := s[0]
	parts := bytes.Split(s[1:], []byte{d})
	// "|1|addr|port|" splits into ["1" "addr" "port" ""].
	if len(parts) != 4 || len(parts[3]) != 0 {
		return FTPAnnounce{}, false
	}
	port, n, ok := number(parts[2], 65535)
	if !ok || n != len(parts[2]) || port == 0 {
		return FTPAnnounce{}, false
	}
	a := FTPAnnounce{Kind: "EPRT", Port: uint16(port)}
	if len(parts[1]) == 0 {
		return a, true
	}
	addr, err := netip.ParseAddr(string(parts[1]))
	if err != nil || addr.Zone() != "" {
		return FTPAnnounce{}, false
	}
	switch string(parts[0]) {
	case "1":
		if !addr.Is4() {
			return FTPAnnounce{}, false
		}
	case "2":
		if !addr.Is6() {
			return FTPAnnounce{}, false
		}
	default:
		return FTPAnnounce{}, false
	}
	a.Addr = addr
	return a, true
}

func hasPrefixFold(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], []byte(prefix))
}

// sixNumbers reads "h1,h2,h3,h4,p1,p2" (each 0..255). With scan set it
// first skips to the first digit.
func sixNumbers(s []byte, scan bool) ([6]int, bool) {
	var nums [6]int
	if scan {
		i := bytes.IndexAny(s, "0123456789")
		if i < 0 {
			return nums, false
		}
		s = s[i:]
	} else {
		s = bytes.TrimLeft(s, " ")
	}
	for k := range nums {
		v, n, ok := number(s, 255)
		if !ok {
			return nums, false
		}
		nums[k] = v
		s = s[n:]
		if k < 5 {
			if len(s) == 0 || s[0] != ',' {
				return nums, false
			}
			s = s[1:]
		}
	}
	return nums, true
}

// number reads a decimal number of at most 5 digits not above limit.
func number(s []byte, limit int) (v, n int, ok bool) {
	for n < len(s) && n < 6 && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	if n == 0 || n > 5 || v > limit {
		return 0, 0, false
	}
	return v, n, true
}

func addr4(n [6]int) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])})
}

func port2(n [6]int) uint16 { return uint16(n[4]<<8 | n[5]) }

// expectation is an announced FTP data connection.
type expectation struct {
	orig    netip.Addr // expected originator (invalid: any)
	expires int64
}

// ftpRegistry holds the announced data connections. It lives in the
// reader goroutine, before packets are split among shards, so a data
// connection is matched against every announcement that precedes it in
// packet order, whatever the shard count.
type ftpRegistry struct {
	timeout int64
	max     int
	m       map[netip.AddrPort]expectation
	lastGC  int64
}

const ftpMaxExpectations = 1 << 14

func newFTPRegistry(timeout int64) *ftpRegistry {
	return &ftpRegistry{timeout: timeout, max: ftpMaxExpectations, m: make(map[netip.AddrPort]expectation)}
}

// observe parses the lines of a control-channel segment. Lines must be
// whole within the segment (FTP clients and servers send each command and
// reply in one segment); a partial line at either end is ignored.
func (r *ftpRegistry) observe(p *Packet) int {
	fromClient := p.DstPort == 21
	var server, client netip.Addr
	if fromClient {
		server, client = p.Dst, p.Src
	} else {
		server, client = p.Src, p.Dst
	}
	added := 0
	data := p.Payload
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimRight(data[:i], "\r")
		data = data[i+1:]
		a, ok := ParseFTPLine(line)
		if !ok {
			continue
		}
		isCmd := a.Kind == "PORT" || a.Kind == "EPRT"
		if isCmd != fromClient {
			continue
		}
		var resp, orig netip.Addr
		switch a.Kind {
		case "PORT", "EPRT": // the server connects to the client's port
			resp, orig = a.Addr, server
			if !resp.IsValid() {
				resp = client
			}
		case "227": // the client connects to the server's port
			resp, orig = a.Addr, client
		case "229":
			resp, orig = server, client
		}
		if r.add(netip.AddrPortFrom(resp, a.Port), orig, p.Time) {
			added++
		}
	}
	return added
}

func (r *ftpRegistry) add(dst netip.AddrPort, orig netip.Addr, now int64) bool {
	if len(r.m) >= r.max {
		r.gc(now)
		if len(r.m) >= r.max {
			return false
		}
	}
	r.m[dst] = expectation{orig: orig, expires: now + r.timeout}
	return true
}

// match reports whether p opens an announced data connection: a SYN to an
// announced address and port from the expected originator, or (when the
// SYN was missed) the SYN-ACK answering it. A match consumes the
// expectation.
func (r *ftpRegistry) match(p *Packet) bool {
	if len(r.m) == 0 {
		return false
	}
	var dst netip.AddrPort
	var orig netip.Addr
	if p.Flags&FlagACK == 0 {
		dst, orig = netip.AddrPortFrom(p.Dst, p.DstPort), p.Src
	} else {
		dst, orig = netip.AddrPortFrom(p.Src, p.SrcPort), p.Dst
	}
	e, ok := r.m[dst]
	if !ok {
		return false
	}
	if e.expires < p.Time {
		delete(r.m, dst)
		return false
	}
	if e.orig.IsValid() && e.orig != orig {
		return false
	}
	delete(r.m, dst)
	return true
}

// gc drops expired expectations; it runs at most once per second of
// packet time.
func (r *ftpRegistry) gc(now int64) {
	if now-r.lastGC < 1e9 && len(r.m) < r.max {
		return
	}
	r.lastGC = now
	for k, e := range r.m {
		if e.expires < now {
			delete(r.m, k)
		}
	}
}

func (r *ftpRegistry) reset() { clear(r.m) }
