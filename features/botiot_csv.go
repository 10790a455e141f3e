package features

import (
	"fmt"
	"math"
	"strconv"
)

// botIntColumns marks the BoT-IoT columns written as integers.
var botIntColumns = func() (t [BotIoTColumns]bool) {
	for _, i := range []int{botPkSeqID, botFlgsNumber, botProtoNumber, botPkts, botBytes, botStateNumber, botSeq,
		botSpkts, botDpkts, botSbytes, botDbytes, botTnBPSrcIP, botTnBPDstIP, botTnPPSrcIP, botTnPPDstIP,
		botTnPPerProto, botTnPPerDport, botNInConnDstIP, botNInConnSrcIP, botPktsStateProtoDstIP,
		botPktsStateProtoSrcIP} {
		t[i] = true
	}
	return t
}()

// botSymbolColumns marks the BoT-IoT columns held in Row.Symbols.
var botSymbolColumns = func() (t [BotIoTColumns]bool) {
	for _, i := range []int{botFlgs, botProto, botSaddr, botSport, botDaddr, botDport, botState} {
		t[i] = true
	}
	return t
}()

// BotIoTLabelColumns are the label columns that follow the features in
// the public BoT-IoT files.
var BotIoTLabelColumns = []string{"attack", "category", "subcategory"}

// AppendBotIoTHeader appends the header line of a BoT-IoT CSV file (the
// 43 feature names of BotIoT(), and with labels the three label
// columns), without a line terminator.
func AppendBotIoTHeader(dst []byte, labels bool) []byte {
	for i, c := range BotIoT().Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c.Name...)
	}
	if labels {
		for _, n := range BotIoTLabelColumns {
			dst = append(dst, ',')
			dst = append(dst, n...)
		}
	}
	return dst
}

// AppendBotIoT appends r, a row of the BoT-IoT schema, as a CSV line of
// its 43 columns in the public files' order, without a line terminator:
// integers without decimals, other numbers in the shortest decimal form
// that reads back to the same float64 (no exponent), so that a model
// trained on the file sees the values the sensor computes; symbols as
// they are (saddr, sport, daddr and dport may be empty, as in the public
// files' ARP rows). It fails on a row of the wrong size, a value that is
// not finite (or not a whole number in an integer column), or a symbol
// holding a comma, a quote or a line break.
func AppendBotIoT(dst []byte, r *Row) ([]byte, error) {
	if len(r.Values) != BotIoTColumns || len(r.Symbols) != BotIoTColumns {
		return dst, fmt.Errorf("features: BoT-IoT row has %d values and %d symbols, want %d each", len(r.Values), len(r.Symbols), BotIoTColumns)
	}
	for i := 0; i < BotIoTColumns; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if botSymbolColumns[i] {
			sym := r.Symbols[i]
			if err := checkCSVSymbol(sym); err != nil {
				return dst, fmt.Errorf("features: BoT-IoT column %d (%s): %w", i+1, botColumnName(i), err)
			}
			dst = append(dst, sym...)
			continue
		}
		x := r.Values[i]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("features: BoT-IoT column %d (%s) is %v", i+1, botColumnName(i), x)
		}
		if botIntColumns[i] {
			if x != math.Trunc(x) || math.Abs(x) >= 1<<53 {
				return dst, fmt.Errorf("features: BoT-IoT column %d (%s) is %v, not an integer", i+1, botColumnName(i), x)
			}
			dst = strconv.AppendInt(dst, int64(x), 10)
			continue
		}
		dst = strconv.AppendFloat(dst, x, 'f', -1, 64)
	}
	return dst, nil
}

// AppendBotIoTLabeled appends r as a 46-column BoT-IoT line: the 43
// features, attack (1 for an attack, 0 for normal traffic), category and
// subcategory.
func AppendBotIoTLabeled(dst []byte, r *Row, attack bool, category, subcategory string) ([]byte, error) {
	for _, l := range []string{category, subcategory} {
		if err := checkField(l); err != nil {
			return dst, fmt.Errorf("features: BoT-IoT label: %w", err)
		}
		if err := checkCSVSymbol(l); err != nil {
			return dst, fmt.Errorf("features: BoT-IoT label: %w", err)
		}
	}
	dst, err := AppendBotIoT(dst, r)
	if err != nil {
		return dst, err
	}
	if attack {
		dst = append(dst, ",1,"...)
	} else {
		dst = append(dst, ",0,"...)
	}
	dst = append(dst, category...)
	dst = append(dst, ',')
	return append(dst, subcategory...), nil
}

// checkCSVSymbol refuses what an unquoted CSV field cannot hold.
func checkCSVSymbol(s string) error {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '"', '\n', '\r':
			return fmt.Errorf("value %q holds %q", s, c)
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		return fmt.Errorf("value %q has blanks around it (a reader trims them)", s)
	}
	return nil
}

func botColumnName(i int) string {
	s := BotIoT()
	if i >= 0 && i < len(s.Columns) {
		return s.Columns[i].Name
	}
	return "?"
}
