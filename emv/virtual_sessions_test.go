package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	"github.com/emvkit/emvkit/oda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sessions recorded from the virtual card: every scenario of the scenario
// tables (TestOutcomes, TestOfflineDataAuthentication, ...) is one file of
// testdata/sessions/virtual/<table>/<scenario>.json, holding the exchanges
// and a kernel object (kernelObject) with the scenario's terminal,
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

// revocations are the revocations tests add to a KeyStore (revoke), which
// oda.KeyStore does not list; configJSON writes them.
var revocations sync.Map // *oda.KeyStore -> []revocation

type revocation struct {
	rid    [5]byte
	index  byte
	serial [3]byte
}

// revoke revokes an issuer certificate in ks and remembers it for the
// session file.
func revoke(ks *oda.KeyStore, rid [5]byte, index byte, serial [3]byte) {
	ks.Revoke(rid, index, serial)
	v, _ := revocations.Load(ks)
	l, _ := v.([]revocation)
	revocations.Store(ks, append(l, revocation{rid, index, serial}))
}

// configJSON writes cfg in the format of emv.ParseConfig, and checks that
// reading it back gives the same configuration.
func configJSON(t *testing.T, cfg *emv.Config) json.RawMessage {
	t.Helper()
	h := func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
	params := func(p emv.AppParams) map[string]any {
		m := map[string]any{}
		if p.Version != nil {
			m["version"] = h(p.Version)
		}
		if p.FloorLimit != nil {
			m["floor_limit"] = *p.FloorLimit
		}
		if p.TACDenial != nil {
			m["tac_denial"] = h(p.TACDenial[:])
		}
		if p.TACOnline != nil {
			m["tac_online"] = h(p.TACOnline[:])
		}
		if p.TACDefault != nil {
			m["tac_default"] = h(p.TACDefault[:])
		}
		if p.DefaultDDOL != nil {
			m["default_ddol"] = h(p.DefaultDDOL)
		}
		if p.DefaultTDOL != nil {
			m["default_tdol"] = h(p.DefaultTDOL)
		}
		if p.AlwaysManageRisk != nil {
			m["always_manage_risk"] = *p.AlwaysManageRisk
		}
		if rs := p.RandomSelection; rs != nil {
			m["random_selection"] = map[string]any{"target_percent": rs.TargetPercent, "max_target_percent": rs.MaxTargetPercent, "threshold": rs.Threshold}
		}
		return m
	}
	m := map[string]any{"country": cfg.Country, "currency": cfg.Currency}
	set := func(k string, v any, zero bool) {
		if !zero {
			m[k] = v
		}
	}
	set("terminal_type", h([]byte{cfg.TerminalType}), cfg.TerminalType == 0)
	set("capabilities", h(cfg.Capabilities[:]), cfg.Capabilities == [3]byte{})
	set("additional_capabilities", h(cfg.AdditionalCapabilities[:]), cfg.AdditionalCapabilities == [5]byte{})
	set("currency_exponent", cfg.CurrencyExponent, cfg.CurrencyExponent == 0)
	set("merchant_category", cfg.MerchantCategory, cfg.MerchantCategory == 0)
	set("merchant_id", cfg.MerchantID, cfg.MerchantID == "")
	set("merchant_name_location", cfg.MerchantNameLocation, cfg.MerchantNameLocation == "")
	set("terminal_id", cfg.TerminalID, cfg.TerminalID == "")
	set("ifd_serial", cfg.IFDSerial, cfg.IFDSerial == "")
	set("acquirer_id", cfg.AcquirerID, cfg.AcquirerID == "")
	set("bypass_all_pin_cvms", true, !cfg.BypassAllPINCVMs)
	if p := params(cfg.AppParams); len(p) > 0 {
		m["params"] = p
	}
	var apps []map[string]any
	for _, a := range cfg.Applications {
		x := map[string]any{"aid": h(a.AID)}
		if a.PartialSelection {
			x["partial_selection"] = true
		}
		if p := params(a.Params); len(p) > 0 {
			x["params"] = p
		}
		apps = append(apps, x)
	}
	m["applications"] = apps
	if cfg.CAKeys != nil {
		var keys []map[string]any
		for _, k := range cfg.CAKeys.Keys() {
			x := map[string]any{"rid": h(k.RID[:]), "index": h([]byte{k.Index}), "modulus": h(k.Modulus), "exponent": h(k.Exponent), "checksum": h(k.CheckSum)}
			if !k.Expiry.IsZero() {
				x["expiry"] = k.Expiry.Format(time.DateOnly)
			}
			keys = append(keys, x)
		}
		ca := map[string]any{"keys": keys}
		if v, ok := revocations.Load(cfg.CAKeys); ok {
			var revs []map[string]string
			for _, r := range v.([]revocation) {
				revs = append(revs, map[string]string{"rid": h(r.rid[:]), "index": h([]byte{r.index}), "serial": h(r.serial[:])})
			}
			ca["revocations"] = revs
		}
		m["ca_keys"] = ca
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)

	// Reading it back gives the same configuration, keys and all.
	back, err := emv.ParseConfig(b)
	require.NoError(t, err, "recorded terminal configuration")
	want, got := *cfg, *back
	want.CAKeys, got.CAKeys, want.Time, want.Rand, want.Logger = nil, nil, nil, nil, nil
	require.True(t, reflect.DeepEqual(want, got), "the terminal configuration does not survive the session format:\n%+v\n%+v", want, got)
	if cfg.CAKeys != nil {
		require.Equal(t, len(cfg.CAKeys.Keys()), len(back.CAKeys.Keys()))
	}
	return b
}

