package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// -record writes a file only its owner can read, also over a file that
// was readable by others; the virtual card's test PAN brings no warning.
func TestRunRecordFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-json", "-record", path}, strings.NewReader(""), &out, &errOut), errOut.String())
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Empty(t, errOut.String())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "4761739001010119", "not masked without -mask")
}

// -mask writes the session with the PAN, track 2 and cardholder name
// replaced consistently (apdu.Session.Masked): the file still reads as a
// session, and the card's PAN is nowhere in it.
func TestRunRecordMasked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-json", "-record", path, "-mask"}, strings.NewReader(""), &out, &errOut), errOut.String())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "4761739001010119")
	assert.Contains(t, string(raw), "4761730000000119", "first six and last four kept")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = apdu.ReadSession(f)
	assert.NoError(t, err)

	err = run(context.Background(), []string{"-mask"}, strings.NewReader(""), &out, &errOut)
	assert.EqualError(t, err, "-mask: masks a recording: give -record FILE")
	assert.Equal(t, 2, exitCode(err))
}

// On a reader the card is a real one: -record warns on stderr that the
// file holds its data in clear, and -mask writes it masked, silently.
func TestE2ERecordWarnsAndMasks(t *testing.T) {
	env := e2eSetup(t)
	for _, mask := range []bool{false, true} {
		// One subtest a card: each leaves the reader before the next is
		// inserted (insert's cleanup pulls it and waits for pcscd).
		t.Run(fmt.Sprintf("mask=%v", mask), func(t *testing.T) {
			card := emvtest.NewCard(emvtest.VisaCDA())
			insert(t, env, card)
			rec := filepath.Join(t.TempDir(), "session.json")
			args := []string{"-reader", env.reader, "-config", benchConfig, "-pin", "1234", "-json", "-record", rec}
			if mask {
				args = append(args, "-mask")
			}
			var out, errOut bytes.Buffer
			require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
			raw, err := os.ReadFile(rec)
			require.NoError(t, err)
			st, err := os.Stat(rec)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			if mask {
				assert.Empty(t, errOut.String())
				assert.NotContains(t, string(raw), "4761739001010119")
			} else {
				assert.Equal(t, "terminal: warning: "+rec+" holds the card's PAN, track 2 and cardholder name in clear (file mode 0600); -mask writes them masked, but a masked recording cannot replay offline data authentication\n", errOut.String())
				assert.Contains(t, string(raw), "4761739001010119")
			}
		})
	}
}
