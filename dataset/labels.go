package dataset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cnids/cnids/features"
)

// Dataset family names, as features.Schema.Name spells them.
const (
	FamilyNSLKDD   = "nsl-kdd"
	FamilyUNSWNB15 = "unsw-nb15"
	FamilyBotIoT   = "bot-iot"
)

// Label modes (Options.Labels). The empty mode means the family default:
// LabelsCategory for nsl-kdd and bot-iot, LabelsAttackCat for unsw-nb15.
const (
	// LabelsCategory: NSL-KDD's five attack categories (normal, DoS,
	// Probe, R2L, U2R) or BoT-IoT's five categories (Normal, DDoS, DoS,
	// Reconnaissance, Theft).
	LabelsCategory = "category"
	// LabelsBinary: two classes, the family's normal class and "attack".
	LabelsBinary = "binary"
	// LabelsAttack: NSL-KDD's raw attack names as classes.
	LabelsAttack = "attack"
	// LabelsAttackCat: UNSW-NB15's ten attack_cat classes.
	LabelsAttackCat = "attack_cat"
	// LabelsSubcategory: BoT-IoT's eight subcategories.
	LabelsSubcategory = "subcategory"
)

// family resolves a family name or alias ("kdd", "unsw", "botiot") to its
// schema.
func family(name string) (*features.Schema, error) {
	if name == "" {
		return nil, fmt.Errorf("dataset: no dataset family given (want %s, %s or %s)", FamilyNSLKDD, FamilyUNSWNB15, FamilyBotIoT)
	}
	s, err := features.ByName(name)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return s, nil
}

// LabelModes returns the label modes a family supports; the first is the
// family default (what the empty mode means).
func LabelModes(familyName string) ([]string, error) {
	s, err := family(familyName)
	if err != nil {
		return nil, err
	}
	switch s.Name {
	case FamilyNSLKDD:
		return []string{LabelsCategory, LabelsBinary, LabelsAttack}, nil
	case FamilyUNSWNB15:
		return []string{LabelsAttackCat, LabelsBinary}, nil
	case FamilyBotIoT:
		return []string{LabelsCategory, LabelsSubcategory, LabelsBinary}, nil
	}
	return nil, fmt.Errorf("dataset: family %q has no label modes", s.Name)
}

// resolveMode returns the canonical family name and label mode.
func resolveMode(familyName, labels string) (string, string, error) {
	s, err := family(familyName)
	if err != nil {
		return "", "", err
	}
	modes, err := LabelModes(s.Name)
	if err != nil {
		return "", "", err
	}
	if labels == "" {
		return s.Name, modes[0], nil
	}
	if !slices.Contains(modes, labels) {
		return "", "", fmt.Errorf("dataset: label mode %q is not available for %s (want one of %s): %w",
			labels, s.Name, strings.Join(modes, ", "), ErrLabelMode)
	}
	return s.Name, labels, nil
}

// Classes returns the class names of a family's label mode, in class-index
// order. Class 0 is always the normal class ("normal" for nsl-kdd,
// "Normal" otherwise). The orders are fixed:
//
//	nsl-kdd category:    normal DoS Probe R2L U2R
//	nsl-kdd attack:      normal, the 22 training attacks, then the 17
//	                     test-only attacks, alphabetically within each group
//	unsw-nb15 attack_cat: Normal Generic Exploits Fuzzers DoS Reconnaissance
//	                     Analysis Backdoor Shellcode Worms
//	bot-iot category:    Normal DDoS DoS Reconnaissance Theft
//	bot-iot subcategory: Normal TCP UDP HTTP Service_Scan OS_Fingerprint
//	                     Keylogging Data_Exfiltration
//	binary:              normal attack (nsl-kdd), Normal attack (others)
//
// The result is a fresh slice the caller may keep or change.
func Classes(familyName, labels string) ([]string, error) {
	fam, mode, err := resolveMode(familyName, labels)
	if err != nil {
		return nil, err
	}
	switch fam + "/" + mode {
	case FamilyNSLKDD + "/" + LabelsCategory:
		return kddCategories(), nil
	case FamilyNSLKDD + "/" + LabelsAttack:
		out := []string{"normal"}
		out = append(out, kddTrainingAttacks()...)
		return append(out, kddTestOnlyAttacks()...), nil
	case FamilyNSLKDD + "/" + LabelsBinary:
		return []string{"normal", "attack"}, nil
	case FamilyUNSWNB15 + "/" + LabelsAttackCat:
		return unswCategories(), nil
	case FamilyBotIoT + "/" + LabelsCategory:
		return botCategories(), nil
	case FamilyBotIoT + "/" + LabelsSubcategory:
		return botSubcategories(), nil
	case FamilyUNSWNB15 + "/" + LabelsBinary, FamilyBotIoT + "/" + LabelsBinary:
		return []string{"Normal", "attack"}, nil
	}
	return nil, fmt.Errorf("dataset: no classes for %s label mode %q: %w", fam, mode, ErrLabelMode)
}

