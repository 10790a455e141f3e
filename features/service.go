package features

import (
	"encoding/binary"

	"github.com/cnids/cnids/flow"
)

// kddServices are the 70 NSL-KDD service names in the order of the
// dataset's ARFF header (KDDTrain+_20Percent.arff).
var kddServices = [NumKDDServices]string{
	"aol", "auth", "bgp", "courier", "csnet_ns", "ctf", "daytime", "discard", "domain", "domain_u",
	"echo", "eco_i", "ecr_i", "efs", "exec", "finger", "ftp", "ftp_data", "gopher", "harvest",
	"hostnames", "http", "http_2784", "http_443", "http_8001", "imap4", "IRC", "iso_tsap", "klogin", "kshell",
	"ldap", "link", "login", "mtp", "name", "netbios_dgm", "netbios_ns", "netbios_ssn", "netstat", "nnsp",
	"nntp", "ntp_u", "other", "pm_dump", "pop_2", "pop_3", "printer", "private", "red_i", "remote_job",
	"rje", "shell", "smtp", "sql_net", "ssh", "sunrpc", "supdup", "systat", "telnet", "tftp_u",
	"tim_i", "time", "urh_i", "urp_i", "uucp", "uucp_path", "vmnet", "whois", "X11", "Z39_50",
}

// NumKDDServices is the number of NSL-KDD service names.
const NumKDDServices = 70

// Service is an index into KDDServices: one of the 70 NSL-KDD service
// names. Its zero value is "aol"; use the named constants below.
type Service uint8

// The services the sensor's code refers to by name (indices into
// KDDServices; a test checks each against its name).
const (
	SvcAuth     Service = 1
	SvcDomain   Service = 8
	SvcDomainU  Service = 9
	SvcEcoI     Service = 11
	SvcEcrI     Service = 12
	SvcExec     Service = 14
	SvcFTP      Service = 16
	SvcFTPData  Service = 17
	SvcHTTP     Service = 21
	SvcHTTP2784 Service = 22
	SvcHTTP443  Service = 23
	SvcHTTP8001 Service = 24
	SvcIMAP4    Service = 25
	SvcLogin    Service = 32
	SvcOther    Service = 42
	SvcPmDump   Service = 43
	SvcPOP2     Service = 44
	SvcPOP3     Service = 45
	SvcPrivate  Service = 47
	SvcRedI     Service = 48
	SvcShell    Service = 51
	SvcSMTP     Service = 52
	SvcSunRPC   Service = 55
	SvcTelnet   Service = 58
	SvcTimI     Service = 60
	SvcUrhI     Service = 62
	SvcUrpI     Service = 63
)

// String returns the service's NSL-KDD name ("other" for an out-of-range
// value).
func (s Service) String() string {
	if int(s) < NumKDDServices {
		return kddServices[s]
	}
	return "other"
}

// KDDServices returns the 70 NSL-KDD service names in ARFF header order
// (a fresh copy).
func KDDServices() []string {
	out := make([]string, NumKDDServices)
	copy(out, kddServices[:])
	return out
}

// KDDServiceIndex returns the index of an NSL-KDD service name, or -1.
func KDDServiceIndex(name string) int {
	for i, n := range kddServices {
		if n == name {
			return i
		}
	}
	return -1
}

// tcpPorts maps a TCP responder port to a named service (port list in
// the package documentation). Ports absent from it are private (< 1024)
// or other.
func tcpService(port uint16) (Service, bool) {
	switch {
	case port >= 6000 && port <= 6063:
		return 68, true // X11
	case port >= 71 && port <= 74:
		return 49, true // remote_job
	case port >= 6665 && port <= 6669:
		return 26, true // IRC
	}
	switch port {
	case 5:
		return 50, true // rje
	case 7:
		return 10, true // echo
	case 9:
		return 7, true // discard
	case 11:
		return 57, true // systat
	case 13:
		return 6, true // daytime
	case 15:
		return 38, true // netstat
	case 20:
		return SvcFTPData, true
	case 21:
		return SvcFTP, true
	case 22:
		return 54, true // ssh
	case 23:
		return SvcTelnet, true
	case 25:
		return SvcSMTP, true
	case 37:
		return 61, true // time
	case 42:
		return 34, true // name
	case 43:
		return 67, true // whois
	case 53:
		return SvcDomain, true
	case 57:
		return 33, true // mtp
	case 66, 150:
		return 53, true // sql_net
	case 70:
		return 18, true // gopher
	case 79:
		return 15, true // finger
	case 80:
		return SvcHTTP, true
	case 84:
		return 5, true // ctf
	case 95:
		return 56, true // supdup
	case 101:
		return 20, true // hostnames
	case 102:
		return 27, true // iso_tsap
	case 105:
		return 4, true // csnet_ns
	case 109:
		return SvcPOP2, true
	case 110:
		return SvcPOP3, true
	case 111:
		return SvcSunRPC, true
	case 113:
		return SvcAuth, true
	case 117:
		return 65, true // uucp_path
	case 119:
		return 40, true // nntp
	case 137:
		return 36, true // netbios_ns
	case 138:
		return 35, true // netbios_dgm
	case 139:
		return 37, true // netbios_ssn
	case 143:
		return SvcIMAP4, true
	case 175:
		return 66, true // vmnet
	case 179:
		return 2, true // bgp
	case 194:
		return 26, true // IRC
	case 210:
		return 69, true // Z39_50
	case 245:
		return 31, true // link
	case 389:
		return 30, true // ldap
	case 433:
		return 39, true // nnsp
	case 443:
		return SvcHTTP443, true
	case 512:
		return SvcExec, true
	case 513:
		return SvcLogin, true
	case 514:
		return SvcShell, true
	case 515:
		return 46, true // printer
	case 520:
		return 13, true // efs
	case 530:
		return 3, true // courier
	case 540:
		return 64, true // uucp
	case 543:
		return 28, true // klogin
	case 544:
		return 29, true // kshell
	case 2784:
		return SvcHTTP2784, true
	case 5190:
		return 0, true // aol
	case 8001:
		return SvcHTTP8001, true
	}
	return 0, false
}

