// Package fuzzseed gives fuzz targets their seeds from the repository's
// recorded card sessions (testdata/sessions: recorded from the virtual card
// or transcribed from outside the project), so every target starts from
// what real exchanges look like. It is for tests only.
package fuzzseed

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/emvkit/emvkit/apdu"
)

// Sessions reads every session file under the repository's
// testdata/sessions. It fails the test when there is none: a fuzz target
// that silently lost its seeds would still pass.
func Sessions(tb testing.TB) []*apdu.Session {
	tb.Helper()
	dir := filepath.Join(root(tb), "testdata", "sessions")
	var out []*apdu.Session
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s, err := apdu.ReadSession(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("no sessions in %s", dir)
	}
	return out
}

// Responses returns the distinct response APDUs (data and status word) of
// the sessions' commands with instruction byte ins, or of every command
// when ins is 0.
func Responses(tb testing.TB, ins byte) [][]byte {
	tb.Helper()
	var out [][]byte
	seen := map[string]bool{}
	for _, s := range Sessions(tb) {
		for _, x := range s.Exchanges {
			if x.Response == nil || len(x.Command) < 2 || (ins != 0 && x.Command[1] != ins) || seen[string(x.Response)] {
				continue
			}
			seen[string(x.Response)] = true
			out = append(out, x.Response)
		}
	}
	return out
}

// root finds the module root: the nearest directory above the test's
// working directory (its package directory) that holds go.mod.
func root(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("fuzzseed: no go.mod above the test's directory")
		}
		dir = parent
	}
}
