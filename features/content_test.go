package features

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cnids/cnids/flow"
)

func scan(svc Service, orig, resp string, hostUsers ...string) ContentFeatures {
	var f ContentFeatures
	NewContentScanner(hostUsers).ScanStreams(svc, []byte(orig), []byte(resp), &f)
	return f
}

func checkContent(t *testing.T, what string, got, want ContentFeatures) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// Telnet option negotiation as a Linux telnetd sends it.
const iac = "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27\xff\xfb\x03\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x05\xff\xfd\x21\xff\xfb\x01" +
	"\xff\xfa\x18\x01\xff\xf0"

func TestContentTelnetSession(t *testing.T) {
	// The server stream: negotiation, banner, a failed root login, then
	// alice logs in, mistypes (backspace echo "\b \b"), su's to root and
	// reads the shadow file. IAC sequences split words; lines end in CR
	// LF or CR NUL.
	resp := iac + "Debian GNU/Linux 12\r\n" +
		"victim login: r\xff\xfb\x01oot\r\nPassword: \r\n\r\nLog\xff\xf1in incorrect\r\n" +
		"victim login: alicf\b \be\r\nPassword: \r\n" +
		"Last login: Mon Nov 23 03:00:54 UTC 2026 from 10.99.0.1 on pts/1\r\n" +
		"alice@victim:~$ ls -l\r\ntotal 0\r\n" +
		"alice@victim:~$ su -\r\nPassword: \r\n" +
		"root@victim:~# cat /etc/shadow\r\x00root:*:19000:0:99999:7:::\r\n# Comment line of a listed file\r\n" +
		"root@victim:~# exit\r\nlogout\r\nalice@victim:~$ "
	// The client stream (unused for telnet: the echo carries the commands).
	orig := "\xff\xfc\x18r\x00o\x00o\x00t\r\x00secret\r\x00"
	want := ContentFeatures{
		FailedLogins: 1, LoggedIn: true, RootShell: true, SuAttempted: 2,
		Hot:         2, // the root login attempt; /etc/ named in a command
		NumRoot:     2, // cat and exit at the root prompt
		AccessFiles: 1,
	}
	checkContent(t, "telnet session", scan(SvcTelnet, orig, resp), want)

	// The same session cut after the su, with a failure.
	resp2 := iac + "login: bob\r\nPassword:\r\n$ su\r\nPassword: \r\nsu: Authentication failure\r\n$ gcc -o x x.c\r\n$ ./x\r\n" +
		"bash: ./x: Permission denied\r\n$ sh\r\n$ echo hi > f\r\n$ "
	want2 := ContentFeatures{LoggedIn: true, SuAttempted: 1, Hot: 2, FileCreations: 2, Shells: 1, Compromised: 1}
	checkContent(t, "telnet su failure", scan(SvcTelnet, "", resp2), want2)
}

func TestContentTelnetBruteForce(t *testing.T) {
	var b strings.Builder
	b.WriteString(iac)
	for _, u := range []string{"root", "admin", "user", "guest"} {
		b.WriteString("login: " + u + "\r\nPassword: \r\n\r\nLogin incorrect\r\n")
	}
	b.WriteString("login: ")
	checkContent(t, "4 failures", scan(SvcTelnet, "", b.String()),
		ContentFeatures{FailedLogins: 4, Hot: 2}) // root and admin are hot accounts
}

func TestContentTelnetAccounts(t *testing.T) {
	resp := "login: guest\r\nPassword:\r\nguest@box:~$ ls\r\n"
	checkContent(t, "guest", scan(SvcTelnet, "", resp), ContentFeatures{LoggedIn: true, GuestLogin: true})
	resp = "login: operator\r\nPassword:\r\n[operator@box ~]$ ls\r\n"
	checkContent(t, "host login", scan(SvcTelnet, "", resp, "operator"),
		ContentFeatures{LoggedIn: true, HostLogin: true, Hot: 1})
	// A root login straight to a root prompt.
	resp = "login: root\r\nPassword:\r\nbash-5.1# id\r\nuid=0(root)\r\nbash-5.1# "
	checkContent(t, "root login", scan(SvcTelnet, "", resp),
		ContentFeatures{LoggedIn: true, RootShell: true, Hot: 1, NumRoot: 1})
	// No login: a prompt-looking banner before any login prompt counts
	// nothing.
	checkContent(t, "banner", scan(SvcTelnet, "", "Welcome$ \r\nlogin: "), ContentFeatures{})
}

