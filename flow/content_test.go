package flow

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestContentTelnetBruteforce: the lab's hydra telnet brute force carries
// 11 "Login incorrect" replies across its 6 connections (the lab README's
// tshark count; DESIGN.md's golden value), in the responder streams.
func TestContentTelnetBruteforce(t *testing.T) {
	conns, st := run(t, oneShard(), "lab/r2l-telnet-bruteforce.pcap")
	if len(conns) != 6 {
		t.Fatalf("%d connections, want 6", len(conns))
	}
	total, users := 0, 0
	for i := range conns {
		c := &conns[i]
		if c.RespPort != 23 || c.Content[0] == nil || c.Content[1] == nil {
			t.Errorf("conn %s has no content", connLine(c))
		}
		if c.ContentGaps != [2]bool{} || c.ContentTruncated != [2]bool{} {
			t.Errorf("conn %s: gaps %v truncated %v", connLine(c), c.ContentGaps, c.ContentTruncated)
		}
		total += bytes.Count(c.Content[1], []byte("Login incorrect"))
		if bytes.Count(c.Content[0], []byte("Login incorrect")) != 0 {
			t.Errorf("reply found in the originator stream of %s", connLine(c))
		}
		if bytes.Contains(c.Content[0], []byte("root\r\x00")) || bytes.Contains(c.Content[0], []byte("admin\r\x00")) {
			users++
		}
		if uint64(len(c.Content[0])) != c.OrigBytes || uint64(len(c.Content[1])) != c.RespBytes {
			t.Errorf("content %d/%d bytes, payload %d/%d", len(c.Content[0]), len(c.Content[1]), c.OrigBytes, c.RespBytes)
		}
	}
	if total != 11 {
		t.Errorf(`"Login incorrect" %d times, want 11`, total)
	}
	if users != 6 {
		t.Errorf("%d connections carry a user name, want 6", users)
	}
	if st.ContentDropped != 0 {
		t.Errorf("content dropped %d", st.ContentDropped)
	}
}

// TestContentTelnetSession: the login name typed in telnet-session.pcap
// ("fake", tshark -Y "tcp.srcport==1550 && tcp.len>0" -e tcp.payload shows
// 66616b650d0a) comes out whole, between the prompts of the server.
func TestContentTelnetSession(t *testing.T) {
	conns, _ := run(t, oneShard(), "public/telnet-session.pcap")
	c := only(t, conns)
	if !bytes.Contains(c.Content[0], []byte("\x01fake\r\n\xff\xfd\x01user\r\n")) || !bytes.Contains(c.Content[0], []byte("ls -a\r\nexit\r\n")) {
		t.Errorf("originator stream lacks the login: %q", c.Content[0])
	}
	if !bytes.Contains(c.Content[1], []byte("login: ")) || !bytes.Contains(c.Content[1], []byte("Password:")) {
		t.Errorf("responder stream lacks the prompts: %q", c.Content[1])
	}
	// Frame 18 is a 66-byte cut copy of frame 17 (a retransmission): it
	// must neither duplicate bytes nor count as a gap.
	if c.ContentGaps != [2]bool{} || uint64(len(c.Content[0])) != c.OrigBytes || uint64(len(c.Content[1])) != c.RespBytes {
		t.Errorf("gaps %v, content %d/%d for payload %d/%d", c.ContentGaps, len(c.Content[0]), len(c.Content[1]), c.OrigBytes, c.RespBytes)
	}
}

// keystrokes types text one byte per segment from the client, with the
// server echoing each byte, starting at client offset off.
func keystrokes(text string, cseq, sseq uint32) []step {
	var out []step
	for i := 0; i < len(text); i++ {
		out = append(out, c(pa, cseq+uint32(i), sseq+uint32(i), text[i:i+1]))
		out = append(out, s(pa, sseq+uint32(i), cseq+uint32(i)+1, text[i:i+1]))
	}
	return out
}

