package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DBFile is the name of the account database inside the data directory.
const DBFile = "cnids-web.db"

// Role is a user's role.
type Role string

// Roles. An admin manages users and sign-up; an analyst classifies,
// watches alerts and reads the model page.
const (
	RoleAdmin   Role = "admin"
	RoleAnalyst Role = "analyst"
)

// Errors of the account store.
var (
	// ErrNoUser: no user has that name.
	ErrNoUser = errors.New("no such user")
	// ErrUserExists: the name is taken.
	ErrUserExists = errors.New("user already exists")
	// ErrBadName: the name breaks the naming rule.
	ErrBadName = errors.New("invalid user name")
	// ErrLastAdmin: the change would leave no active admin.
	ErrLastAdmin = errors.New("this is the last active admin")
	// ErrDBLocked: another process (a running cnids serve) holds the database.
	ErrDBLocked = errors.New("the account database is in use by another process (is cnids serve running?)")
)

// User is an account, without its password hash.
type User struct {
	// Name is the log-in name: 1-64 characters of a-z, 0-9, '.', '_'
	// and '-', starting with a letter or digit.
	Name string `json:"name"`
	// Role is admin or analyst.
	Role Role `json:"role"`
	// Disabled users cannot log in, and their sessions and API tokens are
	// refused.
	Disabled bool `json:"disabled"`
	// Created is when the account was made.
	Created time.Time `json:"created"`
	// LastLogin is the last successful log-in (zero if never).
	LastLogin time.Time `json:"last_login"`
}

// userRecord is a stored user.
type userRecord struct {
	User
	Hash string `json:"password"`
}