func TestContentRlogin(t *testing.T) {
	orig := "\x00alice\x00alice\x00xterm/38400\x00ls\r"
	resp := "\x00Password: \r\n\r\nLast login: Mon\r\nalice@h:~$ ls\r\nfile\r\nalice@h:~$ logout\r\n"
	checkContent(t, "rlogin with password", scan(SvcLogin, orig, resp), ContentFeatures{LoggedIn: true})
	resp = "\x00alice@h:~$ id\r\nuid=1000\r\n"
	checkContent(t, "trusted rlogin", scan(SvcLogin, orig, resp), ContentFeatures{LoggedIn: true})
	orig = "\x00alice\x00root\x00xterm/38400\x00"
	resp = "\x00Password: \r\nLogin incorrect\r\nlogin: "
	checkContent(t, "rlogin as root fails", scan(SvcLogin, orig, resp), ContentFeatures{FailedLogins: 1, Hot: 1})
	checkContent(t, "no handshake", scan(SvcLogin, "alice", "x"), ContentFeatures{})
}

func TestContentRcmd(t *testing.T) {
	orig := "1022\x00alice\x00root\x00cat /etc/passwd > /tmp/x\x00"
	resp := "\x00root:x:0:0\ncat: /tmp/y: Permission denied\n"
	checkContent(t, "rsh as root", scan(SvcShell, orig, resp), ContentFeatures{
		LoggedIn: true, RootShell: true, NumRoot: 1, FileCreations: 1, AccessFiles: 1, Hot: 2, Compromised: 1,
	})
	orig = "0\x00bob\x00pw\x00ls\x00"
	checkContent(t, "rexec refused", scan(SvcExec, orig, "\x01Login incorrect.\n"), ContentFeatures{FailedLogins: 1})
	checkContent(t, "rexec ok", scan(SvcExec, orig, "\x00a b c\n"), ContentFeatures{LoggedIn: true})
	checkContent(t, "truncated", scan(SvcShell, "1022\x00alice", "\x00"), ContentFeatures{})
}

func TestContentFTP(t *testing.T) {
	orig := "USER admin\r\nPASS a\r\nUSER admin\r\nPASS b\r\nUSER anonymous\r\nPASS x@y\r\nCWD /pub\r\nTYPE I\r\n" +
		"PASV\r\nRETR file\r\nSTOR up.txt\r\nMKD new\r\nRETR /etc/passwd\r\nQUIT\r\n"
	resp := "220 (vsFTPd 3.0.3)\r\n" +
		"331 Please specify the password.\r\n530 Login incorrect.\r\n" +
		"331 Please specify the password.\r\n530 Login incorrect.\r\n" +
		"331 Please specify the password.\r\n230-Welcome,\r\n230-anonymous user.\r\n230 Login successful.\r\n" +
		"250 Directory successfully changed.\r\n200 Switching to Binary mode.\r\n227 Entering Passive Mode (10,99,0,2,117,48).\r\n" +
		"150 Opening BINARY mode data connection for file (5 bytes).\r\n226 Transfer complete.\r\n" +
		"553 Could not create file.\r\n257 \"/pub/new\" created\r\n550 Permission denied.\r\n221 Goodbye.\r\n"
	checkContent(t, "ftp", scan(SvcFTP, orig, resp), ContentFeatures{
		FailedLogins: 2, LoggedIn: true, GuestLogin: true,
		Hot:           7, // admin twice; CWD, RETR, STOR, MKD, RETR in the guest session
		FileCreations: 1, // MKD (the STOR failed)
		AccessFiles:   1, Compromised: 1,
	})
	// vsftpd after three failures; and a root session.
	orig = "USER root\r\nPASS x\r\nUSER root\r\nPASS toor\r\nSITE EXEC sh -c id\r\nDELE /etc/motd\r\n"
	resp = "220 ready\r\n331 pw\r\n530 Login incorrect.\r\n331 pw\r\n230 ok\r\n200 done\r\n250 deleted\r\n"
	checkContent(t, "ftp root", scan(SvcFTP, orig, resp), ContentFeatures{
		FailedLogins: 1, LoggedIn: true, Hot: 4, Shells: 1, // 2 USER root, SITE, DELE /etc/; SITE EXEC runs sh
		NumRoot: 3, // SITE, the command it runs, DELE
	})
	checkContent(t, "no replies", scan(SvcFTP, "USER a\r\nPASS b\r\n", ""), ContentFeatures{})
	checkContent(t, "overlong", scan(SvcFTP, "USER "+strings.Repeat("A", 600)+"\r\n", "220 x\r\n500 too long\r\n"),
		ContentFeatures{Compromised: 1})
}

