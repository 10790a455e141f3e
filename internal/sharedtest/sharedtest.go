// Package sharedtest locates the shared test data (datasets and captures)
// that sits beside the repository root, in ../shared, for tests.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of parts under ../shared, relative to the
// repository root (the nearest directory above the test's working
// directory that holds go.mod). It fails the test when the root or the
// file is missing: CI always provides ../shared, so a missing file is an
// error, never a reason to skip.
func Path(tb testing.TB, parts ...string) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			tb.Fatalf("no go.mod above %s: cannot locate the repository root and ../shared", wd)
		}
		root = up
	}
	p := filepath.Join(append([]string{root, "..", "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared test data missing: %v (it must sit beside the repository root, in ../shared)", err)
	}
	return p
}
