package emv_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockingHost answers nothing until the context ends (honour) or until
// the test ends (it ignores its context). cancel, if set, is called as
// the request arrives: the context then ends with the host outstanding.
type blockingHost struct {
	honour  bool
	cancel  context.CancelFunc
	release chan struct{}
	asked   chan struct{}
	once    sync.Once
}

func (h *blockingHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	h.once.Do(func() { close(h.asked) })
	if h.cancel != nil {
		h.cancel()
	}
	if h.honour {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	<-h.release
	return &emv.OnlineResponse{Approved: true, ARC: "00"}, nil
}

// slowHost answers after a delay, within the context.
type slowHost struct {
	delay time.Duration
	resp  emv.OnlineResponse
}

func (h *slowHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	time.Sleep(h.delay)
	r := h.resp
	return &r, nil
}

// echoHost sends back the request's field 55 in the place of scripts or
// of the Issuer Authentication Data: nonsense of the right shape (BER-TLV)
// in the wrong field.
type echoHost struct{ asIssuerAuthData bool }

func (h echoHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r := &emv.OnlineResponse{Approved: true, ARC: "00"}
	if h.asIssuerAuthData {
		r.IssuerAuthData = req.ICCData
	} else {
		r.Scripts = req.ICCData
	}
	return r, nil
}

// scribblingHost is an issuer host that keeps the request and its answer
// and, from the first command the kernel sends after it answered, writes
// over every byte string of both and turns its decision round: a host
// that reuses its buffers.
type scribblingHost struct {
	issuerHost
	req      *emv.OnlineRequest
	resp     *emv.OnlineResponse
	sent91   []byte // a copy of the 91 it answered
	scribble bool
}

func (h *scribblingHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	resp, err := h.issuerHost.Authorise(ctx, req)
	if err != nil {
		return nil, err
	}
	h.req, h.resp = req, resp
	h.sent91 = bytes.Clone(resp.IssuerAuthData)
	return resp, nil
}

func (h *scribblingHost) scribbleNow([]byte) {
	if !h.scribble || h.resp == nil {
		return
	}
	for _, b := range [][]byte{h.req.ICCData, h.req.AID, h.req.PANSequence, h.resp.IssuerAuthData, h.resp.Scripts} {
		for i := range b {
			b[i] = 0xFF
		}
	}
	h.resp.Approved = !h.resp.Approved
}

// Hostile hosts: whatever the host answers (or fails to answer), the
// kernel ends in an outcome of the books or a typed error, holds none of
// the host's bytes beyond the bounds, and sends the second GENERATE AC
// wherever the books say it is sent:
//   - a host that fails, times out or answers nothing usable (an ARC that
//     is not an 2, a 91 outside b 8-16, Book 3 Annex A) is "unable to go
//     online": default action analysis (Book 3 §10.7), second GENERATE AC
//     with Z3 (the default codes match "floor limit exceeded") (Book 4
//     Annex A6);
//   - scripts are bounded (Book 3 §10.10: at least 128 bytes taken; this
//     terminal takes 1024 bytes, 16 scripts, 32 commands a script);
//     those that go over or cannot be parsed are not performed and set
//     the TVR bit of their side of the final GENERATE AC;
//   - a context that ends while the host works terminates the
//     transaction at once, whether or not the host listens to it.
//
// visa-cda, 200.00 over a floor limit of 100.00: an ARQC after cdaHead.
// Each row runs through Run and through a Session with the same
// Terminal.
func TestHostileHosts(t *testing.T) {
	const (
		unable   = cdaHead + " GAC90 GAC00" // second GENERATE AC, AAC
		approved = cdaHead + " GAC90 GAC50" // second GENERATE AC, TC with CDA
		stopped  = cdaHead + " GAC90"       // no second GENERATE AC
	)
	badMAC := mustHex("86" + "0E" + "84DA9F1409" + "03" + "0102030405060708") // PUT DATA 9F14, wrong MAC
	script := func(tag byte, cmds ...[]byte) []byte {
		v := bytes.Join(cmds, nil)
		return append([]byte{tag, byte(len(v))}, v...)
	}
	oneMiB := bytesRepeat(script(0x71, badMAC), (1<<20)/(2+len(badMAC))+1)
	issuerScripts := scriptsRule(
		emvtest.Script{Template: 0x71, Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{5})}},
		emvtest.Script{Template: 0x72, Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
	)
	answer := func(r emv.OnlineResponse) func(*testing.T, *emvtest.Card) emv.Host {
		return func(*testing.T, *emvtest.Card) emv.Host { return &fakeHost{resp: &r} }
	}
	failing := func(err error) func(*testing.T, *emvtest.Card) emv.Host {
		return func(*testing.T, *emvtest.Card) emv.Host { return &fakeHost{err: err} }
	}
	ok := func(r emv.OnlineResponse) emv.OnlineResponse { r.Approved, r.ARC = true, "00"; return r }

	tests := []struct {
		name string
		host func(*testing.T, *emvtest.Card) emv.Host
		// ctx, if set, makes the context of the run; the host may end it.
		ctx func(*testing.T, emv.Host) context.Context
		// scribble: the host writes over what it gave and got once it
		// answered.
		scribble bool
		outcome  emv.Outcome
		wantErr  []error // matched with errors.Is; nil: no error
		arc      string  // the ARC the kernel used ("" when terminated)
		cmds     string  // the exact commands; their count is checked too
		tvr, tsi string
		results  string // Issuer Script Results 9F5B
		maxAlloc uint64 // bytes allocated by the run, the virtual card's included
	}{
		// Errors and timeouts: unable to go online (Book 3 §10.9).
		{name: "ErrUnableToGoOnline", host: failing(emv.ErrUnableToGoOnline),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ConnectionRefused", host: failing(errors.New("host: connection refused")),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "HostsOwnTimeout", host: failing(context.DeadlineExceeded),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "NoAnswerNoError", host: func(*testing.T, *emvtest.Card) emv.Host { return &fakeHost{} },
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ApprovalWithAnError_ErrorWins", host: func(*testing.T, *emvtest.Card) emv.Host {
			return &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00"}, err: errors.New("host: late reply")}
		}, outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "SlowWithinTheContext", host: func(*testing.T, *emvtest.Card) emv.Host {
			return &slowHost{delay: 20 * time.Millisecond, resp: ok(emv.OnlineResponse{})}
		}, ctx: func(t *testing.T, _ emv.Host) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			t.Cleanup(cancel)
			return ctx
		}, outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008000", tsi: "E800"},
		// The terminal cancels: terminated, nothing more to the card.
		{name: "ErrCancelled", host: failing(emv.ErrCancelled),
			outcome: emv.Terminated, wantErr: []error{emv.ErrCancelled}, cmds: stopped, tvr: "0000008000", tsi: "E800"},
		// The context ends while the host works.
		{name: "HonoursItsContext", host: blocking(true), ctx: cancelledByHost,
			outcome: emv.Terminated, wantErr: []error{context.Canceled}, cmds: stopped, tvr: "0000008000", tsi: "E800"},
		{name: "IgnoresItsContext_Cancelled", host: blocking(false), ctx: cancelledByHost,
			outcome: emv.Terminated, wantErr: []error{emv.ErrHostAbandoned, context.Canceled}, cmds: stopped, tvr: "0000008000", tsi: "E800"},
		{name: "IgnoresItsContext_Deadline", host: blocking(false), ctx: func(t *testing.T, _ emv.Host) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			t.Cleanup(cancel)
			return ctx
		}, outcome: emv.Terminated, wantErr: []error{emv.ErrHostAbandoned, context.DeadlineExceeded}, cmds: stopped, tvr: "0000008000", tsi: "E800"},
		{name: "IgnoresItsContext_CancelledLater", host: blocking(false), ctx: func(t *testing.T, h emv.Host) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			go func() {
				<-h.(*blockingHost).asked
				time.Sleep(20 * time.Millisecond)
				cancel()
			}()
			return ctx
		}, outcome: emv.Terminated, wantErr: []error{emv.ErrHostAbandoned, context.Canceled}, cmds: stopped, tvr: "0000008000", tsi: "E800"},
		// Issuer Authentication Data 91: b 8-16 (Book 3 Annex A).
		{name: "IssuerAuthDataOf0Bytes_Absent", host: answer(ok(emv.OnlineResponse{IssuerAuthData: []byte{}})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf7Bytes", host: answer(ok(emv.OnlineResponse{IssuerAuthData: make([]byte, 7)})),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf17Bytes", host: answer(ok(emv.OnlineResponse{IssuerAuthData: make([]byte, 17)})),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf4000Bytes", host: answer(ok(emv.OnlineResponse{IssuerAuthData: make([]byte, 4000), Scripts: script(0x71, badMAC)})),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf16BytesOfJunk_IssuerAuthenticationFailed", host: answer(ok(emv.OnlineResponse{IssuerAuthData: bytes.Repeat([]byte{0x5A}, 16)})),
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA GAC50", tvr: "0000008040", tsi: "F800"},
		{name: "IssuersARPC", host: func(_ *testing.T, c *emvtest.Card) emv.Host { return &issuerHost{iss: emvtest.IssuerFor(c)} },
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA GAC50", tvr: "0000008000", tsi: "F800"},
		// Authorisation Response Code 8A: an 2 (Book 3 Annex A, §4.3).
		{name: "ARCOf1Byte", host: answer(emv.OnlineResponse{Approved: true, ARC: "0"}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ARCOf3Bytes", host: answer(emv.OnlineResponse{Approved: true, ARC: "000"}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ARCEmpty", host: answer(emv.OnlineResponse{Approved: true}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ARCOfBinaryBytes", host: answer(emv.OnlineResponse{Approved: true, ARC: "\xFF\xFE"}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ARCOneUTF8Letter", host: answer(emv.OnlineResponse{Approved: true, ARC: "é"}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		{name: "ARCWithAMinus", host: answer(emv.OnlineResponse{Approved: true, ARC: "-1"}),
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		// Scripts (Book 3 §10.10).
		{name: "ScriptsOf1MiB_NoneKeptNorPerformed", host: answer(ok(emv.OnlineResponse{Scripts: oneMiB})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008020", tsi: "E800", maxAlloc: 256 << 10,
			// Each of the first 16 scripts is reported not performed.
			results: strings.Repeat("0000000000", 16)},
		// Over the bound with both templates: nothing performed, each
		// script reported with its own identifier and each template's
		// bit set (Book 3 §10.10).
		{name: "ScriptsOver1KiBOfBothTemplates_EachReportedNotPerformed", host: answer(ok(emv.OnlineResponse{Scripts: bytes.Join([][]byte{
			scriptOf(0x71, append(mustHex("9F18 04 11111111"), badMAC...)),
			scriptOf(0x72, append(mustHex("9F18 04 22222222"), bytesRepeat(badMAC, 80)...)),
		}, nil)})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008030", tsi: "E800",
			results: "0011111111" + "0022222222"},
		{name: "17Scripts_16Performed", host: answer(ok(emv.OnlineResponse{Scripts: bytesRepeat(script(0x72, badMAC), 17)})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved + strings.Repeat(" 84DA", 16), tvr: "0000008010", tsi: "EC00",
			results: strings.Repeat("1100000000", 16)},
		{name: "ScriptOf33Commands_NotPerformed", host: answer(ok(emv.OnlineResponse{Scripts: scriptOf(0x71, bytesRepeat(mustHex("8605 8020000000"), 33))})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008020", tsi: "E800", results: "0000000000"},
		{name: "ScriptTruncated", host: answer(ok(emv.OnlineResponse{Scripts: mustHex("71 0C 9F18 04 11223344 86 05 8020")})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008030", tsi: "E800"},
		{name: "ScriptLengthOverflow", host: answer(ok(emv.OnlineResponse{Scripts: mustHex("71 84 FFFFFFFF 86")})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008030", tsi: "E800"},
		{name: "ScriptOfAnEmptyCommand_NotPerformed", host: answer(ok(emv.OnlineResponse{Scripts: mustHex("71 09 9F18 04 11223344 86 00")})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008020", tsi: "E800", results: "0011223344"},
		{name: "ScriptsOfNoKnownTemplate_Ignored", host: answer(ok(emv.OnlineResponse{Scripts: mustHex("73 07 86 05 8020000000 9F18 04 11223344")})),
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008000", tsi: "E800"},
		// Field 55 sent back where it does not belong.
		{name: "Field55AsScripts_Ignored", host: func(*testing.T, *emvtest.Card) emv.Host { return echoHost{} },
			outcome: emv.OnlineApproved, arc: "00", cmds: approved, tvr: "0000008000", tsi: "E800"},
		{name: "Field55AsIssuerAuthData", host: func(*testing.T, *emvtest.Card) emv.Host { return echoHost{asIssuerAuthData: true} },
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: unable, tvr: "0000008000", tsi: "E800"},
		// A host that reuses its buffers once it has answered changes
		// nothing: the same commands, 91 and results as an honest one.
		{name: "IssuerWithScripts", host: scriptedIssuer(issuerScripts),
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA 84DA GAC50 8424", tvr: "0000008000", tsi: "FC00",
			results: "2000000000" + "2000000000"},
		{name: "IssuerWithScripts_ScribblesOnRequestAndAnswer", host: scriptedIssuer(issuerScripts), scribble: true,
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA 84DA GAC50 8424", tvr: "0000008000", tsi: "FC00",
			results: "2000000000" + "2000000000"},
	}
	for _, tt := range tests {
		for _, session := range []bool{false, true} {
			name := tt.name + "/Run"
			if session {
				name = tt.name + "/Session"
			}
			t.Run(name, func(t *testing.T) {
				card := emvtest.NewCard(visaCDA())
				cfg := testConfig(t, card)
				host := tt.host(t, card)
				if b, ok := host.(*blockingHost); ok {
					t.Cleanup(func() { close(b.release) })
				}
				var link apdu.Transceiver = card
				sh, _ := host.(*scribblingHost)
				if sh != nil {
					sh.scribble = tt.scribble
					link = &hookedCard{card: card, before: sh.scribbleNow}
				}
				ctx := context.Background()
				if tt.ctx != nil {
					ctx = tt.ctx(t, host)
				}
				term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: host}
				var (
					res *emv.Result
					err error
				)
				start := time.Now()
				txn := emv.Transaction{Amount: 20000}
				alloc := allocated(func() {
					if !session {
						res, err = emv.Run(ctx, link, cfg, txn, term)
						return
					}
					// The step API with the same Terminal: it has every
					// part, so the flow asks for nothing.
					s := emv.Start(ctx, link, cfg, &txn, term)
					defer s.Close()
					req, done := s.Next()
					require.Nil(t, req, "a request from a session with a whole Terminal")
					res, err = done.Result, done.Err
				})
				assert.Less(t, time.Since(start), 30*time.Second, "the kernel waited for a host past its context")
				require.NotNil(t, res)
				if tt.wantErr == nil {
					require.NoError(t, err)
				} else {
					for _, w := range tt.wantErr {
						require.ErrorIs(t, err, w)
					}
					var te *emv.TerminatedError
					require.ErrorAs(t, err, &te)
					assert.Equal(t, emv.StepOnlineProcessing, te.Step)
					assert.Same(t, te, res.Terminated)
					assert.True(t, strings.HasPrefix(err.Error(), "emv: "), err.Error())
				}
				assert.Equal(t, tt.outcome, res.Outcome)
				assert.Equal(t, tt.cmds, res.Trace.Compact())
				assert.Equal(t, len(strings.Fields(tt.cmds)), card.Commands(), "commands the card received")
				assert.Equal(t, tt.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
				assert.Equal(t, tt.tsi, hexOf(res.TSI[:]), "TSI")
				assert.Equal(t, tt.results, hexOf(res.ScriptResults), "9F5B")
				if tt.arc != "" {
					assert.Equal(t, tt.arc, res.ARC)
					// CDOL2 starts with 8A: the ARC the card was given is
					// the one the terminal used.
					assert.Equal(t, tt.arc, string(lastGenerateACData(t, res.Trace)[:2]), "ARC in the CDOL2 data")
				}
				assert.Equal(t, "A0000000031010", hexOf(res.AID))
				if sh != nil {
					// EXTERNAL AUTHENTICATE carried the 91 the host sent,
					// not what the host wrote over it afterwards.
					for _, e := range res.Trace {
						if c, err := apdu.ParseCommand(e.Command); err == nil && c.INS == apdu.InsExternalAuthenticate {
							assert.Equal(t, hexOf(sh.sent91), hexOf(c.Data))
						}
					}
				}
				maxAlloc := tt.maxAlloc
				if maxAlloc == 0 {
					maxAlloc = 256 << 10
				}
				assert.LessOrEqual(t, alloc, maxAlloc, "bytes allocated")
				t.Logf("allocated %d bytes", alloc)
			})
		}
	}
}

// blocking makes a blockingHost.
func blocking(honour bool) func(*testing.T, *emvtest.Card) emv.Host {
	return func(*testing.T, *emvtest.Card) emv.Host {
		return &blockingHost{honour: honour, release: make(chan struct{}), asked: make(chan struct{})}
	}
}

// cancelledByHost is a context the host cancels as its request arrives.
func cancelledByHost(t *testing.T, h emv.Host) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h.(*blockingHost).cancel = cancel
	return ctx
}

// scriptedIssuer is a scribblingHost over the card's issuer with rule.
func scriptedIssuer(rule emvtest.Rule) func(*testing.T, *emvtest.Card) emv.Host {
	return func(_ *testing.T, c *emvtest.Card) emv.Host {
		iss := emvtest.IssuerFor(c)
		iss.SetRule(rule)
		return &scribblingHost{issuerHost: issuerHost{iss: iss}}
	}
}

// scriptOf wraps v in a template of tag with a two-byte length (81 xx or
// 82 xxxx), for scripts over 127 bytes.
func scriptOf(tag byte, v []byte) []byte {
	if len(v) < 0x100 {
		return append([]byte{tag, 0x81, byte(len(v))}, v...)
	}
	return append([]byte{tag, 0x82, byte(len(v) >> 8), byte(len(v))}, v...)
}

// TestRecordAnswersAbandonedHostKeepsNothing: a Host that ignores its
// context answers on its own goroutine after Run has returned with
// ErrHostAbandoned. The recording seam must neither race with Answers
// (run under -race) nor keep that answer, which the transaction never
// used: a replay of the recording would otherwise go online with it.
func TestRecordAnswersAbandonedHostKeepsNothing(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	cfg := testConfig(t, card)
	host := &blockingHost{release: make(chan struct{}), asked: make(chan struct{})}
	ctx := cancelledByHost(t, host)
	rcfg, rterm, log := emv.RecordAnswers(cfg, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: host})
	res, err := emv.Run(ctx, card, rcfg, emv.Transaction{Amount: 20000}, rterm)
	require.ErrorIs(t, err, emv.ErrHostAbandoned)
	assert.Equal(t, emv.Terminated, res.Outcome)

	close(host.release) // the host answers now, approved, on its goroutine
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		assert.Nil(t, log.Answers().Host, "the abandoned host's late answer was kept")
		time.Sleep(time.Millisecond)
	}
}
