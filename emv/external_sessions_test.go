package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sessions from outside the project: public recordings of real and test
// cards, and the scripted card exchanges of other kernels' tests, each
// transcribed into testdata/sessions/external/ with its source (repository,
// path, commit) in the header. They are replayed through the kernel as far
// as the recording goes.
//
// The header's "kernel" object (emv.Recording) says how to replay the
// session and what it must show.
//
// # Matching by command
//
// Another terminal's PDOL, CDOL and DDOL data (amounts, dates,
// unpredictable numbers, its TVR) differ from the kernel's, so a recording
// is replayed with apdu.ReplayByCommand: each command is answered by the
// first unused recorded exchange with the same CLA INS P1 P2 (and, for
// SELECT, the same DF name). What this still proves: the kernel sends no
// command the recording lacks (a GENERATE AC asking for another cryptogram
// type, a SELECT of another application, a READ RECORD outside the AFL all
// fail the replay), the sequence of commands is pinned ("commands"; where
// the source asserts the commands, "exact" compares them byte for byte in
// the recording's order), and its decisions on the recorded answers (TVR,
// TSI, CVM Results, outcome) are the expected ones. Where a signature covers
// terminal data (DDA's DDOL data, CDA's PDOL and CDOL1 data), the session
// either reproduces the recorded data exactly or says why the signature
// must fail.

const externalDir = "../testdata/sessions/external"

// sentLog is a Transceiver that keeps every command it carries, below the
// kernel's T=0 layer (GET RESPONSE included).
type sentLog struct {
	card apdu.Transceiver
	sent [][]byte
}

func (l *sentLog) Transmit(ctx context.Context, c []byte) ([]byte, error) {
	l.sent = append(l.sent, slices.Clone(c))
	return l.card.Transmit(ctx, c)
}

// checkExact verifies Exact: each command sent, but a last one the replay
// refused, equals an unused exchange byte for byte, and those of the file
// (the first nFile) come in the file's order.
func checkExact(t *testing.T, sent [][]byte, xs []apdu.SessionExchange, nFile int, stopped bool) {
	if stopped && len(sent) > 0 {
		sent = sent[:len(sent)-1]
	}
	used := make([]bool, len(xs))
	last := -1
	for n, c := range sent {
		i := slices.IndexFunc(xs, func(x apdu.SessionExchange) bool { return bytes.Equal(x.Command, c) })
		for i >= 0 && used[i] {
			j := slices.IndexFunc(xs[i+1:], func(x apdu.SessionExchange) bool { return bytes.Equal(x.Command, c) })
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if !assert.GreaterOrEqual(t, i, 0, "command %d %X is not byte for byte a recorded one", n, c) {
			return
		}
		used[i] = true
		if i < nFile {
			assert.Greater(t, i, last, "command %d %X out of the recording's order", n, c)
			last = i
		}
	}
}

// TestExternalSessions replays every session of testdata/sessions/external
// through the kernel and checks what its header says it proves.
func TestExternalSessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(externalDir, "*.json"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(files), 5, "at least five sessions from outside the project")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) { replayExternal(t, file) })
	}
}

func replayExternal(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	sess, k := readSessionFile(t, raw)
	assert.Regexp(t, `^github\.com/[^ /]+/[^ /]+ [^ ]+ @ [0-9a-f]{40}`, sess.Source, "source names repository, path and commit")

	// The replay answers from the recorded exchanges, then from the added
	// ones; the file's exchanges are what was recorded.
	replayed := &apdu.Session{Source: sess.Source, Proves: sess.Proves, Exchanges: slices.Clone(sess.Exchanges)}
	for _, a := range k.AddedExchanges {
		require.NotEmpty(t, a.Note, "an added exchange says why")
		c, err := hex.DecodeString(a.Command)
		require.NoError(t, err)
		r, err := hex.DecodeString(a.Response)
		require.NoError(t, err)
		replayed.Exchanges = append(replayed.Exchanges, apdu.SessionExchange{Command: c, Response: r, Note: a.Note})
	}
	rp := apdu.NewReplay(replayed, apdu.ReplayByCommand)
	card := &sentLog{card: rp}

	runErr := replayRecording(t, k, card).Err
	e := k.Expect

	if e.Exact {
		var re *apdu.ReplayError
		checkExact(t, card.sent, replayed.Exchanges, len(sess.Exchanges), errors.As(runErr, &re))
	}

	// Every command the kernel sent was answered from the file, the added
	// exchanges or not at all (the stop); count what it never asked for.
	assert.Equal(t, e.Unused, rp.Remaining(), "recorded exchanges the kernel did not ask for")
	closeErr := rp.Close()

	if e.Terminated == nil {
		if e.Unused == 0 {
			assert.NoError(t, closeErr)
		} else {
			assert.ErrorIs(t, closeErr, apdu.ErrReplayUnused)
		}
		assert.Empty(t, e.Unrecorded)
		return
	}
	var re *apdu.ReplayError
	if errors.As(runErr, &re) {
		// The recording ended (or lacks the command) here: name the command.
		require.NotEmpty(t, e.Unrecorded, "a replay stop names the unrecorded command")
		assert.True(t, strings.HasPrefix(hexOf(re.Got), e.Unrecorded), "unrecorded command %X, want prefix %s", re.Got, e.Unrecorded)
		require.Error(t, closeErr)
		assert.Equal(t, re.Error(), closeErr.Error(), "the replay keeps the first failure")
	} else {
		assert.Empty(t, e.Unrecorded, "the transaction stopped for the card's answers, not the recording's end")
	}
}
