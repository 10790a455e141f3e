package dataset

import (
	"fmt"
	"strings"
)

// BotIoTLabel checks a BoT-IoT category and subcategory (as a labels
// file's botiot_category and botiot_subcategory give them, or as a user
// names them) against the labels of the public BoT-IoT files, which the
// reader accepts: Normal/Normal, DDoS and DoS with TCP, UDP or HTTP,
// Reconnaissance with Service_Scan or OS_Fingerprint, Theft with
// Keylogging or Data_Exfiltration. Names match ignoring case. It returns
// the canonical spelling and whether the pair is an attack, or an error
// wrapping ErrUnknownLabel for a pair outside that set (such as a phase
// without a BoT-IoT counterpart, or DoS/ICMP, which BoT-IoT lacks).
func BotIoTLabel(category, subcategory string) (attack bool, cat, sub string, err error) {
	ci, si := -1, -1
	for i, c := range botCategories() {
		if strings.EqualFold(c, category) {
			ci, cat = i, c
		}
	}
	for i, s := range botSubcategories() {
		if strings.EqualFold(s, subcategory) {
			si, sub = i, s
		}
	}
	switch {
	case ci < 0:
		return false, "", "", fmt.Errorf("%w: %q is not a BoT-IoT category (want one of %s)", ErrUnknownLabel, category, strings.Join(botCategories(), ", "))
	case si < 0:
		return false, "", "", fmt.Errorf("%w: %q is not a BoT-IoT subcategory (want one of %s)", ErrUnknownLabel, subcategory, strings.Join(botSubcategories(), ", "))
	case !botSubcategoryAllows(ci, si):
		return false, "", "", fmt.Errorf("%w: BoT-IoT has no subcategory %s under %s", ErrUnknownLabel, sub, cat)
	}
	return ci != 0, cat, sub, nil
}
