// Package cli holds the command-line plumbing the cnids binaries share:
// flag parsing with a YAML settings file, and list-valued flags.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrUsage marks a command-line error that the flag set has already
// reported on its output; the caller exits with status 2.
var ErrUsage = errors.New("usage")

// List collects a repeatable or comma-separated flag.
type List []string

// String returns the values joined by commas.
func (l *List) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of v.
func (l *List) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// Parse parses args into fs and then applies the YAML file named by the
// flag "config" (when fs has one and it is set): each key of the file
// sets the flag of that name, unless the command line set it too. An
// unknown key, or a value the flag refuses, is an error naming the file
// and line. A list value sets a repeatable flag once per element.
//
// Flags may follow the positional arguments ("cnids replay FILE
// --emit all"); "--" ends the flags, and a lone "-" is positional.
func Parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return ErrUsage
	}
	var positional []string
	for rest := fs.Args(); len(rest) > 0; {
		switch a := rest[0]; {
		case a == "--":
			positional, rest = append(positional, rest[1:]...), nil
		case len(a) > 1 && a[0] == '-':
			if err := fs.Parse(rest); err != nil {
				return ErrUsage
			}
			left := fs.Args()
			if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
				positional, left = append(positional, left...), nil
			}
			rest = left
		default:
			positional, rest = append(positional, a), rest[1:]
		}
	}
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return ErrUsage
	}
	cf := fs.Lookup("config")
	if cf == nil || cf.Value.String() == "" {
		return nil
	}
	path := cf.Value.String()
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s:%d: want a mapping of flag names to values", path, m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, node := m.Content[i], m.Content[i+1]
		k := key.Value
		f := fs.Lookup(k)
		if f == nil || k == "config" {
			return fmt.Errorf("config %s:%d: unknown setting %q for %s", path, key.Line, k, fs.Name())
		}
		if set[k] {
			continue
		}
		var vals []string
		switch node.Kind {
		case yaml.SequenceNode:
			for _, c := range node.Content {
				vals = append(vals, c.Value)
			}
		case yaml.ScalarNode:
			vals = []string{node.Value}
		default:
			return fmt.Errorf("config %s:%d: setting %q must be a value or a list", path, node.Line, k)
		}
		for _, v := range vals {
			if err := fs.Set(k, v); err != nil {
				return fmt.Errorf("config %s:%d: %s: %w", path, node.Line, k, err)
			}
		}
	}
	return nil
}
