package features

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
)

// Semantics describes how a feature family's values are defined: window
// sizes, caps, error-flag sets and the service map. A model records the
// semantics it was trained for; the sensor refuses a model whose semantics
// differ from those it computes, because such a model would meet vectors
// unlike any it saw in training.
type Semantics struct {
	// Family is the schema name ("nsl-kdd", "unsw-nb15", "bot-iot").
	Family string `json:"family"`
	// Version is bumped whenever a definition below changes meaning.
	Version int `json:"version"`
	// TimeWindowSeconds is the length of the time window (KDD: 2).
	TimeWindowSeconds float64 `json:"time_window_seconds,omitempty"`
	// HostWindow is the number of connections in the host window (KDD: 256).
	HostWindow int `json:"host_window,omitempty"`
	// CountCap caps count and srv_count (KDD: 511).
	CountCap int `json:"count_cap,omitempty"`
	// HostCountCap caps the dst_host counts (KDD: 255).
	HostCountCap int `json:"host_count_cap,omitempty"`
	// SError and RError are the connection states counted as SYN errors
	// and REJ errors.
	SError []string `json:"serror,omitempty"`
	RError []string `json:"rerror,omitempty"`
	// ServiceMap names the port-to-service map's version.
	ServiceMap string `json:"service_map,omitempty"`
	// StatusIntervalSeconds is the status record interval of flow
	// families built like Argus' records (BoT-IoT: 5).
	StatusIntervalSeconds float64 `json:"status_interval_seconds,omitempty"`
}

// KDDSemantics returns the NSL-KDD semantics that cnids implements, as
// checked against KDDTrain+ (see DESIGN.md, "Feature semantics that matter").
func KDDSemantics() Semantics {
	return Semantics{
		Family:            "nsl-kdd",
		Version:           1,
		TimeWindowSeconds: 2,
		HostWindow:        256,
		CountCap:          511,
		HostCountCap:      255,
		SError:            []string{"S0", "S1", "S2", "S3", "SH"},
		RError:            []string{"REJ", "RSTO", "RSTOS0", "RSTR"},
		ServiceMap:        "kdd-ports-1",
	}
}

// DatasetSemantics returns the semantics a model trained on a dataset
// family records: the sensor's own for the families it computes from
// packets (NSL-KDD, BoT-IoT: BotIoTSemantics), and only the family and
// version for the others (UNSW-NB15).
func DatasetSemantics(family string) Semantics {
	switch family {
	case "nsl-kdd":
		return KDDSemantics()
	case "bot-iot":
		return BotIoTSemantics()
	}
	return Semantics{Family: family, Version: 1}
}

// Fingerprint returns a short stable digest of s.
func (s Semantics) Fingerprint() string {
	b, _ := json.Marshal(s) // a struct of strings and numbers always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Compatible returns nil when a model trained for s can be fed by a
// producer of p, and otherwise an error naming the first difference.
func (s Semantics) Compatible(p Semantics) error {
	diff := func(what string, a, b any) error {
		return fmt.Errorf("features: model expects %s %v, the sensor computes %v", what, a, b)
	}
	switch {
	case s.Family != p.Family:
		return diff("feature family", s.Family, p.Family)
	case s.Version != p.Version:
		return diff("semantics version", s.Version, p.Version)
	case s.TimeWindowSeconds != p.TimeWindowSeconds:
		return diff("time window (s)", s.TimeWindowSeconds, p.TimeWindowSeconds)
	case s.HostWindow != p.HostWindow:
		return diff("host window", s.HostWindow, p.HostWindow)
	case s.CountCap != p.CountCap:
		return diff("count cap", s.CountCap, p.CountCap)
	case s.HostCountCap != p.HostCountCap:
		return diff("host count cap", s.HostCountCap, p.HostCountCap)
	case !slices.Equal(s.SError, p.SError):
		return diff("serror set", s.SError, p.SError)
	case !slices.Equal(s.RError, p.RError):
		return diff("rerror set", s.RError, p.RError)
	case s.ServiceMap != p.ServiceMap:
		return diff("service map", s.ServiceMap, p.ServiceMap)
	case s.StatusIntervalSeconds != p.StatusIntervalSeconds:
		return diff("status interval (s)", s.StatusIntervalSeconds, p.StatusIntervalSeconds)
	}
	return nil
}
