package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kernel object of a session file: how to run the kernel against the
// recorded exchanges and what it must show. Package apdu keeps it as raw
// JSON ("kernel"); this file is the one place that reads and writes it, for
// the sessions of testdata/sessions/external and testdata/sessions/virtual
// alike. Unknown keys are an error.
//
//	"terminal":     the terminal configuration, in the format of emv.ParseConfig
//	                (its "ca_keys" hold the CA keys the recording needs)
//	"transaction":  {"type": "00", "amount": 1000, "amount_other": 0,
//	                 "time": RFC 3339, "sequence_counter": 0,
//	                 "services": false, "force_online": false}; the time is
//	                both the transaction's and the terminal clock's
//	"unpredictable_number": hex; the random source gives these bytes first
//	                (then zeros), so the kernel's 9F37 is the recording's where
//	                a signature covers it (DDA)
//	"random":       hex; every byte the random source gave when the session
//	                was recorded (unpredictable number, random transaction
//	                selection, PIN block padding), given in the same order
//	                (then zeros)
//	"pin":          what the PIN pad answers, in order: the test card's
//	                reference PIN, "wrong" (a PIN that is not the card's),
//	                "bypass", "timeout", "broken", "cancel" (see pinPad);
//	                once used up, PIN entry is bypassed. Absent: no PIN pad.
//	                No other PIN is ever written here.
//	"host":         the issuer's answer {"approved", "arc", "issuer_auth_data",
//	                "scripts"}; absent: the terminal is unable to go online
//	"transaction_log": the terminal's log of approved transactions
//	                [{"pan": digits, "date": "YYMMDD", "amount": minor units}];
//	                the kernel gets the most recent one with the card's PAN
//	"exception_file": the PANs (digits) on the terminal exception file
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
//	                method, TVR, TSI, CVM Results, the CID of the last
//	                GENERATE AC, the advice flag and the Issuer Script Results
//	                (these three where given), how many recorded exchanges the
//	                kernel did not ask for ("unused"), the candidate lists the
//	                cardholder was offered, and for a transaction that stops,
//	                the step and the reason ("terminated"), and for a
//	                recording that ends first, the first command the recording
//	                has no answer for ("unrecorded"); "exact" where the source
//	                asserts the commands byte for byte, and "divergence" where
//	                the source asserts another outcome than the kernel's (the
//	                other fields then hold the kernel's, and the text says why)
type kernelObject struct {
	Terminal            json.RawMessage `json:"terminal"`
	Transaction         kernelTxn       `json:"transaction"`
	UnpredictableNumber string          `json:"unpredictable_number,omitempty"`
	Random              string          `json:"random,omitempty"`
	PIN                 []string        `json:"pin,omitempty"`
	Host                *kernelHost     `json:"host,omitempty"`
	TransactionLog      []kernelLogged  `json:"transaction_log,omitempty"`
	ExceptionFile       []string        `json:"exception_file,omitempty"`
	Choose              []string        `json:"choose,omitempty"`
	Confirm             *bool           `json:"confirm,omitempty"`
	AddedExchanges      []struct {
		Command  string `json:"command"`
		Response string `json:"response"`
		Note     string `json:"note"`
	} `json:"added_exchanges,omitempty"`
	Expect kernelExpect `json:"expect"`
}

type kernelTxn struct {
	Type            string    `json:"type"`
	Amount          uint64    `json:"amount"`
	AmountOther     uint64    `json:"amount_other,omitempty"`
	Time            time.Time `json:"time"`
	SequenceCounter uint32    `json:"sequence_counter,omitempty"`
	Services        bool      `json:"services,omitempty"`
	ForceOnline     bool      `json:"force_online,omitempty"`
}

type kernelHost struct {
	Approved       bool   `json:"approved"`
	ARC            string `json:"arc"`
	IssuerAuthData string `json:"issuer_auth_data,omitempty"`
	Scripts        string `json:"scripts,omitempty"`
}

type kernelLogged struct {
	PAN    string `json:"pan"`
	Date   string `json:"date"`
	Amount uint64 `json:"amount"`
}