func kddCategories() []string { return []string{"normal", "DoS", "Probe", "R2L", "U2R"} }

// kddTrainingAttacks returns the 22 attacks of KDDTrain+, alphabetically.
func kddTrainingAttacks() []string {
	return []string{"back", "buffer_overflow", "ftp_write", "guess_passwd", "imap", "ipsweep", "land",
		"loadmodule", "multihop", "neptune", "nmap", "perl", "phf", "pod", "portsweep", "rootkit",
		"satan", "smurf", "spy", "teardrop", "warezclient", "warezmaster"}
}

// kddTestOnlyAttacks returns the 17 attacks found only in the official
// test files (KDDTest+, KDDTest-21), alphabetically.
func kddTestOnlyAttacks() []string {
	return []string{"apache2", "httptunnel", "mailbomb", "mscan", "named", "processtable", "ps",
		"saint", "sendmail", "snmpgetattack", "snmpguess", "sqlattack", "udpstorm", "worm", "xlock",
		"xsnoop", "xterm"}
}

// KDDCategory maps an NSL-KDD label (an attack name, or "normal") to its
// category: normal, DoS, Probe, R2L or U2R. It covers every label of the
// training and official test files; matching ignores ASCII case. The
// second result is false for an unknown name.
func KDDCategory(attack string) (string, bool) {
	switch strings.ToLower(attack) {
	case "normal":
		return "normal", true
	case "back", "land", "neptune", "pod", "smurf", "teardrop",
		"apache2", "mailbomb", "processtable", "udpstorm", "worm":
		return "DoS", true
	case "ipsweep", "nmap", "portsweep", "satan", "mscan", "saint":
		return "Probe", true
	case "ftp_write", "guess_passwd", "imap", "multihop", "phf", "spy", "warezclient", "warezmaster",
		"named", "sendmail", "snmpgetattack", "snmpguess", "xlock", "xsnoop":
		return "R2L", true
	case "buffer_overflow", "loadmodule", "perl", "rootkit",
		"httptunnel", "ps", "sqlattack", "xterm":
		return "U2R", true
	}
	return "", false
}

func unswCategories() []string {
	return []string{"Normal", "Generic", "Exploits", "Fuzzers", "DoS", "Reconnaissance", "Analysis",
		"Backdoor", "Shellcode", "Worms"}
}

func botCategories() []string {
	return []string{"Normal", "DDoS", "DoS", "Reconnaissance", "Theft"}
}

func botSubcategories() []string {
	return []string{"Normal", "TCP", "UDP", "HTTP", "Service_Scan", "OS_Fingerprint", "Keylogging",
		"Data_Exfiltration"}
}

// botSubcategoryAllows reports whether a BoT-IoT subcategory (index into
// botSubcategories) may occur under a category (index into botCategories):
// Normal under Normal, TCP/UDP/HTTP floods under DDoS and DoS, scans under
// Reconnaissance, keylogging and data theft under Theft.
func botSubcategoryAllows(category, sub int) bool {
	switch botSubcategories()[sub] {
	case "Normal":
		return category == 0
	case "TCP", "UDP", "HTTP":
		return category == 1 || category == 2
	case "Service_Scan", "OS_Fingerprint":
		return category == 3
	case "Keylogging", "Data_Exfiltration":
		return category == 4
	}
	return false
}

// kddLabel is one NSL-KDD label's class indices.
type kddLabel struct {
	name     string // canonical (lower-case) spelling
	attack   int    // index in the "attack" classes (0 = normal)
	category int    // index in the "category" classes (0 = normal)
}

// kddLabels returns the NSL-KDD label table keyed by name.
func kddLabels() map[string]kddLabel {
	names, _ := Classes(FamilyNSLKDD, LabelsAttack) // a constant family and mode cannot fail
	cats := kddCategories()
	m := make(map[string]kddLabel, len(names))
	for i, n := range names {
		c, _ := KDDCategory(n) // every name of the table has a category (tested)
		m[n] = kddLabel{name: n, attack: i, category: slices.Index(cats, c)}
	}
	// Rows labelled by category rather than attack name (cnids extract
	// --labels writes them for captures whose attack has no NSL-KDD name):
	// usable in the category and binary modes, not in the attack mode.
	for i, c := range cats[1:] {
		m[strings.ToLower(c)] = kddLabel{name: c, attack: -1, category: i + 1}
	}
	return m
}

// lowerIndex returns a map from the lower-cased names to their index.
func lowerIndex(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[strings.ToLower(n)] = i
	}
	return m
}
