package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sessions from outside the project: public recordings of real and test
// cards, and the scripted card exchanges of other kernels' tests, each
// transcribed into testdata/sessions/external/ with its source (repository,
// path, commit) in the header. They are replayed through the kernel as far
// as the recording goes.
//
// # The kernel object of an external session
//
// The header's "kernel" object says how to replay the session and what it
// must show. Unknown keys are an error.
//
//	"terminal":     the terminal configuration, in the format of emv.ParseConfig
//	                (its "ca_keys" hold the CA keys the recording needs, each
//	                with its source)
//	"transaction":  {"type": "00", "amount": 1000, "amount_other": 0,
//	                 "time": RFC 3339, "sequence_counter": 0}; the time is the
//	                recording's date, so that keys and certificates that have
//	                expired since are valid on it
//	"unpredictable_number": hex; the random source gives these bytes first
//	                (then zeros), so the kernel's 9F37 is the recording's where
//	                a signature covers it (DDA)
//	"pin":          what the PIN pad answers, in order (a PIN, "bypass",
//	                ...; see pinPad); absent: no PIN pad
//	"host":         the issuer's answer {"approved", "arc", "issuer_auth_data"};
//	                absent: the terminal is unable to go online
//	"transaction_log": the terminal's log of approved transactions
//	                [{"pan": digits, "date": "YYMMDD", "amount": minor units}];
//	                the kernel gets the most recent one with the card's PAN
//	"choose":       the applications the cardholder picks, by name, in order;
//	                "confirm": the cardholder's answer to a confirmation.
//	                Both absent: no cardholder selection (Terminal.Selector nil)
//	"added_exchanges": answers the recording lacks because its terminal never
//	                asked (a contactless reader selects 2PAY.SYS.DDF01, never
//	                1PAY.SYS.DDF01); each says why. They are given to the
//	                replay after the recorded ones and are not part of the
//	                file's "exchanges", which stay as recorded.
//	"expect":       what the replay must show: the selected AID, the commands
//	                in the compact form of commands(), the outcome, the ODA
//	                method, TVR, TSI, CVM Results, how many recorded exchanges
//	                the kernel did not ask for ("unused"), the candidate lists
//	                the cardholder was offered, and for a transaction that
//	                stops, the step and the reason ("terminated"), and for a
//	                recording that ends first, the first command the recording
//	                has no answer for ("unrecorded"); "exact" where the source
//	                asserts the commands byte for byte, and "divergence" where
//	                the source asserts another outcome than the kernel's (the
//	                other fields then hold the kernel's, and the text says why)
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

type externalKernel struct {
	Terminal    json.RawMessage `json:"terminal"`
	Transaction struct {
		Type            string    `json:"type"`
		Amount          uint64    `json:"amount"`
		AmountOther     uint64    `json:"amount_other"`
		Time            time.Time `json:"time"`
		SequenceCounter uint32    `json:"sequence_counter"`
	} `json:"transaction"`
	UnpredictableNumber string   `json:"unpredictable_number"`
	PIN                 []string `json:"pin"`
	Host                *struct {
		Approved       bool   `json:"approved"`
		ARC            string `json:"arc"`
		IssuerAuthData string `json:"issuer_auth_data"`
	} `json:"host"`
	TransactionLog []struct {
		PAN    string `json:"pan"`
		Date   string `json:"date"`
		Amount uint64 `json:"amount"`
	} `json:"transaction_log"`
	Choose         []string `json:"choose"`
	Confirm        *bool    `json:"confirm"`
	AddedExchanges []struct {
		Command  string `json:"command"`
		Response string `json:"response"`
		Note     string `json:"note"`
	} `json:"added_exchanges"`
	Expect externalExpect `json:"expect"`
}