// TestContentKeystrokes: a string typed one keystroke per segment, with
// a segment reordered, one retransmitted and one overlapping, comes out
// whole and once.
func TestContentKeystrokes(t *testing.T) {
	tel := netip.MustParseAddrPort("10.0.0.2:23")
	steps := []step{c(syn, 100, 0, ""), s(synack, 900, 101, ""), c(ack, 101, 901, ""),
		s(pa, 901, 101, "login: ")}
	steps = append(steps, keystrokes("root\r\n", 101, 908)...)
	// "Password: " then the password typed blind, out of order:
	// "se" "cr" then "et" before "cr" arrives, plus a retransmission.
	steps = append(steps, s(pa, 914, 107, "Password: "),
		c(pa, 107, 924, "s"), c(pa, 108, 924, "e"),
		c(pa, 111, 924, "e"), c(pa, 112, 924, "t"), // ahead of the hole
		c(pa, 109, 924, "c"), c(pa, 110, 924, "r"), // fills it
		c(pa, 108, 924, "ecr"),  // retransmission overlapping delivered bytes
		c(pa, 113, 924, "\r\n"), // end of line
		s(pa, 924, 115, "\r\nLogin incorrect\r\n"),
		c(fa, 115, 943, ""), s(fa, 943, 116, ""), c(ack, 116, 944, ""))
	conns, _ := runFrames(t, oneShard(), script(t, cli, tel, steps...))
	got := only(t, conns)
	if want := "root\r\nsecret\r\n"; string(got.Content[0]) != want {
		t.Errorf("originator stream %q, want %q", got.Content[0], want)
	}
	if want := "login: root\r\nPassword: \r\nLogin incorrect\r\n"; string(got.Content[1]) != want {
		t.Errorf("responder stream %q, want %q", got.Content[1], want)
	}
	if got.ContentGaps != [2]bool{} || got.ContentTruncated != [2]bool{} || got.OrigBytes != 14 || got.State != SF {
		t.Errorf("gaps %v truncated %v bytes %d state %v", got.ContentGaps, got.ContentTruncated, got.OrigBytes, got.State)
	}
}

// TestContentCapGapsAndServices covers the cap, a hole that is never
// filled, and the ports whose content is not kept.
func TestContentCapGapsAndServices(t *testing.T) {
	long := strings.Repeat("0123456789", 5)
	t.Run("cap", func(t *testing.T) {
		cfg := oneShard()
		cfg.ContentCap = 16
		conns, st := runFrames(t, cfg, script(t, cli, srv, c(syn, 1, 0, ""), s(synack, 1, 2, ""),
			c(pa, 2, 2, long), s(pa, 2, 52, "short")))
		got := only(t, conns)
		if string(got.Content[0]) != long[:16] || got.ContentTruncated != [2]bool{true, false} || string(got.Content[1]) != "short" {
			t.Errorf("content %q/%q truncated %v", got.Content[0], got.Content[1], got.ContentTruncated)
		}
		if got.OrigBytes != 50 || st.ContentDropped != 34 {
			t.Errorf("bytes %d dropped %d, want 50 and 34", got.OrigBytes, st.ContentDropped)
		}
	})
	t.Run("gap", func(t *testing.T) {
		conns, _ := runFrames(t, oneShard(), script(t, cli, srv, c(syn, 1, 0, ""), s(synack, 1, 2, ""),
			c(pa, 2, 2, "GET /"), c(pa, 17, 2, "HTTP/1.0\r\n"))) // bytes 5-14 never seen
		got := only(t, conns)
		if string(got.Content[0]) != "GET /HTTP/1.0\r\n" || got.ContentGaps != [2]bool{true, false} || got.OrigBytes != 25 {
			t.Errorf("content %q gaps %v bytes %d", got.Content[0], got.ContentGaps, got.OrigBytes)
		}
	})
	t.Run("acknowledged but not seen", func(t *testing.T) {
		conns, _ := runFrames(t, oneShard(), script(t, cli, srv, c(syn, 1, 0, ""), s(synack, 1, 2, ""),
			c(pa, 2, 2, "GET /"), s(ack, 2, 50, "")))
		if got := only(t, conns); got.ContentGaps != [2]bool{true, false} || got.OrigBytes != 48 {
			t.Errorf("gaps %v bytes %d, want a gap and 48 bytes", got.ContentGaps, got.OrigBytes)
		}
	})
	t.Run("not a content service", func(t *testing.T) {
		tls := netip.MustParseAddrPort("10.0.0.2:443")
		conns, st := runFrames(t, oneShard(), script(t, cli, tls, c(syn, 1, 0, ""), s(synack, 1, 2, ""), c(pa, 2, 2, long)))
		if got := only(t, conns); got.Content[0] != nil || got.Content[1] != nil || got.OrigBytes != 50 {
			t.Errorf("port 443 kept content %q/%q", got.Content[0], got.Content[1])
		}
		if st.ContentDropped != 0 {
			t.Errorf("dropped %d", st.ContentDropped)
		}
	})
	t.Run("content disabled", func(t *testing.T) {
		cfg := oneShard()
		cfg.ContentPorts = []uint16{}
		conns, _ := runFrames(t, cfg, script(t, cli, srv, c(syn, 1, 0, ""), c(pa, 2, 2, long)))
		if got := only(t, conns); got.Content[0] != nil {
			t.Errorf("content kept although disabled: %q", got.Content[0])
		}
	})
	t.Run("client port in the set is not enough", func(t *testing.T) {
		from80 := netip.MustParseAddrPort("10.0.0.1:80")
		hi := netip.MustParseAddrPort("10.0.0.2:40000")
		conns, _ := runFrames(t, oneShard(), script(t, from80, hi, c(syn, 1, 0, ""), c(pa, 2, 2, long)))
		if got := only(t, conns); got.Content[0] != nil {
			t.Errorf("content kept for responder port %d", got.RespPort)
		}
	})
}