// sessionRecord is a stored session, keyed by the SHA-256 of its token.
type sessionRecord struct {
	User     string    `json:"user"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	CSRF     string    `json:"csrf"`
}

// APIToken describes an API token (never the token itself, which is shown
// once and stored only as a hash).
type APIToken struct {
	// ID identifies the token in pages and revocation requests.
	ID string `json:"id"`
	// User owns the token.
	User string `json:"user"`
	// Label is the owner's note.
	Label string `json:"label"`
	// Created and LastUsed are the creation and last use times.
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
}

// Bucket names.
var (
	bucketUsers    = []byte("users")
	bucketSessions = []byte("sessions")
	bucketTokens   = []byte("tokens")
	bucketSettings = []byte("settings")
	keySignup      = []byte("signup")
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// NormalizeName lower-cases a user name and checks it.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !nameRE.MatchString(n) {
		return "", fmt.Errorf("%w %q: use 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", ErrBadName, name)
	}
	return n, nil
}

// Store is the account database: users, sessions, API tokens and
// settings, in one bbolt file. It is safe for concurrent use; only one
// process may open the file at a time.
type Store struct {
	db    *bolt.DB
	path  string
	argon Argon2Params
	// dummy is the hash of a random password, verified when a log-in
	// names an unknown user so that timing does not reveal which names
	// exist.
	dummy string
}

// OpenStore opens (creating it and the directory when missing) the
// account database in dir. It fails with ErrDBLocked when another process
// holds it for more than a second.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("web: no data directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("web: data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("web: %s: %w", path, ErrDBLocked)
		}
		return nil, fmt.Errorf("web: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUsers, bucketSessions, bucketTokens, bucketSettings} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("web: %s: %w", path, err)
	}
	st := &Store{db: db, path: path, argon: DefaultArgon2Params()}
	pw, err := randomToken(16)
	if err == nil {
		st.dummy, err = hashPassword(st.argon, pw)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("web: corrupt database record %q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// AddUser creates a user with a password (checked against the password
// policy and hashed with argon2id).
func (s *Store) AddUser(name, password string, role Role, now time.Time) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, err
	}
	if role != RoleAdmin && role != RoleAnalyst {
		return User{}, fmt.Errorf("web: role %q: want admin or analyst", role)
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return User{}, err
	}
	rec := userRecord{User: User{Name: n, Role: role, Created: now.UTC()}, Hash: hash}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if b.Get([]byte(n)) != nil {
			return fmt.Errorf("%q: %w", n, ErrUserExists)
		}
		return putJSON(b, []byte(n), rec)
	})
	return rec.User, err
}

// addFirstAdmin creates an admin only when no user exists yet (the
// one-time setup), atomically.
func (s *Store) addFirstAdmin(name, password string, now time.Time) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, err
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return User{}, err
	}
	rec := userRecord{User: User{Name: n, Role: RoleAdmin, Created: now.UTC()}, Hash: hash}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if k, _ := b.Cursor().First(); k != nil {
			return errSetupDone
		}
		return putJSON(b, []byte(n), rec)
	})
	return rec.User, err
}

var errSetupDone = errors.New("an account already exists: the setup is done")

// HasUsers reports whether any user exists.
func (s *Store) HasUsers() (bool, error) {
	var has bool
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketUsers).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}

// Users returns every user, by name.
func (s *Store) Users() ([]User, error) {
	var out []User
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		return b.ForEach(func(k, _ []byte) error {
			var r userRecord
			if _, err := getJSON(b, k, &r); err != nil {
				return err
			}
			out = append(out, r.User)
			return nil
		})
	})
	return out, err
}

// User returns one user.
func (s *Store) User(name string) (User, error) {
	r, err := s.userRecord(name)
	return r.User, err
}

func (s *Store) userRecord(name string) (userRecord, error) {
	var r userRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketUsers), []byte(name), &r)
		if err == nil && !ok {
			err = fmt.Errorf("%q: %w", name, ErrNoUser)
		}
		return err
	})
	return r, err
}

// activeAdmins counts enabled admins other than except.
func activeAdmins(b *bolt.Bucket, except string) (int, error) {
	n := 0
	err := b.ForEach(func(k, _ []byte) error {
		var r userRecord
		if _, err := getJSON(b, k, &r); err != nil {
			return err
		}
		if r.Role == RoleAdmin && !r.Disabled && r.Name != except {
			n++
		}
		return nil
	})
	return n, err
}

// SetDisabled disables or enables a user. Disabling ends the user's
// sessions; it is refused for the last active admin.
func (s *Store) SetDisabled(name string, disabled bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var r userRecord
		ok, err := getJSON(b, []byte(name), &r)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNoUser)
		}
		if disabled && r.Role == RoleAdmin && !r.Disabled {
			n, err := activeAdmins(b, name)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("disable %q: %w", name, ErrLastAdmin)
			}
		}
		r.Disabled = disabled
		if disabled {
			if err := deleteUserRecords(tx.Bucket(bucketSessions), name, sessionOwner); err != nil {
				return err
			}
		}
		return putJSON(b, []byte(name), r)
	})
}

// RemoveUser deletes a user with its sessions and API tokens; it is
// refused for the last active admin.
func (s *Store) RemoveUser(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var r userRecord
		ok, err := getJSON(b, []byte(name), &r)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNoUser)
		}
		if r.Role == RoleAdmin && !r.Disabled {
			n, err := activeAdmins(b, name)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("remove %q: %w", name, ErrLastAdmin)
			}
		}
		if err := deleteUserRecords(tx.Bucket(bucketSessions), name, sessionOwner); err != nil {
			return err
		}
		if err := deleteUserRecords(tx.Bucket(bucketTokens), name, tokenOwner); err != nil {
			return err
		}
		return b.Delete([]byte(name))
	})
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(name, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var r userRecord
		ok, err := getJSON(b, []byte(name), &r)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNoUser)
		}
		r.Hash = hash
		return putJSON(b, []byte(name), r)
	})
}

func sessionOwner(data []byte) (string, error) {
	var r sessionRecord
	err := json.Unmarshal(data, &r)
	return r.User, err
}

func tokenOwner(data []byte) (string, error) {
	var r APIToken
	err := json.Unmarshal(data, &r)
	return r.User, err
}

// deleteUserRecords deletes the records of b owned by user.
func deleteUserRecords(b *bolt.Bucket, user string, owner func([]byte) (string, error)) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		u, err := owner(v)
		if err != nil || u == user {
			keys = append(keys, slices.Clone(k)) // corrupt records go too
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// checkLogin verifies a password and records the log-in time. It returns
// ErrNoUser for an unknown name and errBadPassword for a wrong password
// (the caller shows both the same way). A disabled user gets
// errDisabled, only after a correct password.
func (s *Store) checkLogin(name, password string, now time.Time) (User, error) {
	r, err := s.userRecord(name)
	if err != nil {
		// Spend the same time as a real check, so that timing does not
		// reveal which names exist.
		_, _ = verifyPassword(s.dummy, password)
		return User{}, err
	}
	ok, err := verifyPassword(r.Hash, password)
	if err != nil {
		return User{}, fmt.Errorf("web: user %q: %w", name, err)
	}
	if !ok {
		return User{}, errBadPassword
	}
	if r.Disabled {
		return User{}, errDisabled
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var cur userRecord
		if ok, err := getJSON(b, []byte(name), &cur); err != nil || !ok {
			return err
		}
		cur.LastLogin = now.UTC()
		return putJSON(b, []byte(name), cur)
	})
	r.LastLogin = now.UTC()
	return r.User, err
}

var (
	errBadPassword = errors.New("wrong password")
	errDisabled    = errors.New("account disabled")
	errNoSession   = errors.New("no valid session")
)

// randomToken returns n random bytes from crypto/rand as unpadded
// base64url. Security tokens are deliberately not seedable.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenKey is the stored key of a session or API token: its SHA-256.
// A fast hash suffices: the tokens carry 256 random bits.
func tokenKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// createSession starts a session for user and returns its token.
func (s *Store) createSession(user string, now time.Time) (string, sessionRecord, error) {
	tok, err := randomToken(32)
	if err != nil {
		return "", sessionRecord{}, err
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", sessionRecord{}, err
	}
	rec := sessionRecord{User: user, Created: now.UTC(), LastSeen: now.UTC(), CSRF: csrf}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSessions), tokenKey(tok), rec)
	})
	return tok, rec, err
}

// lookupSession returns the session of a token and its user. An expired
// session (idle longer than idle, or older than maxAge) is deleted and
// refused, as is the session of a disabled or removed user. The last-seen
// time is written at most once per touchEvery, to spare the disk.
func (s *Store) lookupSession(token string, now time.Time, idle, maxAge time.Duration) (sessionRecord, User, error) {
	key := tokenKey(token)
	var rec sessionRecord
	var u userRecord
	var expired, touch bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketSessions), key, &rec)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSession
		}
		if now.Sub(rec.LastSeen) > idle || now.Sub(rec.Created) > maxAge || now.Before(rec.Created.Add(-time.Minute)) {
			expired = true
			return nil
		}
		ok, err = getJSON(tx.Bucket(bucketUsers), []byte(rec.User), &u)
		if err != nil {
			return err
		}
		if !ok || u.Disabled {
			expired = true
			return nil
		}
		touch = now.Sub(rec.LastSeen) >= touchEvery
		return nil
	})
	if err != nil {
		return sessionRecord{}, User{}, err
	}
	if expired {
		if err := s.deleteSession(token); err != nil {
			return sessionRecord{}, User{}, err
		}
		return sessionRecord{}, User{}, errNoSession
	}
	if touch {
		rec.LastSeen = now.UTC()
		err = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSessions)
			if b.Get(key) == nil { // logged out meanwhile
				return errNoSession
			}
			return putJSON(b, key, rec)
		})
		if err != nil {
			return sessionRecord{}, User{}, err
		}
	}
	return rec, u.User, nil
}

// touchEvery is how often a session's last-seen time is written; idle
// expiry is therefore exact to within this much.
const touchEvery = 30 * time.Second

// deleteSession deletes a session (log-out).
func (s *Store) deleteSession(token string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete(tokenKey(token))
	})
}

// sweepSessions deletes every expired session and returns how many.
func (s *Store) sweepSessions(now time.Time, idle, maxAge time.Duration) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r sessionRecord
			if json.Unmarshal(v, &r) != nil || now.Sub(r.LastSeen) > idle || now.Sub(r.Created) > maxAge {
				dead = append(dead, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// apiTokenPrefix starts every API token, so that secret scanners can
// recognise leaked ones.
const apiTokenPrefix = "cnids_"

// createAPIToken makes an API token for user and returns the secret,
// which is not stored.
func (s *Store) createAPIToken(user, label string, now time.Time) (string, APIToken, error) {
	secret, err := randomToken(32)
	if err != nil {
		return "", APIToken{}, err
	}
	secret = apiTokenPrefix + secret
	idb := make([]byte, 8)
	if _, err := rand.Read(idb); err != nil {
		return "", APIToken{}, fmt.Errorf("web: token id: %w", err)
	}
	t := APIToken{ID: hex.EncodeToString(idb), User: user, Label: label, Created: now.UTC()}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var u userRecord
		ok, err := getJSON(tx.Bucket(bucketUsers), []byte(user), &u)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%q: %w", user, ErrNoUser)
		}
		return putJSON(tx.Bucket(bucketTokens), tokenKey(secret), t)
	})
	return secret, t, err
}

// lookupAPIToken returns the token and its user; it refuses unknown and
// revoked tokens and the tokens of disabled users.
func (s *Store) lookupAPIToken(secret string, now time.Time) (APIToken, User, error) {
	key := tokenKey(secret)
	var t APIToken
	var u userRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketTokens), key, &t)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSession
		}
		ok, err = getJSON(tx.Bucket(bucketUsers), []byte(t.User), &u)
		if err != nil {
			return err
		}
		if !ok || u.Disabled {
			return errNoSession
		}
		return nil
	})
	if err != nil {
		return APIToken{}, User{}, err
	}
	if now.Sub(t.LastUsed) >= touchEvery {
		t.LastUsed = now.UTC()
		_ = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketTokens)
			if b.Get(key) == nil {
				return nil
			}
			return putJSON(b, key, t)
		})
	}
	return t, u.User, nil
}

// apiTokens lists a user's tokens, oldest first.
func (s *Store) apiTokens(user string) ([]APIToken, error) {
	var out []APIToken
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			var t APIToken
			if json.Unmarshal(v, &t) == nil && t.User == user {
				out = append(out, t)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b APIToken) int { return a.Created.Compare(b.Created) })
	return out, err
}

// revokeAPIToken deletes the token id of user.
func (s *Store) revokeAPIToken(user, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var key []byte
		err := b.ForEach(func(k, v []byte) error {
			var t APIToken
			if json.Unmarshal(v, &t) == nil && t.User == user && t.ID == id {
				key = slices.Clone(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if key == nil {
			return fmt.Errorf("token %q of %q: %w", id, user, errNoToken)
		}
		return b.Delete(key)
	})
}

var errNoToken = errors.New("no such token")

// SignupEnabled reports whether self sign-up is on (off by default).
func (s *Store) SignupEnabled() (bool, error) {
	var on bool
	err := s.db.View(func(tx *bolt.Tx) error {
		on = bytes.Equal(tx.Bucket(bucketSettings).Get(keySignup), []byte("on"))
		return nil
	})
	return on, err
}

// SetSignup turns self sign-up on or off.
func (s *Store) SetSignup(on bool) error {
	v := []byte("off")
	if on {
		v = []byte("on")
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSettings).Put(keySignup, v) })
}