func TestContentPOP3(t *testing.T) {
	orig := "USER bob\r\nPASS x\r\nUSER bob\r\nPASS y\r\nLIST\r\nRETR 1\r\nAUTH PLAIN\r\nAGJvYgB4\r\nQUIT\r\n"
	resp := "+OK POP3 ready\r\n+OK\r\n-ERR [AUTH] Authentication failed.\r\n+OK\r\n+OK Logged in.\r\n" +
		"+OK 2 messages:\r\n1 100\r\n2 200\r\n.\r\n+OK 100 octets\r\n-ERR not a reply, body text\r\n.\r\n" +
		"+ \r\n-ERR auth failed\r\n+OK bye\r\n"
	checkContent(t, "pop3", scan(SvcPOP3, orig, resp), ContentFeatures{FailedLogins: 2, LoggedIn: true})
}

func TestContentIMAP(t *testing.T) {
	orig := "a1 LOGIN bob wrong\r\na2 LOGIN \"anonymous\" right\r\na3 SELECT INBOX\r\n"
	resp := "* OK IMAP4rev1 ready\r\na1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n" +
		"a2 OK [CAPABILITY IMAP4rev1] Logged in\r\n* 3 EXISTS\r\na3 OK Select completed\r\n"
	checkContent(t, "imap", scan(SvcIMAP4, orig, resp), ContentFeatures{FailedLogins: 1, LoggedIn: true, GuestLogin: true})
	long := "a1 LOGIN " + strings.Repeat("x", 2000) + "\r\n"
	checkContent(t, "imap overflow", scan(SvcIMAP4, long, "* OK\r\n"), ContentFeatures{Compromised: 1})
}

func TestContentSMTP(t *testing.T) {
	orig := "EHLO x\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nVRFY root\r\nMAIL FROM:<a@b>\r\n" +
		"RCPT TO:<\"|/bin/sh -c id\">\r\nRCPT TO:</tmp/.rhosts>\r\nDATA\r\nSubject: x\r\n\r\nRCPT TO:</etc/passwd>\r\n.\r\nQUIT\r\n"
	resp := "220 mail ESMTP\r\n250-mail\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" +
		"535 5.7.8 Authentication failed\r\n252 2.0.0 root\r\n250 OK\r\n250 OK\r\n250 OK\r\n354 End data\r\n250 queued\r\n221 bye\r\n"
	checkContent(t, "smtp", scan(SvcSMTP, orig, resp), ContentFeatures{
		LoggedIn: true, FailedLogins: 1,
		Hot:           3, // VRFY, the pipe, the file
		Shells:        1,
		FileCreations: 1, AccessFiles: 1, // .rhosts; the body is skipped
	})
}