// TestStreamUnit exercises the reassembler's corner cases directly.
func TestStreamUnit(t *testing.T) {
	t.Run("many out-of-order segments beyond maxPending", func(t *testing.T) {
		var s stream
		// Segments 1..maxPending+5 arrive before segment 0.
		for i := maxPending + 5; i >= 1; i-- {
			s.add(uint64(i), []byte{byte('a' + i%26)}, 1, 1<<20)
		}
		s.add(0, []byte{'a'}, 1, 1<<20)
		s.finish(0, 1<<20)
		if len(s.buf) == 0 || !s.gap {
			t.Fatalf("buf %q gap %v", s.buf, s.gap)
		}
		// Whatever was skipped, the delivered bytes are in order and unique.
		for i := 1; i < len(s.buf); i++ {
			if s.buf[i] == s.buf[i-1] {
				t.Fatalf("duplicate byte at %d in %q", i, s.buf)
			}
		}
	})
	t.Run("pending beyond the cap skips the hole", func(t *testing.T) {
		var s stream
		s.add(0, []byte("ab"), 2, 8)
		s.add(4, []byte("efgh"), 4, 8)  // waits (6 of 8 bytes used)
		s.add(10, []byte("klmn"), 4, 8) // no room: hole 2-4 given up
		s.finish(0, 8)
		if got := string(s.buf); got != "abefgh" || !s.gap || !s.trunc && len(s.buf) > 8 {
			t.Errorf("buf %q gap %v trunc %v", s.buf, s.gap, s.trunc)
		}
	})
	t.Run("cut segment", func(t *testing.T) {
		var s stream
		s.add(0, []byte("abc"), 10, 100) // 7 bytes not captured
		s.add(10, []byte("xyz"), 3, 100)
		s.finish(13, 100)
		if string(s.buf) != "abcxyz" || !s.gap {
			t.Errorf("buf %q gap %v", s.buf, s.gap)
		}
	})
	for n := range 6 {
		t.Run(fmt.Sprintf("retransmission %d", n), func(t *testing.T) {
			var s stream
			s.add(0, []byte("hello"), 5, 100)
			s.add(uint64(n%5), []byte("hello world")[n%5:5], uint64(5-n%5), 100)
			s.add(5, []byte(" world"), 6, 100)
			s.finish(11, 100)
			if string(s.buf) != "hello world" || s.gap {
				t.Errorf("buf %q gap %v", s.buf, s.gap)
			}
		})
	}
}
