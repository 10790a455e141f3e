package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id parameters of password hashes. They are
// stored in each hash (PHC string format), so that they can be raised
// later without invalidating existing passwords.
type Argon2Params struct {
	// Time is the number of passes over the memory.
	Time uint32
	// MemoryKiB is the memory used, in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
	// SaltLen is the length of the random per-user salt in bytes.
	SaltLen int
}

// DefaultArgon2Params returns the parameters new hashes use: OWASP's
// first argon2id recommendation (19 MiB, 2 passes, 1 lane), a 16-byte
// salt and a 32-byte key. One hash costs about 20-40 ms of one core.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// Bounds on stored parameters, so that a corrupt database cannot make a
// log-in allocate without limit.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 64
	maxArgonKeyLen    = 128
	maxArgonSaltLen   = 64
)

// Password policy.
const (
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 10
	// MaxPasswordLen is the longest password accepted, in bytes.
	MaxPasswordLen = 1024
)

// ErrWeakPassword is wrapped by the errors of passwords the policy refuses.
var ErrWeakPassword = errors.New("password refused")

// checkPassword applies the password policy.
func checkPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return fmt.Errorf("%w: it is not valid UTF-8", ErrWeakPassword)
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen {
		return fmt.Errorf("%w: it has %d characters, at least %d are required", ErrWeakPassword, n, MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("%w: it is longer than %d bytes", ErrWeakPassword, MaxPasswordLen)
	}
	if strings.TrimSpace(pw) == "" {
		return fmt.Errorf("%w: it is only spaces", ErrWeakPassword)
	}
	return nil
}

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string of pw under p with a fresh random
// salt: $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$KEY (unpadded base64).
func hashPassword(p Argon2Params, pw string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("web: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parseHash decodes a PHC argon2id string.
func parseHash(h string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("web: password hash: not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("web: password hash: unsupported version %q", parts[2])
	}
	var m, t, th uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, fmt.Errorf("web: password hash: parameter %q", kv)
		}
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, fmt.Errorf("web: password hash: parameter %q: %w", kv, perr)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		default:
			return p, nil, nil, fmt.Errorf("web: password hash: unknown parameter %q", k)
		}
	}
	if m < 8 || m > maxArgonMemoryKiB || t < 1 || t > maxArgonTime || th < 1 || th > 255 {
		return p, nil, nil, fmt.Errorf("web: password hash: parameters m=%d t=%d p=%d out of range", m, t, th)
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > maxArgonSaltLen {
		return p, nil, nil, errors.New("web: password hash: bad salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > maxArgonKeyLen {
		return p, nil, nil, errors.New("web: password hash: bad key")
	}
	p = Argon2Params{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th), KeyLen: uint32(len(key)), SaltLen: len(salt)}
	return p, salt, key, nil
}

// verifyPassword reports whether pw matches the PHC string h, comparing
// the derived keys in constant time.
func verifyPassword(h, pw string) (bool, error) {
	p, salt, key, err := parseHash(h)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
