package features

import "fmt"

// Kind says how a column is interpreted by the encoder.
type Kind uint8

// Column kinds.
const (
	// Numeric is a real-valued column; it is scaled.
	Numeric Kind = iota
	// Binary is a 0/1 column; it is scaled like Numeric (a no-op for min-max).
	Binary
	// Categorical is a symbolic column; it is one-hot encoded with the
	// vocabulary seen in training.
	Categorical
	// Identifier is written to feature files but kept out of the model
	// input (addresses, ports, times, sequence numbers).
	Identifier
)

// String returns the kind's name as used in model files and reports.
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Binary:
		return "binary"
	case Categorical:
		return "categorical"
	case Identifier:
		return "identifier"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Column describes one feature column of a dataset schema.
type Column struct {
	// Name is the column name as the dataset spells it.
	Name string `json:"name"`
	// Kind says how the encoder treats the column.
	Kind Kind `json:"kind"`
	// HeavyTailed marks counts such as byte totals whose range spans many
	// orders of magnitude; the encoder applies log1p to them when asked.
	HeavyTailed bool `json:"heavy_tailed,omitempty"`
	// Symbolic marks an Identifier column whose values are strings
	// (addresses, hex ports) rather than numbers.
	Symbolic bool `json:"symbolic,omitempty"`
}

// Schema is the ordered list of feature columns of one dataset family.
// Label columns are not part of it; readers handle them.
type Schema struct {
	// Name is the dataset family: "nsl-kdd", "unsw-nb15" or "bot-iot".
	Name string `json:"name"`
	// Columns are the feature columns in file order.
	Columns []Column `json:"columns"`
}

// Index returns the position of the named column, or -1.
func (s *Schema) Index(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

// Equal reports whether two schemas have the same name and columns.
func (s *Schema) Equal(o *Schema) bool {
	if s.Name != o.Name || len(s.Columns) != len(o.Columns) {
		return false
	}
	for i := range s.Columns {
		if s.Columns[i] != o.Columns[i] {
			return false
		}
	}
	return true
}

// Row is one record in schema order, as the sensor produces it or as a
// Frame yields it. Values holds the numeric value of every
// non-categorical column (NaN when missing); Symbols holds the value of
// every categorical or symbolic identifier column. Both have one entry per
// schema column; entries of the other kind are ignored.
type Row struct {
	Values  []float64
	Symbols []string
}

// NewRow returns a Row sized for s.
func NewRow(s *Schema) Row {
	return Row{Values: make([]float64, len(s.Columns)), Symbols: make([]string, len(s.Columns))}
}

// ByName returns the schema of a dataset family.
func ByName(name string) (*Schema, error) {
	switch name {
	case "nsl-kdd", "kdd":
		return NSLKDD(), nil
	case "unsw-nb15", "unsw":
		return UNSWNB15(), nil
	case "bot-iot", "botiot":
		return BotIoT(), nil
	}
	return nil, fmt.Errorf("features: unknown dataset family %q (want nsl-kdd, unsw-nb15 or bot-iot)", name)
}

func cols(kind Kind, names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Kind: kind}
	}
	return out
}

func heavy(cs []Column, names ...string) []Column {
	for _, n := range names {
		found := false
		for i := range cs {
			if cs[i].Name == n {
				cs[i].HeavyTailed = true
				found = true
			}
		}
		if !found {
			panic("features: heavy-tailed column not in schema: " + n) // programming error in this file
		}
	}
	return cs
}

// NSLKDD returns the schema of the 41 NSL-KDD (KDD Cup 1999) features, in
// dataset column order. The sensor produces rows in this order.
func NSLKDD() *Schema {
	var cs []Column
	cs = append(cs, Column{Name: "duration", Kind: Numeric})
	cs = append(cs, cols(Categorical, "protocol_type", "service", "flag")...)
	cs = append(cs, cols(Numeric, "src_bytes", "dst_bytes")...)
	cs = append(cs, Column{Name: "land", Kind: Binary})
	cs = append(cs, cols(Numeric, "wrong_fragment", "urgent", "hot", "num_failed_logins")...)
	cs = append(cs, Column{Name: "logged_in", Kind: Binary})
	cs = append(cs, cols(Numeric, "num_compromised", "root_shell", "su_attempted", "num_root",
		"num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds")...)
	cs = append(cs, cols(Binary, "is_host_login", "is_guest_login")...)
	cs = append(cs, cols(Numeric, "count", "srv_count", "serror_rate", "srv_serror_rate",
		"rerror_rate", "srv_rerror_rate", "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate",
		"dst_host_count", "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
		"dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
		"dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate")...)
	heavy(cs, "duration", "src_bytes", "dst_bytes", "hot", "num_compromised", "num_root",
		"num_file_creations", "num_access_files", "count", "srv_count")
	return &Schema{Name: "nsl-kdd", Columns: cs}
}