type kernelExpect struct {
	AID        string     `json:"aid"`
	Commands   string     `json:"commands"`
	Outcome    string     `json:"outcome"`
	ODA        string     `json:"oda"`
	TVR        string     `json:"tvr"`
	TSI        string     `json:"tsi"`
	CVMResults string     `json:"cvm_results"`
	CID        string     `json:"cid,omitempty"`
	Advice     *bool      `json:"advice,omitempty"`
	Scripts    string     `json:"script_results,omitempty"`
	Unused     int        `json:"unused"`
	Offered    [][]string `json:"offered,omitempty"`
	Terminated *struct {
		Step   string `json:"step"`
		Reason string `json:"reason"`
	} `json:"terminated,omitempty"`
	// Unrecorded is the hex of the first command the recording has no
	// answer for (a prefix: the header, or the header and the DF name).
	Unrecorded string `json:"unrecorded,omitempty"`
	// Exact says the recorded commands are byte for byte what a terminal
	// must send (the source asserts them, as emv-utils' tests do): every
	// command the kernel sent that the recording answers is the recorded
	// command exactly, in the recording's order.
	Exact bool `json:"exact,omitempty"`
	// Divergence, when set, says where the source asserts another outcome
	// than the kernel's and why; the other fields then hold the kernel's.
	Divergence string `json:"divergence,omitempty"`
}

// readSessionFile reads a session file, checks that it is in the stable
// layout apdu writes (reading and writing it gives the same bytes, so a
// re-recording shows as a small diff) and decodes its kernel object
// strictly.
func readSessionFile(t *testing.T, raw []byte) (*apdu.Session, *kernelObject) {
	t.Helper()
	sess, err := apdu.ReadSession(bytes.NewReader(raw))
	require.NoError(t, err)
	var again bytes.Buffer
	require.NoError(t, sess.Write(&again))
	assert.Equal(t, string(raw), again.String(), "file layout differs from apdu.Session.Write")
	var k kernelObject
	dec := json.NewDecoder(bytes.NewReader(sess.Kernel))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&k), "kernel object")
	return sess, &k
}

// setup builds what the kernel object says the kernel runs with: the
// configuration with its clock and random source, the transaction, and the
// terminal's people and systems. sel is the cardholder, if any.
func (k *kernelObject) setup(t *testing.T) (cfg *emv.Config, txn emv.Transaction, term *emv.Terminal, sel *nameSelector) {
	t.Helper()
	cfg, err := emv.ParseConfig(k.Terminal)
	require.NoError(t, err, "terminal configuration")
	un, err := hex.DecodeString(k.UnpredictableNumber)
	require.NoError(t, err)
	rnd, err := hex.DecodeString(k.Random)
	require.NoError(t, err)
	cfg.Rand = io.MultiReader(bytes.NewReader(un), bytes.NewReader(rnd), fixedRand(0))
	at := k.Transaction.Time
	cfg.Time = func() time.Time { return at }

	typ, err := emv.ParseTransactionType(k.Transaction.Type)
	require.NoError(t, err)
	txn = emv.Transaction{Type: typ, Amount: k.Transaction.Amount, AmountOther: k.Transaction.AmountOther,
		Time: at, SequenceCounter: k.Transaction.SequenceCounter,
		Services: k.Transaction.Services, ForceOnline: k.Transaction.ForceOnline}

	term = &emv.Terminal{}
	if k.PIN != nil {
		term.PINPad = &pinPad{pins: slices.Clone(k.PIN)}
	}
	if k.Host != nil {
		iad, err := hex.DecodeString(k.Host.IssuerAuthData)
		require.NoError(t, err)
		scripts, err := hex.DecodeString(k.Host.Scripts)
		require.NoError(t, err)
		term.Host = &fakeHost{resp: &emv.OnlineResponse{Approved: k.Host.Approved, ARC: k.Host.ARC, IssuerAuthData: iad, Scripts: scripts}}
	}
	if k.TransactionLog != nil {
		var log recordedLog
		for _, l := range k.TransactionLog {
			log = append(log, loggedTxn{pan: l.PAN, date: l.Date, amount: l.Amount})
		}
		term.TransactionLog = log
	}
	if k.ExceptionFile != nil {
		pans := slices.Clone(k.ExceptionFile)
		term.ExceptionFile = func(pan, psn []byte) bool { return slices.Contains(pans, bcdDigits(pan)) }
	}
	if k.Choose != nil || k.Confirm != nil {
		sel = &nameSelector{picks: slices.Clone(k.Choose), confirm: k.Confirm != nil && *k.Confirm}
		term.Selector = sel
	}
	return cfg, txn, term, sel
}

