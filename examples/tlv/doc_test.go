package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command line the package documentation shows with arguments runs
// without error (a reader copies them).
func TestDocCommandsRun(t *testing.T) {
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		args, ok := strings.CutPrefix(line, "//\tgo run ./examples/tlv ")
		if !ok || strings.HasPrefix(args, "-f ") {
			continue
		}
		n++
		var out, errOut bytes.Buffer
		assert.NoError(t, run(strings.Fields(args), strings.NewReader(""), &out, &errOut), "%s: %s", args, errOut.String())
	}
	assert.GreaterOrEqual(t, n, 2)
}