func TestContentHTTP(t *testing.T) {
	auth := "GET /secret/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46eA==\r\n\r\n"
	r401 := "HTTP/1.1 401 Unauthorized\r\nContent-Length: 10\r\n\r\n0123456789"
	r200 := "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
	checkContent(t, "basic auth", scan(SvcHTTP, auth+auth+auth, r401+r401+r200),
		ContentFeatures{FailedLogins: 2, LoggedIn: true})
	checkContent(t, "challenge only", scan(SvcHTTP, "GET /secret/ HTTP/1.1\r\n\r\n", r401), ContentFeatures{})
	// A body that looks like a status line is skipped by its length; 100
	// Continue is interim; chunked bodies are skipped.
	body := "HTTP/1.1 401 Unauthorized\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body +
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1b\r\n" + body + "\r\n0\r\n\r\n" +
		"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
	checkContent(t, "bodies", scan(SvcHTTP, auth+auth+auth, resp), ContentFeatures{LoggedIn: true, FailedLogins: 1})
	// phf: hot 2, root_shell, access file, as KDDTrain+'s phf rows.
	phf := "GET /cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0\r\n\r\n"
	checkContent(t, "phf", scan(SvcHTTP, phf, "HTTP/1.0 200 OK\r\n\r\nroot:x:0:0:"),
		ContentFeatures{Hot: 2, LoggedIn: true, RootShell: true, AccessFiles: 1})
	// back: an overlong run of slashes: hot 2, compromised 1, as the
	// back rows.
	back := "GET /" + strings.Repeat("/", 6000) + " HTTP/1.0\r\nUser-Agent: x\r\n\r\n"
	checkContent(t, "back", scan(SvcHTTP, back, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
		ContentFeatures{Hot: 2, Compromised: 1, LoggedIn: true})
	// A shell injected.
	inj := "GET /cgi-bin/test.cgi?x=1;/bin/sh%20-c%20id HTTP/1.0\r\n\r\nPUT /up.txt HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"
	checkContent(t, "injection and PUT", scan(SvcHTTP, inj, "HTTP/1.0 500 Error\r\nContent-Length: 0\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
		ContentFeatures{Hot: 2, Shells: 1, LoggedIn: true, FileCreations: 1})
	// HTTP on an unnamed port is recognised by its request line.
	checkContent(t, "port 8080", scan(SvcOther, auth, r401), ContentFeatures{FailedLogins: 1})
	checkContent(t, "not http", scan(SvcOther, "hello\r\n", r200), ContentFeatures{})
}

func TestContentNoContent(t *testing.T) {
	s := NewContentScanner(nil)
	telnet := "login: root\r\nPassword:\r\n# id\r\n"
	for _, svc := range []Service{SvcHTTP443, 54 /* ssh */, SvcAuth, SvcDomain, SvcPOP2} {
		c := flow.Conn{Proto: flow.ProtoTCP, Content: [2][]byte{[]byte(telnet), []byte(telnet)}}
		if f := s.Scan(svc, &c); f != (ContentFeatures{}) {
			t.Errorf("%v: %+v", svc, f)
		}
	}
	u := flow.Conn{Proto: flow.ProtoUDP, Content: [2][]byte{nil, []byte(telnet)}}
	if f := s.Scan(SvcTelnet, &u); f != (ContentFeatures{}) {
		t.Errorf("udp: %+v", f)
	}
	d := flow.Conn{Proto: flow.ProtoTCP, OrigBytes: 100}
	if f := s.Scan(SvcFTPData, &d); f != (ContentFeatures{LoggedIn: true}) {
		t.Errorf("ftp_data with bytes: %+v", f)
	}
	d.OrigBytes = 0
	if f := s.Scan(SvcFTPData, &d); f != (ContentFeatures{}) {
		t.Errorf("empty ftp_data: %+v", f)
	}
}

// TestContentAllocs: scanning allocates nothing once the scratch buffer
// has grown.
func TestContentAllocs(t *testing.T) {
	s := NewContentScanner([]string{"operator"})
	cases := []struct {
		svc        Service
		orig, resp string
	}{
		{SvcTelnet, "", iac + "login: root\r\nPassword:\r\nroot@x:~# cat /etc/passwd > /tmp/p\r\n"},
		{SvcFTP, "USER anonymous\r\nPASS a\r\nRETR x\r\n", "220 x\r\n331 p\r\n230 ok\r\n150 x\r\n226 ok\r\n"},
		{SvcHTTP, "GET /cgi-bin/phf?%0a/bin/sh HTTP/1.0\r\nAuthorization: x\r\n\r\n", "HTTP/1.0 401 x\r\nContent-Length: 0\r\n\r\n"},
		{SvcIMAP4, "a LOGIN x y\r\n", "a NO bad\r\n"},
		{SvcPOP3, "USER a\r\nPASS b\r\n", "+OK\r\n+OK\r\n-ERR\r\n"},
		{SvcSMTP, "HELO x\r\nDATA\r\nhi\r\n.\r\n", "220 x\r\n250 ok\r\n354 go\r\n250 ok\r\n"},
		{SvcShell, "1\x00a\x00root\x00sh\x00", "\x00ok\n"},
	}
	var f ContentFeatures
	for _, c := range cases {
		o, r := []byte(c.orig), []byte(c.resp)
		s.ScanStreams(c.svc, o, r, &f)
		if a := testing.AllocsPerRun(100, func() { s.ScanStreams(c.svc, o, r, &f) }); a != 0 {
			t.Errorf("%v: %v allocations per scan", c.svc, a)
		}
	}
}

// FuzzContentScan runs every scanner on arbitrary bytes: no panic, and
// bounded, deterministic results.
func FuzzContentScan(f *testing.F) {
	seeds := []struct {
		svc        Service
		orig, resp string
	}{
		{SvcTelnet, "", iac + "login: root\r\nPassword:\r\n\r\nLogin incorrect\r\nlogin: a\r\nPassword:\r\n$ su\r\nPassword:\r\n# ls\r\n"},
		{SvcLogin, "\x00a\x00b\x00vt100/9600\x00", "\x00$ ls\r\n"},
		{SvcShell, "1\x00a\x00root\x00sh\x00", "\x00ok\n"},
		{SvcFTP, "USER a\r\nPASS b\r\nSTOR c\r\n", "220-x\r\n220 y\r\n331 p\r\n230 ok\r\n150 x\r\n226 ok\r\n"},
		{SvcPOP3, "USER a\r\nPASS b\r\nAUTH X\r\nz\r\n", "+OK\r\n+OK\r\n-ERR\r\n+ \r\n+OK\r\n"},
		{SvcIMAP4, "a LOGIN x y\r\n", "* OK\r\na NO bad\r\n"},
		{SvcSMTP, "HELO x\r\nDATA\r\nhi\r\n.\r\n", "220 x\r\n250 ok\r\n354 go\r\n250 ok\r\n"},
		{SvcHTTP, "GET / HTTP/1.1\r\nContent-Length: 9999999999999\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.svc), []byte(s.orig), []byte(s.resp))
	}
	f.Fuzz(func(t *testing.T, svc uint8, orig, resp []byte) {
		sv := Service(svc % NumKDDServices)
		s := NewContentScanner([]string{"root"})
		var a, b ContentFeatures
		s.ScanStreams(sv, orig, resp, &a)
		s.ScanStreams(sv, orig, resp, &b)
		if a != b {
			t.Fatalf("two scans differ: %+v / %+v", a, b)
		}
		n := len(orig) + len(resp) + 1
		for _, v := range []int{a.Hot, a.FailedLogins, a.Compromised, a.NumRoot, a.FileCreations, a.Shells, a.AccessFiles} {
			if v < 0 || v > n {
				t.Fatalf("counter %d out of range for %d bytes: %+v", v, n, a)
			}
		}
		if a.SuAttempted < 0 || a.SuAttempted > 2 {
			t.Fatalf("su_attempted %d", a.SuAttempted)
		}
		// The service map's one content check must not panic either.
		c := flow.Conn{Proto: flow.ProtoTCP, RespPort: 111, Content: [2][]byte{orig, resp}}
		if sv := ServiceOf(&c); sv != "pm_dump" && sv != "sunrpc" {
			t.Fatalf("port 111: %q", sv)
		}
	})
}

// TestContentSemanticsOnData checks the facts about KDDTrain+ that the
// content rules rest on.
func TestContentSemanticsOnData(t *testing.T) {
	lines := kxTrainLines(t)
	httpBoth, httpLogged, hostLogin, su2 := 0, 0, 0, 0
	var guestSmall, guestLarge, nSmall, nLarge float64
	for n, l := range lines {
		if l.f[kddNumOutboundCmds] != "0" {
			t.Fatalf("line %d: num_outbound_cmds %s", n+1, l.f[kddNumOutboundCmds])
		}
		if l.f[1] != "tcp" {
			for c := kddHot; c <= kddIsGuestLogin; c++ {
				if l.f[c] != "0" {
					t.Fatalf("line %d: %s row with content feature %d = %s", n+1, l.f[1], c+1, l.f[c])
				}
			}
		}
		switch su := l.int(kddSuAttempted); su {
		case 0, 1:
		case 2:
			su2++
			if l.f[kddRootShell] != "1" {
				t.Errorf("line %d: su_attempted 2 without root_shell", n+1)
			}
		default:
			t.Errorf("line %d: su_attempted %d", n+1, su)
		}
		if l.f[kddIsHostLogin] == "1" {
			hostLogin++
		}
		if l.f[kddService] == "http" && l.int(kddSrcBytes) > 0 && l.int(kddDstBytes) > 0 {
			httpBoth++
			if l.f[kddLoggedIn] == "1" {
				httpLogged++
			}
		}
		if l.f[kddService] == "ftp" && l.f[kddIsGuestLogin] == "1" {
			switch b := l.int(kddSrcBytes); {
			case b < 400:
				guestSmall += l.num(kddHot)
				nSmall++
			case b > 1000:
				guestLarge += l.num(kddHot)
				nLarge++
			}
		}
	}
	if su2 != 59 || hostLogin != 1 {
		t.Errorf("%d rows with su_attempted 2 (want 59), %d with is_host_login (want 1)", su2, hostLogin)
	}
	if float64(httpLogged) < 0.999*float64(httpBoth) {
		t.Errorf("http rows with a request and a response: %d of %d logged in", httpLogged, httpBoth)
	}
	// Guest ftp sessions: hot grows with the commands sent.
	if nSmall == 0 || nLarge == 0 || guestLarge/nLarge < 3*guestSmall/nSmall {
		t.Errorf("guest ftp hot: mean %.1f under 400 bytes, %.1f over 1000", guestSmall/nSmall, guestLarge/nLarge)
	}
}