type externalExpect struct {
	AID        string     `json:"aid"`
	Commands   string     `json:"commands"`
	Outcome    string     `json:"outcome"`
	ODA        string     `json:"oda"`
	TVR        string     `json:"tvr"`
	TSI        string     `json:"tsi"`
	CVMResults string     `json:"cvm_results"`
	Unused     int        `json:"unused"`
	Offered    [][]string `json:"offered"`
	Terminated *struct {
		Step   string `json:"step"`
		Reason string `json:"reason"`
	} `json:"terminated"`
	// Unrecorded is the hex of the first command the recording has no
	// answer for (a prefix: the header, or the header and the DF name).
	Unrecorded string `json:"unrecorded"`
	// Exact says the recorded commands are byte for byte what a terminal
	// must send (the source asserts them, as emv-utils' tests do): every
	// command the kernel sent that the recording answers is the recorded
	// command exactly, in the recording's order.
	Exact bool `json:"exact"`
	// Divergence, when set, says where the source asserts another outcome
	// than the kernel's and why; the other fields then hold the kernel's.
	Divergence string `json:"divergence"`
}

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

// terminationReasons maps the "reason" of an expected termination to the
// error the kernel's *TerminatedError must match (errors.Is).
var terminationReasons = map[string]error{
	"not accepted":     emv.ErrNotAccepted,
	"card blocked":     emv.ErrCardBlocked,
	"card data":        emv.ErrCardData,
	"missing data":     emv.ErrMissingData,
	"duplicate data":   emv.ErrDuplicateData,
	"card refused":     emv.ErrCardRefused,
	"cancelled":        emv.ErrCancelled,
	"replay exhausted": apdu.ErrReplayExhausted,
	"replay mismatch":  apdu.ErrReplayMismatch,
}

// nameSelector is a cardholder who picks applications by name, in the
// order given, and answers confirmations with confirm. It records every
// candidate list offered and every confirmation asked.
type nameSelector struct {
	picks   []string
	confirm bool
	offered [][]string
}

func (s *nameSelector) Choose(ctx context.Context, c []emv.Candidate) (int, error) {
	names := make([]string, len(c))
	for i, x := range c {
		names[i] = x.Name()
	}
	s.offered = append(s.offered, names)
	if len(s.picks) == 0 {
		return 0, emv.ErrCancelled
	}
	p := s.picks[0]
	s.picks = s.picks[1:]
	if i := slices.Index(names, p); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("%q is not among the candidates %q", p, names)
}

func (s *nameSelector) Confirm(ctx context.Context, c emv.Candidate) (bool, error) {
	s.offered = append(s.offered, []string{"confirm " + c.Name()})
	return s.confirm, nil
}

// recordedLog is a terminal's transaction log given in a session.
type recordedLog []loggedTxn

type loggedTxn struct {
	pan, date string // PAN digits; YYMMDD
	amount    uint64
}

