package main

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/sensor"
)

// embeddedModels holds the default model of each feature family:
// models/nsl-kdd-cnn.model (make default-model) and, once built,
// models/bot-iot-cnn.model (make botiot-model). A build without the
// BoT-IoT file still works; --features bot-iot then needs a model file.
//
//go:embed models/*.model
var embeddedModels embed.FS

// familyModelFile names a family's embedded default model.
func familyModelFile(family string) string {
	switch family {
	case sensor.FamilyKDD:
		return "nsl-kdd-cnn.model"
	case sensor.FamilyBotIoT:
		return "bot-iot-cnn.model"
	}
	return ""
}

// parseFamilies parses --features: one family, or with multi several
// comma-separated ones, each at most once, in the order given. The
// aliases kdd and botiot are accepted.
func parseFamilies(s string, multi bool) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "nsl-kdd", "kdd", "nslkdd":
			f = sensor.FamilyKDD
		case "bot-iot", "botiot":
			f = sensor.FamilyBotIoT
		case "":
			return nil, fmt.Errorf("--features %q: empty family name (want nsl-kdd, bot-iot or nsl-kdd,bot-iot)", s)
		default:
			return nil, fmt.Errorf("--features %q: unknown family %q (want nsl-kdd, bot-iot or nsl-kdd,bot-iot)", s, f)
		}
		if slices.Contains(out, f) {
			return nil, fmt.Errorf("--features %q: family %s given twice", s, f)
		}
		out = append(out, f)
	}
	if len(out) > 1 && !multi {
		return nil, fmt.Errorf("--features %q: this command computes one family (nsl-kdd or bot-iot)", s)
	}
	return out, nil
}

// familyModel is the model file and threshold chosen for one family.
type familyModel struct {
	family    string
	path      string // "" is the embedded default
	threshold float64
	flag      string // the flag that names the model, for messages
}

// familyModels resolves which flags give each family's model and
// threshold. With one family, --model and --threshold are its model and
// threshold; for bot-iot alone, --bot-iot-model and --bot-iot-threshold
// are accepted as synonyms (giving both of a pair is an error). With both
// families, --model and --threshold are NSL-KDD's and --bot-iot-model and
// --bot-iot-threshold BoT-IoT's.
func (o *sensorOpts) familyModels(fams []string) ([]familyModel, error) {
	hasKDD, hasBot := slices.Contains(fams, sensor.FamilyKDD), slices.Contains(fams, sensor.FamilyBotIoT)
	botGiven := o.botModelPath != "" || o.botThreshold >= 0
	if !hasBot && botGiven {
		return nil, fmt.Errorf("--bot-iot-model and --bot-iot-threshold need the bot-iot family (--features bot-iot or nsl-kdd,bot-iot)")
	}
	var out []familyModel
	for _, f := range fams {
		switch {
		case f == sensor.FamilyKDD:
			out = append(out, familyModel{family: f, path: o.modelPath, threshold: o.threshold, flag: "--model"})
		case hasKDD: // bot-iot beside nsl-kdd
			out = append(out, familyModel{family: f, path: o.botModelPath, threshold: o.botThreshold, flag: "--bot-iot-model"})
		default: // bot-iot alone
			if o.modelPath != "" && o.botModelPath != "" {
				return nil, errors.New("--features bot-iot: give the BoT-IoT model once, with --model or --bot-iot-model")
			}
			if o.threshold >= 0 && o.botThreshold >= 0 {
				return nil, errors.New("--features bot-iot: give the threshold once, with --threshold or --bot-iot-threshold")
			}
			fm := familyModel{family: f, path: o.modelPath, threshold: max(o.threshold, o.botThreshold), flag: "--model"}
			if o.botModelPath != "" {
				fm.path, fm.flag = o.botModelPath, "--bot-iot-model"
			}
			out = append(out, fm)
		}
	}
	return out, nil
}

// load reads the family's model (the embedded default without a path),
// checks that it was trained for the family, and returns it with its
// name for alerts: the file's base name (or the embedded file's) and the
// first 8 hex digits of its SHA-256.
func (fm familyModel) load() (*model.File, string, error) {
	var data []byte
	var src, base string
	if fm.path == "" {
		name := familyModelFile(fm.family)
		var err error
		data, err = embeddedModels.ReadFile("models/" + name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("this build has no embedded %s model (run make botiot-model and rebuild); give one with %s FILE", fm.family, fm.flag)
		}
		if err != nil {
			return nil, "", fmt.Errorf("embedded %s: %w", name, err)
		}
		src, base = "embedded:"+name, strings.TrimSuffix(name, ".model")
	} else {
		var err error
		if data, err = os.ReadFile(fm.path); err != nil {
			return nil, "", fmt.Errorf("%s: %w", fm.flag, err)
		}
		src, base = fm.path, strings.TrimSuffix(filepath.Base(fm.path), filepath.Ext(fm.path))
	}
	f, err := model.Read(data, src)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", fm.flag, err)
	}
	if got := f.Header.Semantics.Family; got != fm.family {
		return nil, "", fmt.Errorf("%s %s is a %s model; the %s family needs a %s model", fm.flag, src, got, fm.family, fm.family)
	}
	sum := sha256.Sum256(data)
	return f, base + "@" + hex.EncodeToString(sum[:4]), nil
}