// udpService maps a UDP responder port to a named service.
func udpService(port uint16) (Service, bool) {
	switch port {
	case 53:
		return SvcDomainU, true
	case 69:
		return 59, true // tftp_u
	case 123:
		return 41, true // ntp_u
	}
	return 0, false
}

// ICMPService returns the service of an ICMP (v6 false) or ICMPv6 (v6
// true) message of the given type and code; see the package
// documentation for the table.
func ICMPService(v6 bool, typ, code uint8) Service {
	if v6 {
		switch typ {
		case 128:
			return SvcEcoI
		case 129:
			return SvcEcrI
		case 1:
			if code == 4 {
				return SvcUrpI
			}
			return SvcUrhI
		case 3:
			return SvcTimI
		case 137:
			return SvcRedI
		}
		return SvcOther
	}
	switch typ {
	case 8:
		return SvcEcoI
	case 0:
		return SvcEcrI
	case 3:
		if code == 3 {
			return SvcUrpI
		}
		return SvcUrhI
	case 5:
		return SvcRedI
	case 11, 13, 14:
		return SvcTimI
	}
	return SvcOther
}

// ServiceOf returns the NSL-KDD service name of a connection (see the
// package documentation for the rules).
func ServiceOf(c *flow.Conn) string { return ServiceIDOf(c).String() }

// ServiceIDOf returns the NSL-KDD service of a connection as a Service.
func ServiceIDOf(c *flow.Conn) Service {
	switch c.Proto {
	case flow.ProtoICMP:
		return ICMPService(false, c.ICMPType, c.ICMPCode)
	case flow.ProtoICMPv6:
		return ICMPService(true, c.ICMPType, c.ICMPCode)
	case flow.ProtoTCP:
		if c.FTPData || c.OrigPort == 20 {
			return SvcFTPData
		}
		if c.RespPort == 111 && isPortmapDump(c.Content[0]) {
			return SvcPmDump
		}
		if s, ok := tcpService(c.RespPort); ok {
			return s
		}
	case flow.ProtoUDP:
		if c.FTPData {
			return SvcFTPData
		}
		if s, ok := udpService(c.RespPort); ok {
			return s
		}
	default:
		return SvcOther
	}
	if c.RespPort < 1024 {
		return SvcPrivate
	}
	return SvcOther
}

// serviceKey returns the identity of a connection's service for the
// window features: the service index for named services, and for
// private and other the protocol and responder port (ICMP: type and
// code), because KDD's windows tell unnamed ports apart (see the package
// documentation).
func serviceKey(c *flow.Conn, s Service) uint32 {
	if s != SvcPrivate && s != SvcOther {
		return uint32(s)
	}
	switch c.Proto {
	case flow.ProtoTCP, flow.ProtoUDP:
		return 1<<24 | uint32(c.Proto)<<16 | uint32(c.RespPort)
	}
	return 1<<24 | uint32(c.Proto)<<16 | uint32(c.ICMPType)<<8 | uint32(c.ICMPCode)
}

// isPortmapDump reports whether a TCP originator stream starts with an
// ONC RPC call to the portmapper (program 100000, versions 2-4)
// procedure 4 (DUMP), as "rpcinfo -p" sends: record mark, xid, CALL (0),
// RPC version 2, program, version, procedure.
func isPortmapDump(b []byte) bool {
	if len(b) < 28 {
		return false
	}
	be := binary.BigEndian
	vers := be.Uint32(b[20:])
	return be.Uint32(b[8:]) == 0 && be.Uint32(b[12:]) == 2 && be.Uint32(b[16:]) == 100000 &&
		vers >= 2 && vers <= 4 && be.Uint32(b[24:]) == 4
}
