package alert

import (
	"errors"
	"fmt"
)

// ErrUnknownClass is returned by LookupSignature for a class without a
// signature (an unknown family or class, or the normal class).
var ErrUnknownClass = errors.New("alert: no signature for class")

// Signature identifies what an alert reports: one signature per (family,
// class), with a stable ID.
type Signature struct {
	// ID is written as signature_id; Rev as rev.
	ID, Rev uint32
	// Severity is EVE's: 1 high, 2 medium, 3 low.
	Severity uint8
	// Name is written as signature, e.g. "cnids NSL-KDD DoS".
	Name string
	// Category is written as category: a classtype description in
	// Suricata's vocabulary where one fits, distinct within a family.
	Category string
	// Class is the model's class name, written as alert.class.
	Class string
}

// LookupSignature returns the signature of a model class. The table is
// stable (a SIEM keys on signature_id); the package doc lists it. Class
// names are matched exactly, as the dataset package spells them. It
// returns an error wrapping ErrUnknownClass for the normal class and for
// classes outside the table (map NSL-KDD attack names to their category
// first).
func LookupSignature(family, class string) (Signature, error) {
	var fam string
	var rows []sigRow
	switch family {
	case "nsl-kdd":
		fam, rows = "NSL-KDD", kddSigs()
	case "bot-iot":
		fam, rows = "BoT-IoT", botSigs()
	case "unsw-nb15":
		fam, rows = "UNSW-NB15", unswSigs()
	default:
		return Signature{}, fmt.Errorf("%w: unknown family %q (want nsl-kdd, bot-iot or unsw-nb15)", ErrUnknownClass, family)
	}
	for _, r := range rows {
		if r.class == class {
			return Signature{
				ID:       r.id,
				Rev:      1,
				Severity: r.severity,
				Name:     "cnids " + fam + " " + class,
				Category: r.category,
				Class:    class,
			}, nil
		}
	}
	return Signature{}, fmt.Errorf("%w: %s class %q", ErrUnknownClass, family, class)
}

// sigRow is one row of a family's signature table.
type sigRow struct {
	class    string
	id       uint32
	severity uint8
	category string
}

// Signature IDs live in 1,700,000-1,700,999 (within the 1,000,000-1,999,999
// range Suricata rule sets leave for local use): 17001xx for NSL-KDD,
// 17002xx for BoT-IoT, 17003xx for UNSW-NB15; xx 99 is the binary "attack"
// class.

func kddSigs() []sigRow {
	return []sigRow{
		{"DoS", 1700101, 1, "Attempted Denial of Service"},
		{"Probe", 1700102, 3, "Detection of a Network Scan"},
		{"R2L", 1700103, 2, "Attempted User Privilege Gain"},
		{"U2R", 1700104, 1, "Attempted Administrator Privilege Gain"},
		{"attack", 1700199, 2, "Misc Attack"},
	}
}

func botSigs() []sigRow {
	return []sigRow{
		{"DDoS", 1700201, 1, "Attempted Distributed Denial of Service"},
		{"DoS", 1700202, 1, "Attempted Denial of Service"},
		{"Reconnaissance", 1700203, 3, "Detection of a Network Scan"},
		{"Theft", 1700204, 1, "Information Leak"},
		// Subcategories, for models trained with --labels subcategory.
		// TCP, UDP and HTTP are floods (DoS or DDoS: the subcategory does
		// not tell them apart).
		{"TCP", 1700211, 1, "Attempted Denial of Service over TCP"},
		{"UDP", 1700212, 1, "Attempted Denial of Service over UDP"},
		{"HTTP", 1700213, 1, "Attempted Denial of Service over HTTP"},
		{"Service_Scan", 1700214, 3, "Detection of a Network Scan"},
		{"OS_Fingerprint", 1700215, 3, "Attempted Information Leak"},
		{"Keylogging", 1700216, 1, "A Network Trojan was detected"},
		{"Data_Exfiltration", 1700217, 1, "Information Leak"},
		{"attack", 1700299, 2, "Misc Attack"},
	}
}

func unswSigs() []sigRow {
	return []sigRow{
		{"Generic", 1700301, 2, "Generic Attack"},
		{"Exploits", 1700302, 1, "Attempted Exploit"},
		{"Fuzzers", 1700303, 2, "Fuzzing Attempt"},
		{"DoS", 1700304, 1, "Attempted Denial of Service"},
		{"Reconnaissance", 1700305, 3, "Detection of a Network Scan"},
		{"Analysis", 1700306, 3, "Attempted Information Leak"},
		{"Backdoor", 1700307, 1, "A Network Trojan was detected"},
		{"Shellcode", 1700308, 1, "Executable code was detected"},
		{"Worms", 1700309, 1, "Network Worm Activity"},
		{"attack", 1700399, 2, "Misc Attack"},
	}
}