// RecentAmount returns the amount of the latest logged transaction with
// the card's PAN (the PAN sequence number is not compared: the logs of
// the sources hold it, the cards of the sessions do not).
func (l recordedLog) RecentAmount(pan, psn []byte) (uint64, bool) {
	best := -1
	for i, x := range l {
		if x.pan == bcdDigits(pan) && (best < 0 || x.date > l[best].date) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return l[best].amount, true
}

// unThenZeros is the random source of a replay: the recording's
// unpredictable number, then zeros.
func unThenZeros(un []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(un), fixedRand(0))
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
	sess, err := apdu.ReadSession(bytes.NewReader(raw))
	require.NoError(t, err)

	// The file is in the stable layout apdu writes: reading and writing it
	// gives the same bytes, so a re-transcription shows as a small diff.
	var again bytes.Buffer
	require.NoError(t, sess.Write(&again))
	assert.Equal(t, string(raw), again.String(), "file layout differs from apdu.Session.Write")

	assert.Regexp(t, `^github\.com/[^ /]+/[^ /]+ [^ ]+ @ [0-9a-f]{40}`, sess.Source, "source names repository, path and commit")

	var k externalKernel
	dec := json.NewDecoder(bytes.NewReader(sess.Kernel))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&k), "kernel object")

	cfg, err := emv.ParseConfig(k.Terminal)
	require.NoError(t, err, "terminal configuration")
	un, err := hex.DecodeString(k.UnpredictableNumber)
	require.NoError(t, err)
	cfg.Rand = unThenZeros(un)
	cfg.Time = func() time.Time { return k.Transaction.Time }

	typ, err := emv.ParseTransactionType(k.Transaction.Type)
	require.NoError(t, err)
	txn := emv.Transaction{Type: typ, Amount: k.Transaction.Amount, AmountOther: k.Transaction.AmountOther,
		Time: k.Transaction.Time, SequenceCounter: k.Transaction.SequenceCounter}

	term := &emv.Terminal{}
	if k.PIN != nil {
		term.PINPad = &pinPad{pins: slices.Clone(k.PIN)}
	}
	if k.Host != nil {
		iad, err := hex.DecodeString(k.Host.IssuerAuthData)
		require.NoError(t, err)
		term.Host = &fakeHost{resp: &emv.OnlineResponse{Approved: k.Host.Approved, ARC: k.Host.ARC, IssuerAuthData: iad}}
	}
	if k.TransactionLog != nil {
		var log recordedLog
		for _, l := range k.TransactionLog {
			log = append(log, loggedTxn{pan: l.PAN, date: l.Date, amount: l.Amount})
		}
		term.TransactionLog = log
	}
	var sel *nameSelector
	if k.Choose != nil || k.Confirm != nil {
		sel = &nameSelector{picks: slices.Clone(k.Choose), confirm: k.Confirm != nil && *k.Confirm}
		term.Selector = sel
	}

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

	res, runErr := emv.Run(context.Background(), card, cfg, txn, term)
	require.NotNil(t, res)
	if testing.Verbose() {
		t.Logf("outcome %s, err %v\naid %X oda %s tvr %X tsi %X cvm %X\ncommands %s\nremaining %d", res.Outcome, runErr,
			res.AID, res.ODA, res.TVR[:], res.TSI[:], res.CVMResults[:], commands(res.Trace), rp.Remaining())
		if sel != nil {
			t.Logf("offered %q", sel.offered)
		}
	}

	e := k.Expect
	if e.Divergence != "" {
		t.Logf("diverges from the source: %s", e.Divergence)
	}
	assert.Equal(t, e.AID, hexOf(res.AID), "selected AID")
	assert.Equal(t, e.Commands, commands(res.Trace), "commands sent")
	assert.Equal(t, e.Outcome, res.Outcome.String(), "outcome")
	assert.Equal(t, e.ODA, res.ODA.String(), "offline data authentication method")
	assert.Equal(t, e.TVR, hexOf(res.TVR[:]), "TVR %s", res.TVR)
	assert.Equal(t, e.TSI, hexOf(res.TSI[:]), "TSI %s", res.TSI)
	assert.Equal(t, e.CVMResults, hexOf(res.CVMResults[:]), "CVM Results")
	if sel != nil || e.Offered != nil {
		require.NotNil(t, sel, "expect.offered needs a cardholder")
		assert.Equal(t, e.Offered, sel.offered, "candidate lists offered")
	}

	if e.Exact {
		var re *apdu.ReplayError
		checkExact(t, card.sent, replayed.Exchanges, len(sess.Exchanges), errors.As(runErr, &re))
	}

	// Every command the kernel sent was answered from the file, the added
	// exchanges or not at all (the stop); count what it never asked for.
	assert.Equal(t, e.Unused, rp.Remaining(), "recorded exchanges the kernel did not ask for")
	closeErr := rp.Close()

	if e.Terminated == nil {
		require.NoError(t, runErr)
		assert.Nil(t, res.Terminated)
		if e.Unused == 0 {
			assert.NoError(t, closeErr)
		} else {
			assert.ErrorIs(t, closeErr, apdu.ErrReplayUnused)
		}
		assert.Empty(t, e.Unrecorded)
		return
	}
	var te *emv.TerminatedError
	require.ErrorAs(t, runErr, &te)
	assert.Equal(t, e.Terminated.Step, te.Step.String(), "step the transaction stopped in: %v", runErr)
	reason, ok := terminationReasons[e.Terminated.Reason]
	require.True(t, ok, "unknown reason %q", e.Terminated.Reason)
	assert.ErrorIs(t, runErr, reason)
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