// runKernel runs the transaction the kernel object describes on card.
func (k *kernelObject) runKernel(t *testing.T, card apdu.Transceiver) (*emv.Result, error, *nameSelector) {
	t.Helper()
	cfg, txn, term, sel := k.setup(t)
	res, err := emv.Run(context.Background(), card, cfg, txn, term)
	require.NotNil(t, res)
	if testing.Verbose() {
		t.Logf("outcome %s, err %v\naid %X oda %s tvr %X tsi %X cvm %X\ncommands %s", res.Outcome, err,
			res.AID, res.ODA, res.TVR[:], res.TSI[:], res.CVMResults[:], commands(res.Trace))
		if sel != nil {
			t.Logf("offered %q", sel.offered)
		}
	}
	return res, err, sel
}

// terminationReasons maps the "reason" of an expected termination to the
// error the kernel's *TerminatedError must match (errors.Is), in the order
// a recording names the reason by.
var terminationReasons = []struct {
	name string
	err  error
}{
	{"card removed", apdu.ErrCardRemoved},
	{"not accepted", emv.ErrNotAccepted},
	{"card blocked", emv.ErrCardBlocked},
	{"missing data", emv.ErrMissingData},
	{"duplicate data", emv.ErrDuplicateData},
	{"card data", emv.ErrCardData},
	{"card refused", emv.ErrCardRefused},
	{"cancelled", emv.ErrCancelled},
	{"PIN entry cancelled", cvm.ErrPINCancelled},
	{"transaction", emv.ErrTransaction},
	{"replay exhausted", apdu.ErrReplayExhausted},
	{"replay mismatch", apdu.ErrReplayMismatch},
}

func terminationReason(name string) (error, bool) {
	for _, r := range terminationReasons {
		if r.name == name {
			return r.err, true
		}
	}
	return nil, false
}

// expectOf is what a run showed, in the form of a kernel object's expect.
func expectOf(t *testing.T, res *emv.Result, runErr error, offered [][]string) kernelExpect {
	t.Helper()
	advice := res.Advice
	e := kernelExpect{
		AID: hexOf(res.AID), Commands: commands(res.Trace), Outcome: res.Outcome.String(), ODA: res.ODA.String(),
		TVR: hexOf(res.TVR[:]), TSI: hexOf(res.TSI[:]), CVMResults: hexOf(res.CVMResults[:]),
		CID: hexOf([]byte{res.CID}), Advice: &advice, Scripts: hexOf(res.ScriptResults), Offered: offered,
	}
	if runErr != nil {
		var te *emv.TerminatedError
		require.ErrorAs(t, runErr, &te)
		e.Terminated = &struct {
			Step   string `json:"step"`
			Reason string `json:"reason"`
		}{Step: te.Step.String()}
		for _, r := range terminationReasons {
			if errors.Is(runErr, r.err) {
				e.Terminated.Reason = r.name
				break
			}
		}
		require.NotEmpty(t, e.Terminated.Reason, "no reason of terminationReasons matches %v", runErr)
	}
	return e
}

// check compares what a run showed with the expectation: every field is
// compared, but CID, advice and script results only where given.
func (e *kernelExpect) check(t *testing.T, res *emv.Result, runErr error, sel *nameSelector) {
	t.Helper()
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
	if e.CID != "" {
		assert.Equal(t, e.CID, hexOf([]byte{res.CID}), "CID of the last GENERATE AC")
	}
	if e.Advice != nil {
		assert.Equal(t, *e.Advice, res.Advice, "advice")
	}
	if e.Scripts != "" {
		assert.Equal(t, e.Scripts, hexOf(res.ScriptResults), "Issuer Script Results 9F5B")
	}
	if sel != nil || e.Offered != nil {
		require.NotNil(t, sel, "expect.offered needs a cardholder")
		assert.Equal(t, e.Offered, sel.offered, "candidate lists offered")
	}
	if e.Terminated == nil {
		require.NoError(t, runErr)
		assert.Nil(t, res.Terminated)
		return
	}
	var te *emv.TerminatedError
	require.ErrorAs(t, runErr, &te)
	assert.Equal(t, e.Terminated.Step, te.Step.String(), "step the transaction stopped in: %v", runErr)
	reason, ok := terminationReason(e.Terminated.Reason)
	require.True(t, ok, "unknown reason %q", e.Terminated.Reason)
	assert.ErrorIs(t, runErr, reason)
	assert.Same(t, te, res.Terminated)
}
