package emv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sessions recorded from the virtual card: every scenario of the scenario
// tables (TestOutcomes, TestOfflineDataAuthentication, ...) is one file of
// testdata/sessions/virtual/<table>/<scenario>.json, holding the exchanges
// and a kernel object (emv.Recording) with the scenario's terminal,
// transaction, random bytes, PIN pad, host answer and what the kernel
// showed. TestVirtualSessions replays each file byte for byte
// (apdu.ReplayStrict) with the recorded clock and random bytes, and checks
// that the kernel shows the same again.
//
// go test ./emv -update runs the scenarios on the virtual card and
// writes the files anew, so a change in the kernel's commands or decisions
// shows as a diff of testdata. Without -update, a scenario whose file is
// missing fails.

var update = flag.Bool("update", false, "re-record testdata/sessions/virtual from the virtual card")

const virtualDir = "../testdata/sessions/virtual"

// written lists the session files -update wrote, to remove stale ones.
var written struct {
	sync.Mutex
	files map[string]bool
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if *update && code == 0 && flag.Lookup("test.run").Value.String() == "" {
		// A whole run recorded every scenario: drop the files of scenarios
		// that no longer exist.
		files, _ := filepath.Glob(filepath.Join(virtualDir, "*", "*.json"))
		for _, f := range files {
			if !written.files[f] {
				fmt.Fprintf(os.Stderr, "removing stale session %s\n", f)
				os.Remove(f)
			}
		}
	}
	os.Exit(code)
}

// sessionPath is the file of the running scenario: TestOutcomes/Book3_x
// is virtual/Outcomes/Book3_x.json.
func sessionPath(t *testing.T) string {
	table, name, ok := strings.Cut(t.Name(), "/")
	require.True(t, ok, "a recorded scenario runs in a subtest")
	return filepath.Join(virtualDir, strings.TrimPrefix(table, "Test"), name+".json")
}

// checkConfigJSON checks that the terminal configuration a recording
// wrote reads back as cfg, keys and revocations included.
func checkConfigJSON(t *testing.T, cfg *emv.Config, written []byte) {
	t.Helper()
	back, err := emv.ParseConfig(written)
	require.NoError(t, err, "recorded terminal configuration")
	want, got := *cfg, *back
	want.CAKeys, got.CAKeys, want.Time, want.Rand, want.Logger = nil, nil, nil, nil, nil
	require.True(t, reflect.DeepEqual(want, got), "the terminal configuration does not survive the session format:\n%+v\n%+v", want, got)
	if cfg.CAKeys != nil {
		require.Equal(t, len(cfg.CAKeys.Keys()), len(back.CAKeys.Keys()))
		require.Equal(t, cfg.CAKeys.Revocations(), back.CAKeys.Revocations())
	}
}

// scriptTokens is what a scenario's PIN pad was scripted to answer, as
// tokens: the card's reference PIN is emv.PINEntered and any other PIN
// emv.PINWrong, so no PIN is written; entries the kernel never asked for
// are kept (a replay's PIN pad bypasses once its answers are used up, as
// pinPad does). The tokens emv.RecordAnswers kept, one a prompt, must be
// the script's, a wrong PIN being emv.PINEntered there.
func scriptTokens(t *testing.T, card *emvtest.Card, script, logged []string) []string {
	t.Helper()
	ref := map[string]bool{}
	for _, a := range card.Profile().Applications {
		if a.PIN != "" {
			ref[string(a.PIN)] = true
		}
	}
	tokens := []string{}
	for _, p := range script {
		switch {
		case slices.Contains([]string{emv.PINBypass, emv.PINTimeout, emv.PINBroken, emv.PINCancel, emv.PINWrong}, p):
			tokens = append(tokens, p)
		case ref[p]:
			tokens = append(tokens, emv.PINEntered)
		default:
			tokens = append(tokens, emv.PINWrong)
		}
	}
	want := slices.Clone(tokens)
	for len(want) < len(logged) {
		want = append(want, emv.PINBypass) // pinPad with no answer left
	}
	want = want[:len(logged)]
	for i, w := range want {
		if w == emv.PINWrong {
			want[i] = emv.PINEntered
		}
	}
	require.Equal(t, want, logged, "the PIN pad's answers as emv.RecordAnswers kept them")
	return tokens
}

