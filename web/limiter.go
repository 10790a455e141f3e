package web

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTracked bounds the names and addresses the limiters remember, so
// that a spray of names or addresses cannot exhaust memory.
const maxTracked = 20000

// lockout counts failed log-ins per account name (known or not, so that a
// lockout does not reveal whether a name exists) and locks a name for a
// while after too many failures within a window. It is kept in memory: a
// restart clears it.
type lockout struct {
	mu       sync.Mutex
	max      int
	window   time.Duration
	duration time.Duration
	m        map[string]*failures
}

type failures struct {
	times []time.Time // failures within the window, oldest first
	until time.Time   // locked until
}

func newLockout(max int, window, duration time.Duration) *lockout {
	return &lockout{max: max, window: window, duration: duration, m: map[string]*failures{}}
}

// locked reports whether name is locked at now, and for how much longer.
func (l *lockout) locked(name string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[name]
	if f == nil || !now.Before(f.until) {
		return 0, false
	}
	return f.until.Sub(now), true
}

// fail records a failed log-in and reports whether it locked the name.
func (l *lockout) fail(name string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[name]
	if f == nil {
		if len(l.m) >= maxTracked {
			l.pruneLocked(now)
			if len(l.m) >= maxTracked {
				return false // the per-address limit still applies
			}
		}
		f = &failures{}
		l.m[name] = f
	}
	keep := f.times[:0]
	for _, t := range f.times {
		if now.Sub(t) < l.window {
			keep = append(keep, t)
		}
	}
	f.times = append(keep, now)
	if len(f.times) >= l.max {
		f.until = now.Add(l.duration)
		f.times = f.times[:0]
		return true
	}
	return false
}

// reset forgets the failures of name (after a successful log-in).
func (l *lockout) reset(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, name)
}

func (l *lockout) pruneLocked(now time.Time) {
	for k, f := range l.m {
		if !now.Before(f.until) && (len(f.times) == 0 || now.Sub(f.times[len(f.times)-1]) >= l.window) {
			delete(l.m, k)
		}
	}
}

// ipLimiter is a token bucket per client address (golang.org/x/time/rate)
// for log-in, sign-up and setup attempts. IPv6 clients are grouped by /64,
// which one host usually owns whole.
type ipLimiter struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	m     map[netip.Addr]*ipEntry
	// overflow is shared by the addresses that find the table full, so
	// that a flood of addresses cannot each get a fresh bucket.
	overflow *rate.Limiter
}

type ipEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newIPLimiter(perMinute float64, burst int) *ipLimiter {
	lim := rate.Limit(perMinute / 60)
	return &ipLimiter{limit: lim, burst: burst, m: map[netip.Addr]*ipEntry{}, overflow: rate.NewLimiter(lim, burst)}
}

// clientAddr returns the limiter key of a request's remote address.
func clientAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// allow takes one token for addr at now.
func (l *ipLimiter) allow(addr netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[addr]
	if e == nil {
		if len(l.m) >= maxTracked {
			for k, v := range l.m {
				if now.Sub(v.last) > 10*time.Minute {
					delete(l.m, k)
				}
			}
		}
		if len(l.m) >= maxTracked {
			return l.overflow.AllowN(now, 1)
		}
		e = &ipEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[addr] = e
	}
	e.last = now
	return e.lim.AllowN(now, 1)
}