// UNSWNB15 returns the schema of the UNSW-NB15 CSV partitions' features
// (the 45-column header without id, attack_cat and label; id is kept as an
// identifier so that rows can be traced back).
func UNSWNB15() *Schema {
	var cs []Column
	cs = append(cs, Column{Name: "id", Kind: Identifier})
	cs = append(cs, Column{Name: "dur", Kind: Numeric})
	cs = append(cs, cols(Categorical, "proto", "service", "state")...)
	cs = append(cs, cols(Numeric, "spkts", "dpkts", "sbytes", "dbytes", "rate", "sttl", "dttl",
		"sload", "dload", "sloss", "dloss", "sinpkt", "dinpkt", "sjit", "djit", "swin", "stcpb",
		"dtcpb", "dwin", "tcprtt", "synack", "ackdat", "smean", "dmean", "trans_depth",
		"response_body_len", "ct_srv_src", "ct_state_ttl", "ct_dst_ltm", "ct_src_dport_ltm",
		"ct_dst_sport_ltm", "ct_dst_src_ltm")...)
	cs = append(cs, Column{Name: "is_ftp_login", Kind: Binary})
	cs = append(cs, cols(Numeric, "ct_ftp_cmd", "ct_flw_http_mthd", "ct_src_ltm", "ct_srv_dst")...)
	cs = append(cs, Column{Name: "is_sm_ips_ports", Kind: Binary})
	heavy(cs, "dur", "spkts", "dpkts", "sbytes", "dbytes", "rate", "sload", "dload", "sloss",
		"dloss", "sinpkt", "dinpkt", "sjit", "djit", "stcpb", "dtcpb", "smean", "dmean",
		"response_body_len")
	return &Schema{Name: "unsw-nb15", Columns: cs}
}

// BotIoT returns the schema of the public BoT-IoT CSV files' features (the
// 46-column files without attack, category and subcategory). Identifiers
// (pkSeqID, stime, ltime, seq, saddr, daddr, sport, dport) are kept out of
// the model input; the *_number columns duplicate flgs, proto and state and
// are identifiers too.
func BotIoT() *Schema {
	cs := []Column{
		{Name: "pkSeqID", Kind: Identifier},
		{Name: "stime", Kind: Identifier},
		{Name: "flgs", Kind: Categorical},
		{Name: "flgs_number", Kind: Identifier},
		{Name: "proto", Kind: Categorical},
		{Name: "proto_number", Kind: Identifier},
		{Name: "saddr", Kind: Identifier, Symbolic: true},
		{Name: "sport", Kind: Identifier, Symbolic: true},
		{Name: "daddr", Kind: Identifier, Symbolic: true},
		{Name: "dport", Kind: Identifier, Symbolic: true},
		{Name: "pkts", Kind: Numeric},
		{Name: "bytes", Kind: Numeric},
		{Name: "state", Kind: Categorical},
		{Name: "state_number", Kind: Identifier},
		{Name: "ltime", Kind: Identifier},
		{Name: "seq", Kind: Identifier},
	}
	cs = append(cs, cols(Numeric, "dur", "mean", "stddev", "sum", "min", "max", "spkts", "dpkts",
		"sbytes", "dbytes", "rate", "srate", "drate", "TnBPSrcIP", "TnBPDstIP", "TnP_PSrcIP",
		"TnP_PDstIP", "TnP_PerProto", "TnP_Per_Dport", "AR_P_Proto_P_SrcIP", "AR_P_Proto_P_DstIP",
		"N_IN_Conn_P_DstIP", "N_IN_Conn_P_SrcIP", "AR_P_Proto_P_Sport", "AR_P_Proto_P_Dport",
		"Pkts_P_State_P_Protocol_P_DestIP", "Pkts_P_State_P_Protocol_P_SrcIP")...)
	heavy(cs, "pkts", "bytes", "dur", "sum", "spkts", "dpkts", "sbytes", "dbytes", "rate", "srate",
		"drate", "TnBPSrcIP", "TnBPDstIP", "TnP_PSrcIP", "TnP_PDstIP", "TnP_PerProto", "TnP_Per_Dport",
		"AR_P_Proto_P_SrcIP", "AR_P_Proto_P_DstIP", "AR_P_Proto_P_Sport", "AR_P_Proto_P_Dport",
		"Pkts_P_State_P_Protocol_P_DestIP", "Pkts_P_State_P_Protocol_P_SrcIP")
	return &Schema{Name: "bot-iot", Columns: cs}
}
