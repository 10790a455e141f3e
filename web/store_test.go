package web

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func TestPasswordHash(t *testing.T) {
	p := DefaultArgon2Params()
	h1, err := hashPassword(p, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(p, "correct horse battery")
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h1)
	}
	// The stored key is argon2id of the password and the stored salt.
	_, salt, key, err := parseHash(h1)
	if err != nil {
		t.Fatal(err)
	}
	if len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes, key %d bytes", len(salt), len(key))
	}
	if want := argon2.IDKey([]byte("correct horse battery"), salt, 2, 19*1024, 1, 32); string(want) != string(key) {
		t.Fatal("the stored key is not argon2id(password, salt)")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if ok, err := verifyPassword(h1, pw); err != nil || ok != want {
			t.Errorf("verify %q: %v %v", pw, ok, err)
		}
	}
	// Other parameters are read from the hash.
	small := Argon2Params{Time: 1, MemoryKiB: 64, Threads: 2, KeyLen: 16, SaltLen: 8}
	h3, _ := hashPassword(small, "x")
	if ok, err := verifyPassword(h3, "x"); !ok || err != nil || !strings.Contains(h3, "$m=64,t=1,p=2$") {
		t.Errorf("small parameters: %q %v %v", h3, ok, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := verifyPassword(bad, "x"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
	for pw, want := range map[string]string{"short": "5 characters, at least 10", "          ": "only spaces", strings.Repeat("x", 1025): "longer than 1024", "\xff\xfe23456789": "UTF-8"} {
		if err := checkPassword(pw); err == nil || !errors.Is(err, ErrWeakPassword) || !strings.Contains(err.Error(), want) {
			t.Errorf("password %.12q: %v, want %q", pw, err, want)
		}
	}
	if err := checkPassword("ten chars!"); err != nil {
		t.Errorf("10 characters refused: %v", err)
	}
}

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory mode %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, DBFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database mode %v %v", fi.Mode(), err)
	}
	// A second opener waits a second, then says the database is in use.
	if _, err := OpenStore(dir); !errors.Is(err, ErrDBLocked) {
		t.Fatalf("second open: %v", err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if has, _ := st.HasUsers(); has {
		t.Fatal("a new store has users")
	}
	if on, _ := st.SignupEnabled(); on {
		t.Fatal("sign-up is on by default")
	}
	if _, err := st.AddUser("Root.Admin", "admin password!", RoleAdmin, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddUser("root.admin", "admin password!", RoleAnalyst, now); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate (other case): %v", err)
	}
	for _, bad := range []string{"", "-x", "a b", "ümlaut", strings.Repeat("a", 65), "../x"} {
		if _, err := st.AddUser(bad, "admin password!", RoleAnalyst, now); !errors.Is(err, ErrBadName) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	if _, err := st.AddUser("x", "admin password!", Role("root"), now); err == nil {
		t.Error("role root accepted")
	}
	if _, err := st.AddUser("x", "short", RoleAnalyst, now); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
	if _, err := st.AddUser("ana", "analyst password", RoleAnalyst, now); err != nil {
		t.Fatal(err)
	}
	users, _ := st.Users()
	if len(users) != 2 || users[0].Name != "ana" || users[1].Name != "root.admin" || users[1].Role != RoleAdmin || !users[0].Created.Equal(now) {
		t.Fatalf("users %+v", users)
	}
	// The last active admin cannot be disabled or removed.
	if err := st.SetDisabled("root.admin", true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable last admin: %v", err)
	}
	if err := st.RemoveUser("root.admin"); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("remove last admin: %v", err)
	}
	if err := st.RemoveUser("nobody"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("remove unknown: %v", err)
	}
	// Log-in checks.
	if _, err := st.checkLogin("ana", "analyst password", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.User("ana"); !u.LastLogin.Equal(now.Add(time.Hour)) {
		t.Errorf("last log-in %v", u.LastLogin)
	}
	if _, err := st.checkLogin("ana", "wrong password", now); !errors.Is(err, errBadPassword) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := st.checkLogin("nobody", "wrong password", now); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	// Sessions: stored by hash, ended by disabling the user.
	tok, rec, err := st.createSession("ana", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.lookupSession(tok, now.Add(time.Minute), time.Hour, 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(st.Path())
	if strings.Contains(string(raw), tok) {
		t.Fatal("the session token is stored in clear")
	}
	if !strings.Contains(string(raw), rec.CSRF) {
		t.Fatal("the CSRF token is not in the session record")
	}
	if err := st.SetDisabled("ana", true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.checkLogin("ana", "analyst password", now); !errors.Is(err, errDisabled) {
		t.Errorf("disabled user's log-in: %v", err)
	}
	if _, _, err := st.lookupSession(tok, now.Add(time.Minute), time.Hour, 12*time.Hour); !errors.Is(err, errNoSession) {
		t.Fatalf("session of a disabled user: %v", err)
	}
	if err := st.SetDisabled("ana", false); err != nil {
		t.Fatal(err)
	}
	// API tokens: hashed, listed, revoked, removed with the user.
	secret, at, err := st.createAPIToken("ana", "ci", now)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(st.Path())
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), strings.TrimPrefix(secret, apiTokenPrefix)) {
		t.Fatal("the API token is stored in clear")
	}
	if got, u, err := st.lookupAPIToken(secret, now); err != nil || got.ID != at.ID || u.Name != "ana" {
		t.Fatalf("lookup token: %v", err)
	}
	if err := st.revokeAPIToken("root.admin", at.ID); !errors.Is(err, errNoToken) {
		t.Fatalf("revoking another user's token: %v", err)
	}
	toks, _ := st.apiTokens("ana")
	if len(toks) != 1 || toks[0].Label != "ci" {
		t.Fatalf("tokens %+v", toks)
	}
	if _, _, err := st.createSession("ana", now); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveUser("ana"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.lookupAPIToken(secret, now); !errors.Is(err, errNoSession) {
		t.Fatalf("token of a removed user: %v", err)
	}
	if n, _ := st.sweepSessions(now.Add(24*time.Hour), time.Hour, 12*time.Hour); n != 0 {
		t.Errorf("sessions left after removing the user: %d", n)
	}
	// A second admin makes the first removable.
	if _, err := st.AddUser("second", "admin password!", RoleAdmin, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDisabled("root.admin", true); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDisabled("second", true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable the other admin: %v", err)
	}
	if err := st.SetSignup(true); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Everything persists.
	st2, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if on, _ := st2.SignupEnabled(); !on {
		t.Error("sign-up setting lost")
	}
	if u, err := st2.User("root.admin"); err != nil || !u.Disabled {
		t.Errorf("reopened: %+v %v", u, err)
	}
}

func TestLockoutUnit(t *testing.T) {
	l := newLockout(3, 10*time.Minute, 5*time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if l.fail("a", t0) || l.fail("a", t0.Add(time.Minute)) {
		t.Fatal("locked too early")
	}
	if !l.fail("a", t0.Add(2*time.Minute)) {
		t.Fatal("third failure within the window did not lock")
	}
	if d, ok := l.locked("a", t0.Add(3*time.Minute)); !ok || d != 4*time.Minute {
		t.Fatalf("locked: %v %v", d, ok)
	}
	if _, ok := l.locked("a", t0.Add(7*time.Minute)); ok {
		t.Fatal("still locked after the duration")
	}
	// The window slides: failures older than it do not count.
	l.fail("b", t0)
	l.fail("b", t0.Add(6*time.Minute))
	if l.fail("b", t0.Add(11*time.Minute)) {
		t.Fatal("a failure outside the window counted")
	}
	if !l.fail("b", t0.Add(12*time.Minute)) {
		t.Fatal("three failures within 10 minutes did not lock")
	}
	l.reset("b")
	if _, ok := l.locked("b", t0.Add(12*time.Minute)); ok {
		t.Fatal("reset did not unlock")
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:1234": "192.0.2.1", "[2001:db8::1]:80": "2001:db8::", "[2001:db8::ffff:1%eth0]:80": "2001:db8::",
		"[::ffff:192.0.2.9]:5": "192.0.2.9", "garbage": "invalid IP",
	} {
		if got := clientAddr(in).String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
