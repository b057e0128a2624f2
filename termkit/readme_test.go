package termkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeGo returns the ```go blocks of the repository's README.
func readmeGo(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// Every Go block of the README is a whole program that builds, passes go
// vet and runs, in a module of its own that requires this one as a new
// user's would (a replace directive to this checkout, no network): the
// README's first programs compile as written.
func TestREADMEProgramsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs with the go command")
	}
	blocks := readmeGo(t)
	require.GreaterOrEqual(t, len(blocks), 3, "a purchase, a card-first session and an online authorisation")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	dir := t.TempDir()
	mod := "module readme\n\ngo 1.26.0\n\nrequire github.com/emvkit/emvkit v0.0.0\n\nreplace github.com/emvkit/emvkit => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	for i, src := range blocks {
		require.True(t, strings.Contains(src, "package main"), "block %d is a whole program", i+1)
		p := filepath.Join(dir, "p"+string(rune('1'+i)))
		require.NoError(t, os.MkdirAll(p, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(p, "main.go"), []byte(src), 0o644))
	}
	gocmd := func(args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	gocmd("vet", "./...")
	for i := range blocks {
		out := gocmd("run", "./p"+string(rune('1'+i)))
		assert.NotEmpty(t, out)
		t.Logf("README program %d:\n%s", i+1, out)
	}
}

// The README names the module's direct dependencies, and only those.
func TestREADMEDependencies(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	mod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	policy := string(readme)[strings.Index(string(readme), "## Go version policy"):]
	var direct []string
	for _, l := range strings.Split(string(mod), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && strings.Contains(f[0], ".") && !strings.Contains(l, "// indirect") {
			direct = append(direct, f[0])
		}
	}
	require.NotEmpty(t, direct)
	for _, d := range direct {
		assert.Contains(t, policy, "`"+d+"`", "go.mod requires %s", d)
	}
	for _, m := range regexp.MustCompile("`((?:golang\\.org|github\\.com|filippo\\.io|modernc\\.org)/[^`]+)`").FindAllStringSubmatch(policy, -1) {
		assert.Contains(t, direct, m[1], "the README names %s, which go.mod does not require", m[1])
	}
	assert.NotContains(t, string(readme), "<<<<<<<", "no merge conflict left in the README")
}