// runRecorded runs a scenario's transaction on the virtual card. With
// -update it writes the session file; otherwise it requires the file to
// exist (TestVirtualSessions replays it).
func runRecorded(t *testing.T, card *emvtest.Card, cfg *emv.Config, txn emv.Transaction, term *emv.Terminal, about string) (*emv.Result, error) {
	t.Helper()
	path := sessionPath(t)
	if !*update {
		require.FileExists(t, path, "go test ./emv -update records it")
		return emv.Run(context.Background(), card, cfg, txn, term)
	}

	at := txn.Time
	if at.IsZero() {
		at = testTime
		if cfg.Time != nil {
			at = cfg.Time()
		}
	}
	txn.Time = at

	pcfg := *cfg
	pcfg.Time = func() time.Time { return at }
	rcfg, rterm, log := emv.RecordAnswers(&pcfg, term)
	pad, _ := term.PINPad.(*pinPad)
	if pad == nil {
		require.Nil(t, term.PINPad, "only pinPad can be recorded")
	}
	var script []string
	if pad != nil {
		script = slices.Clone(pad.pins)
	}

	recorder := apdu.NewRecorder(card)
	res, err := emv.Run(context.Background(), recorder, rcfg, txn, rterm)
	require.NotNil(t, res)

	answers := log.Answers()
	if s, ok := term.Selector.(*selector); ok {
		answers.Confirm = s.confirm // as scripted, asked or not
	}
	if pad != nil {
		answers.PIN = scriptTokens(t, card, script, answers.PIN)
	}
	k, kerr := emv.NewRecording(cfg, txn, res, err, answers)
	require.NoError(t, kerr)
	checkConfigJSON(t, cfg, k.Terminal)

	kb, jerr := json.Marshal(k)
	require.NoError(t, jerr)
	p := card.Profile()
	sess := recorder.Session(
		fmt.Sprintf("emv/emvtest profile %s, scenario %s, recorded by go test ./emv -update", p.Name, t.Name()),
		provesOf(about, path, res, err))
	sess.Kernel = kb
	var buf bytes.Buffer
	require.NoError(t, sess.Write(&buf))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	written.Lock()
	if written.files == nil {
		written.files = map[string]bool{}
	}
	written.files[path] = true
	written.Unlock()
	return res, err
}

// provesOf says what a scenario's session proves: about, or else what its
// name says (Book3_10_6_1_FloorLimitExceeded_Online: "Book 3 §10.6.1:
// floor limit exceeded, online"), and the values the kernel must show.
func provesOf(about, path string, res *emv.Result, err error) string {
	what := about
	if what == "" {
		what = describeName(strings.TrimSuffix(filepath.Base(path), ".json"))
	}
	ends := res.Outcome.String()
	if err != nil {
		var te *emv.TerminatedError
		if errors.As(err, &te) {
			ends = fmt.Sprintf("terminated in %s (%v)", te.Step, err)
		}
	}
	return fmt.Sprintf("%s. Replayed byte for byte, the kernel sends the same commands (%s) and ends %s with TVR %s, TSI %s, CVM Results %X.",
		what, res.Trace.Compact(), ends, res.TVR, res.TSI, res.CVMResults[:])
}

// describeName turns a scenario name into words with its book section.
func describeName(name string) string {
	parts := strings.Split(name, "_")
	section := ""
	if b, ok := strings.CutPrefix(parts[0], "Book"); ok && b != "" {
		var nums []string
		i := 1
		for ; i < len(parts) && parts[i] != "" && strings.Trim(parts[i], "0123456789") == ""; i++ {
			nums = append(nums, parts[i])
		}
		section = "Book " + b + " §" + strings.Join(nums, ".")
		parts = parts[i:]
	}
	var words []string
	for _, p := range parts {
		words = append(words, spaced(p))
	}
	what := strings.Join(words, ", ")
	if section != "" {
		what = section + ": " + what
	}
	return what
}

// spaced splits CamelCase into words, keeping acronyms (PSE, AIDs, 6A81)
// whole: "NoPSEListOfAIDs" is "no PSE list of AIDs".
func spaced(s string) string {
	r := []rune(s)
	var out []rune
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) && !(r[i-1] == 's' && i >= 2 && unicode.IsUpper(r[i-2]))
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1]) && !(r[i+1] == 's' && (i+2 == len(r) || unicode.IsUpper(r[i+2])))
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) || unicode.IsDigit(r[i-1]) && nextLower {
				out = append(out, ' ')
			}
		}
		out = append(out, c)
	}
	words := strings.Fields(string(out))
	for i, w := range words {
		if len(w) > 1 && unicode.IsUpper(rune(w[0])) && strings.ToLower(w[1:]) == w[1:] {
			words[i] = strings.ToLower(w)
		}
	}
	return strings.Join(words, " ")
}

// TestVirtualSessions replays every session recorded from the virtual
// card, byte for byte, with its clock, random bytes, PIN pad, cardholder
// and host, and checks the outcome, TVR, TSI, CVM Results, CID, advice,
// script results, the candidate lists offered and the commands the header
// names; every recorded exchange is used and nothing else is sent.
func TestVirtualSessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(virtualDir, "*", "*.json"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(files), 140, "every scenario is recorded")
	for _, file := range files {
		rel, _ := filepath.Rel(virtualDir, file)
		t.Run(strings.TrimSuffix(rel, ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Less(t, len(raw), 64<<10, "a session file stays small")
			sess, k := readSessionFile(t, raw)
			assert.True(t, strings.HasPrefix(sess.Source, "emv/emvtest profile "), "source names the virtual card profile")
			assert.Empty(t, k.AddedExchanges, "a recording from the virtual card is whole")
			assert.Zero(t, k.Expect.Unused)
			for _, p := range k.PIN {
				assert.Contains(t, []string{emv.PINEntered, emv.PINWrong, emv.PINBypass, emv.PINTimeout, emv.PINBroken, emv.PINCancel}, p,
					"a recording holds PIN tokens, never a PIN")
			}
			rp := apdu.NewReplay(sess, apdu.ReplayStrict)
			replayRecording(t, k, rp)
			assert.Zero(t, rp.Remaining(), "recorded exchanges the kernel did not send")
			assert.NoError(t, rp.Close())
		})
	}
}
