// Package dataset reads the NSL-KDD, UNSW-NB15 and BoT-IoT datasets into
// a features.Frame for cnids-train.
//
// # Inputs
//
// Open accepts a path or "-" for standard input. Gzip is recognised by its
// magic bytes, not by the file name, and decompressed on the fly. A
// truncated or corrupt gzip stream is an error naming the file and the
// line being read; it never yields a silently short dataset (a partial last
// line before a read error is dropped, not parsed). ReadFile reads one
// file, ReadFiles appends several files of one family into one frame (one
// vocabulary per column across files), and Read reads any io.Reader.
//
// # Formats
//
//   - NSL-KDD text (KDDTrain+.txt, KDDTest+.txt, ...): no header, exactly
//     43 comma-separated fields: the 41 features in features.NSLKDD()
//     order, the label (an attack name or "normal") and the difficulty
//     (0..21). A row with any other number of fields is bad.
//   - NSL-KDD ARFF (KDDTrain+_20Percent.arff, ...), recognised by a first
//     line starting with "@" or "%": the @relation/@attribute/@data header
//     is parsed (names and values may be quoted with ' or ", nominal sets
//     are {a, b}, % lines are comments) and its 41 feature attributes must
//     match the schema's names, in order, with compatible types; the 42nd
//     must be class {normal, anomaly}. Data rows have 42 fields, which may
//     be quoted. Only the binary label mode can be read from ARFF; any
//     other mode is refused (ErrLabelMode). ARFF has no difficulty column.
//   - UNSW-NB15 CSV partitions: a header row is required and columns are
//     mapped by name (order and case do not matter; extra columns are
//     ignored and listed in the Report; a missing one is an error naming
//     it). Labels come from attack_cat and label, which must agree (Normal
//     exactly when label is 0). service "-" is an ordinary category.
//   - BoT-IoT CSV (46 columns): with a header row (the first field is not
//     a number, as with "pkSeqID"), columns are mapped by name; without
//     one they are taken in the published order. Fields may be
//     double-quoted. sport and dport are kept as symbols exactly as
//     written but must be decimal or 0x-prefixed hex ports (ParsePort),
//     empty, or "-". Labels come from attack (0/1), category and
//     subcategory, which must be consistent (Normal/Normal/0; DDoS and DoS
//     with TCP, UDP or HTTP; Reconnaissance with Service_Scan or
//     OS_Fingerprint; Theft with Keylogging or Data_Exfiltration).
//
// In every format a UTF-8 byte-order mark and CRLF line endings are
// accepted, spaces and tabs around fields are trimmed, blank lines are
// skipped, and symbols must be valid UTF-8 (they end up in model files).
// Protocol, service, flag and state values are open vocabularies: any
// symbol is kept, and the encoder deals with values unseen in training.
//
// # Label modes
//
// Options.Labels selects the classes (Classes lists them in index order;
// class 0 is always the normal class):
//
//   - nsl-kdd: "category" (default: normal, DoS, Probe, R2L, U2R, mapped by
//     KDDCategory, which knows every attack of the training and official
//     test files), "binary" (normal, attack) and "attack" (the 40 raw
//     labels: normal, the 22 training attacks, the 17 test-only ones).
//   - unsw-nb15: "attack_cat" (default; the ten categories, Normal first;
//     matched ignoring case, with "Backdoors" read as Backdoor) and
//     "binary" (Normal, attack; from the label column).
//   - bot-iot: "category" (default: Normal, DDoS, DoS, Reconnaissance,
//     Theft), "subcategory" (Normal, TCP, UDP, HTTP, Service_Scan,
//     OS_Fingerprint, Keylogging, Data_Exfiltration) and "binary" (Normal,
//     attack; from the attack column). Names are matched ignoring case and
//     stored in the canonical spelling.
//
// Frame.Attack keeps each row's raw label whatever the mode: the attack
// name (NSL-KDD text), normal/anomaly (ARFF), the attack_cat (UNSW-NB15)
// or the subcategory (BoT-IoT). Frame.Difficulty is filled for NSL-KDD
// text files only.
//
// # Missing and non-finite values
//
// In a numeric or binary column, an empty field, "?", "nan" or "NaN" (and,
// in UNSW-NB15 and BoT-IoT only, "-") is missing and stored as NaN;
// "inf", "-inf", "Infinity" and numbers too large for float64 ("1e999")
// are stored as ±Inf. The Report counts both per column (Missing,
// NonFinite). The encoder, not this package, imputes NaN (training median)
// and clips ±Inf (training range). In a categorical or symbolic column an
// empty field is the symbol "" (an unseen category to the encoder).
// Binary columns must hold 0 or 1, with one documented exception:
// UNSW-NB15's is_ftp_login holds 2 (and, in the training partition, 4) in
// a few published rows, so there it accepts any whole count, keeps it as
// read and counts it in Report.NonBinary.
//
// # Errors
//
// A bad row (wrong field count, a non-number where a number belongs, a
// binary field that is not 0 or 1, a bad port, an unknown or
// contradictory label, broken quoting, an over-long line) stops the read
// with a *ParseError whose text reads
//
//	KDDTrain+.txt.gz:17: column 1 (duration): "abc" is not a number
//
// and which unwraps to ErrFieldCount, ErrNotNumber, ErrUnknownLabel,
// ErrBadValue or ErrLabelMismatch for errors.Is. With Options.SkipBad such
// rows are skipped instead, counted by reason in Report.SkippedBy, and the
// first MaxReportErrors are kept in Report.Errors. Header problems
// (ErrHeader), label-mode problems (ErrLabelMode) and read errors (a
// *ParseError unwrapping to the I/O or gzip error) always stop the read.
// A file without data rows is an error. No input ever causes a panic.
//
// # Streaming
//
// Input is read line by line through a 16 KiB buffer; no whole file, and
// no line longer than MaxLineBytes, is ever held in memory. Memory grows
// with the Frame (8 bytes per numeric value, 4 per symbol code, plus each
// distinct symbol once), not with the size of the text. Fields are split
// in place, numbers are parsed with strconv.ParseFloat from the line's
// bytes, and symbols are interned per column, so that parsing a row
// allocates nothing once its symbols have been seen.
//
// # Why hand-written
//
// The splitter is written by hand rather than taken from encoding/csv:
// csv.Reader allocates a string per record and knows neither ARFF's
// single quotes and backslash escapes nor line-level recovery with
// SkipBad; gonum has no text readers. The splitter handles RFC 4180
// double quotes (with "" escapes) within one line, which is all the
// published files use.
package dataset