// randomLog keeps every byte a random source gives.
type randomLog struct {
	r   io.Reader
	got []byte
}

func (l *randomLog) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.got = append(l.got, p[:n]...)
	return n, err
}

// hostLog keeps the issuer's answer.
type hostLog struct {
	h    emv.Host
	resp *emv.OnlineResponse
}

func (l *hostLog) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r, err := l.h.Authorise(ctx, req)
	if err == nil {
		l.resp = r
	}
	return r, err
}

// selectorLog keeps what the cardholder chose, by name, and the lists
// offered, as nameSelector does.
type selectorLog struct {
	s       emv.Selector
	picks   []string
	offered [][]string
}

func (l *selectorLog) Choose(ctx context.Context, c []emv.Candidate) (int, error) {
	names := make([]string, len(c))
	for i, x := range c {
		names[i] = x.Name()
	}
	l.offered = append(l.offered, names)
	i, err := l.s.Choose(ctx, c)
	if err == nil && i >= 0 && i < len(c) {
		l.picks = append(l.picks, names[i])
	}
	return i, err
}

func (l *selectorLog) Confirm(ctx context.Context, c emv.Candidate) (bool, error) {
	l.offered = append(l.offered, []string{"confirm " + c.Name()})
	return l.s.Confirm(ctx, c)
}

// logLog keeps what the transaction log answered.
type logLog struct {
	l   emv.TransactionLog
	got []kernelLogged
	day string
}

func (l *logLog) RecentAmount(pan, psn []byte) (uint64, bool) {
	a, ok := l.l.RecentAmount(pan, psn)
	if ok {
		l.got = append(l.got, kernelLogged{PAN: bcdDigits(pan), Date: l.day, Amount: a})
	}
	return a, ok
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

	k := &kernelObject{Terminal: configJSON(t, cfg)}
	at := txn.Time
	if at.IsZero() {
		at = testTime
		if cfg.Time != nil {
			at = cfg.Time()
		}
	}
	k.Transaction = kernelTxn{Type: fmt.Sprintf("%02X", byte(txn.Type)), Amount: txn.Amount, AmountOther: txn.AmountOther,
		Time: at, SequenceCounter: txn.SequenceCounter, Services: txn.Services, ForceOnline: txn.ForceOnline}

	// The PIN pad's entries: the card's reference PIN, "wrong" for any
	// other PIN, or what the pad does instead.
	if pad, ok := term.PINPad.(*pinPad); ok && pad != nil {
		ref := map[string]bool{}
		for _, a := range card.Profile().Applications {
			if a.PIN != "" {
				ref[string(a.PIN)] = true
			}
		}
		k.PIN = []string{}
		for _, p := range pad.pins {
			switch {
			case ref[p], p == "bypass", p == "timeout", p == "broken", p == "cancel", p == "wrong":
				k.PIN = append(k.PIN, p)
			default:
				k.PIN = append(k.PIN, "wrong")
			}
		}
		if len(k.PIN) == 0 {
			k.PIN = []string{"bypass"} // an empty pad bypasses every prompt
		}
	} else {
		require.Nil(t, term.PINPad, "only pinPad can be recorded")
	}

	rec := &randomLog{r: cfg.Rand}
	rcfg := *cfg
	rcfg.Rand = rec
	rcfg.Time = func() time.Time { return at }
	rterm := *term
	var host *hostLog
	if term.Host != nil {
		host = &hostLog{h: term.Host}
		rterm.Host = host
	}
	var sel *selectorLog
	if term.Selector != nil {
		sel = &selectorLog{s: term.Selector}
		rterm.Selector = sel
	}
	var log *logLog
	if term.TransactionLog != nil {
		log = &logLog{l: term.TransactionLog, day: at.Format("060102")}
		rterm.TransactionLog = log
	}
	var listed []string
	if term.ExceptionFile != nil {
		rterm.ExceptionFile = func(pan, psn []byte) bool {
			on := term.ExceptionFile(pan, psn)
			if on {
				listed = append(listed, bcdDigits(pan))
			}
			return on
		}
	}

	recorder := apdu.NewRecorder(card)
	res, err := emv.Run(context.Background(), recorder, &rcfg, txn, &rterm)
	require.NotNil(t, res)

	k.Random = hex.EncodeToString(rec.got)
	k.Random = strings.ToUpper(k.Random)
	if host != nil && host.resp != nil {
		r := host.resp
		k.Host = &kernelHost{Approved: r.Approved, ARC: r.ARC, IssuerAuthData: hexOf(r.IssuerAuthData), Scripts: hexOf(r.Scripts)}
	}
	var offered [][]string
	if sel != nil {
		k.Choose = sel.picks
		if k.Choose == nil {
			k.Choose = []string{}
		}
		confirm := false
		if s, ok := term.Selector.(*selector); ok {
			confirm = s.confirm
		}
		k.Confirm = &confirm
		offered = sel.offered
	}
	if log != nil {
		k.TransactionLog = log.got
	}
	k.ExceptionFile = listed
	k.Expect = expectOf(t, res, err, offered)

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
		what, commands(res.Trace), ends, res.TVR, res.TSI, res.CVMResults[:])
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
				if !slices.Contains([]string{"wrong", "bypass", "timeout", "broken", "cancel"}, p) {
					assert.Equal(t, "1234", p, "only the test cards' reference PIN may be written")
				}
			}
			rp := apdu.NewReplay(sess, apdu.ReplayStrict)
			res, runErr, sel := k.runKernel(t, rp)
			k.Expect.check(t, res, runErr, sel)
			assert.Zero(t, rp.Remaining(), "recorded exchanges the kernel did not send")
			assert.NoError(t, rp.Close())
		})
	}
}
