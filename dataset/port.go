package dataset

import "fmt"

// ParsePort parses a transport port as the BoT-IoT files write it: decimal
// ("80", "0443") or hexadecimal with a 0x or 0X prefix ("0x0303", which
// the files use for ICMP type 3 code 3, "0xc0a8"). The value must lie in
// 0..65535. An empty string, "-" or anything else is an error wrapping
// ErrBadValue.
func ParsePort(s string) (int, error) {
	p, ok := parsePort([]byte(s))
	if !ok {
		return 0, fmt.Errorf("dataset: port %q is not a decimal or 0x-prefixed hex number in 0..65535: %w", s, ErrBadValue)
	}
	return p, nil
}

// parsePort is ParsePort on bytes, without allocating.
func parsePort(b []byte) (int, bool) {
	base := 10
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		base = 16
		b = b[2:]
	}
	if len(b) == 0 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		v = v*base + d
		if v > 0xffff {
			return 0, false
		}
	}
	return v, true
}
