package emv_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyRecords is visa-cda with n more records in SFI 11 onwards (255 a
// file), every one flagged for offline data authentication, each the raw
// bytes body: the AFL names them all.
func manyRecords(n int, body []byte) *emvtest.Profile {
	p := visaCDA()
	for i := range n {
		p.Applications[0].Records = append(p.Applications[0].Records, emvtest.Record{
			SFI: 11 + i/255, Number: 1 + i%255, ODA: true, Data: body, Raw: true,
		})
	}
	return p
}

// onProprietaryRecord matches READ RECORD of SFI 11 to 30.
func onProprietaryRecord(c apdu.Command) bool {
	return c.INS == apdu.InsReadRecord && c.P2>>3 >= 11
}

// allocated runs f and returns the bytes it allocated (runtime.MemStats
// TotalAlloc: everything, the virtual card's copies included).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// dataBytes is the response data of every exchange of a trace.
func dataBytes(tr emv.Trace) []int {
	out := make([]int, len(tr))
	for i, e := range tr {
		out[i] = max(len(e.Response)-2, 0)
	}
	return out
}

// Hostile cards: whatever a card answers, the kernel holds a bounded
// amount of it, sends a bounded number of commands and ends in an outcome
// or a typed error that says what and where. Book 3 §10.2: a response
// not formatted as the books require terminates the transaction; an
// answer longer than the short Le the kernel sent asked for is one
// (ISO 7816-4 §5.1: Ne at most 256).
func TestHostileCards(t *testing.T) {
	big := make([]byte, 64<<10)
	tests := []struct {
		name  string
		card  func() *emvtest.Card
		setup func(*emvtest.Card)
		// wantErr, if set, is matched with errors.Is; outcome is checked
		// either way.
		wantErr  []error
		step     emv.Step
		outcome  emv.Outcome
		commands int    // sent by the card's count, T=0 rounds included
		trace    int    // in the trace, when not commands (T=0 rounds are not)
		maxAlloc uint64 // bytes allocated by the whole run
		check    func(t *testing.T, res *emv.Result, err error)
	}{
		{
			// The probe's card: 64 KiB to each of 512 record reads. The
			// first stops the transaction, before anything keeps it.
			name: "64KiBToEachOf512RecordReads",
			card: func() *emvtest.Card { return emvtest.NewCard(manyRecords(512, []byte{0x00})) },
			setup: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: onProprietaryRecord, Corrupt: emvtest.ReplaceData, Value: big})
			},
			wantErr:  []error{emv.ErrCardData, apdu.ErrResponseTooLong},
			step:     emv.StepReadApplicationData,
			outcome:  emv.Terminated,
			commands: 10, // SEL RR RR SEL GPO RR RR RR RR, then the first of SFI 11
			maxAlloc: 512 << 10,
			check: func(t *testing.T, res *emv.Result, err error) {
				var te *apdu.T0Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "READ RECORD", te.Command.Name())
				assert.Equal(t, byte(11<<3|4), te.Command.P2)
				assert.Equal(t, 65536, te.Length)
				assert.Equal(t, 256, te.Limit)
				assert.Equal(t, "emv: transaction terminated in read application data: READ RECORD answered more than the kernel accepts: "+
					"emv: card data malformed: apdu: T=0: READ RECORD: response too long (0 rounds, 65536 data bytes, limit 256)", err.Error())
				last := res.Trace[len(res.Trace)-1]
				assert.Nil(t, last.Response, "the oversized answer is not in the trace")
				assert.ErrorIs(t, last.Err, apdu.ErrResponseTooLong)
			},
		},
		{
			name: "257BytesToARecordRead",
			card: func() *emvtest.Card { return emvtest.NewCard(manyRecords(1, []byte{0x00})) },
			setup: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: onProprietaryRecord, Corrupt: emvtest.ReplaceData, Value: big[:257]})
			},
			wantErr:  []error{emv.ErrCardData, apdu.ErrResponseTooLong},
			step:     emv.StepReadApplicationData,
			outcome:  emv.Terminated,
			commands: 10,
			maxAlloc: 64 << 10,
		},
		{
			// 256 bytes is a full short answer: accepted, the transaction
			// goes on (ODA fails on the records that are not 70
			// templates: the card declines offline at GENERATE AC).
			name: "256BytesToARecordRead_Accepted",
			card: func() *emvtest.Card { return emvtest.NewCard(manyRecords(1, []byte{0x00})) },
			setup: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: onProprietaryRecord, Corrupt: emvtest.ReplaceData, Value: big[:256]})
			},
			outcome:  emv.OnlineApproved,
			commands: 14, // SEL RR RR SEL GPO RR RR RR RR RR GD9F36 GD9F13 GAC80 GAC40
			maxAlloc: 64 << 10,
		},
		{
			// Full answers to every one of 512 records: each is allowed,
			// their sum is not. The transaction stops at the answer that
			// passes 32 KiB.
			name:     "FullAnswersTo512Records_TransactionTotal",
			card:     func() *emvtest.Card { return emvtest.NewCard(manyRecords(512, big[:250])) },
			wantErr:  []error{emv.ErrCardData, apdu.ErrResponseTooLong},
			step:     emv.StepReadApplicationData,
			outcome:  emv.Terminated,
			commands: 9 + 129,
			maxAlloc: 384 << 10,
			check: func(t *testing.T, res *emv.Result, err error) {
				n := dataBytes(res.Trace)
				total := 0
				for _, b := range n {
					total += b
				}
				assert.Greater(t, total, 32<<10)
				assert.LessOrEqual(t, total-n[len(n)-1], 32<<10, "stopped at the first answer over the limit")
				assert.ErrorContains(t, err, "READ RECORD: the card's answers reach")
			},
		},
		{
			// T=0: 61xx rounds that add up past one full answer.
			name: "GetResponseRoundsPast256Bytes",
			card: func() *emvtest.Card { return emvtest.NewCard(manyRecords(1, []byte{0x00})) },
			setup: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: onProprietaryRecord, SW: 0x6100, Corrupt: emvtest.ReplaceData, Value: nil})
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetResponse), SW: 0x6100, Corrupt: emvtest.ReplaceData, Value: big[:200]})
			},
			wantErr:  []error{emv.ErrCardData, apdu.ErrResponseTooLong},
			step:     emv.StepReadApplicationData,
			outcome:  emv.Terminated,
			commands: 12, // the READ RECORD and two GET RESPONSE rounds
			trace:    10,
			maxAlloc: 64 << 10,
			check: func(t *testing.T, res *emv.Result, err error) {
				var te *apdu.T0Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "READ RECORD", te.Command.Name())
				assert.Equal(t, 2, te.Rounds)
				assert.Equal(t, 400, te.Length)
				assert.Equal(t, 256, te.Limit)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := tt.card()
			cfg := testConfig(t, card)
			if tt.setup != nil {
				tt.setup(card)
			}
			term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()}
			var res *emv.Result
			var err error
			n := allocated(func() {
				res, err = emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 20000}, term)
			})
			require.NotNil(t, res)
			assert.Equal(t, tt.outcome, res.Outcome)
			assert.Equal(t, tt.commands, card.Commands(), "commands the card received")
			trace := tt.commands
			if tt.trace != 0 {
				trace = tt.trace
			}
			assert.Equal(t, trace, len(res.Trace), "commands in the trace")
			t.Logf("%d bytes allocated, %d commands", n, card.Commands())
			assert.LessOrEqual(t, n, tt.maxAlloc, "bytes allocated")
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				var te *emv.TerminatedError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, tt.step, te.Step)
				for _, w := range tt.wantErr {
					assert.ErrorIs(t, err, w)
				}
			}
			if tt.check != nil {
				tt.check(t, res, err)
			}
		})
	}
}

// stallingCard passes commands to a virtual card until one that stall
// matches: that one blocks, its context ignored, until release is closed.
// stalled is closed when it starts blocking.
type stallingCard struct {
	card    *emvtest.Card
	stall   func(apdu.Command) bool
	stalled chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func newStallingCard(t *testing.T, card *emvtest.Card, stall func(apdu.Command) bool) *stallingCard {
	s := &stallingCard{card: card, stall: stall, stalled: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *stallingCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	s.calls.Add(1)
	if c, err := apdu.ParseCommand(cmd); err == nil && s.stall(c) {
		close(s.stalled)
		<-s.release // ignores ctx
		return nil, errors.New("released")
	}
	return s.card.Transmit(ctx, cmd)
}

// A Transceiver that ignores its context cannot hang Run: when the
// context ends, Run returns a *TerminatedError at once, and the card link
// is abandoned (ErrCardLinkAbandoned): nothing more is sent through it.
func TestRunStopsWaitingForACardThatIgnoresItsContext(t *testing.T) {
	for _, tt := range []struct {
		name   string
		end    func(cancel context.CancelFunc) // how the context ends
		ctxErr error
	}{
		{"cancelled", func(cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deadline", nil, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			cfg := testConfig(t, card)
			stalling := newStallingCard(t, card, func(c apdu.Command) bool { return c.INS == apdu.InsGenerateAC })
			var ctx context.Context
			var cancel context.CancelFunc
			if tt.end == nil {
				ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			type ran struct {
				res *emv.Result
				err error
				at  time.Time
			}
			done := make(chan ran, 1)
			go func() {
				term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()}
				res, err := emv.Run(ctx, stalling, cfg, emv.Transaction{Amount: 20000}, term)
				done <- ran{res, err, time.Now()}
			}()
			<-stalling.stalled
			ended := time.Now()
			if tt.end != nil {
				tt.end(cancel)
			} else {
				<-ctx.Done()
			}
			var r ran
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run still waits for the card")
			}
			assert.Less(t, r.at.Sub(ended), time.Second+300*time.Millisecond, "Run returned once the context ended")
			var te *emv.TerminatedError
			require.ErrorAs(t, r.err, &te)
			assert.Equal(t, emv.StepTerminalActionAnalysis, te.Step)
			assert.ErrorIs(t, r.err, tt.ctxErr)
			assert.ErrorIs(t, r.err, emv.ErrCardLinkAbandoned)
			assert.ErrorContains(t, r.err, "GENERATE AC got no answer before the context ended")
			assert.Equal(t, emv.Terminated, r.res.Outcome)
			assert.Equal(t, cdaHead+" GAC90", r.res.Trace.Compact())
			assert.Nil(t, r.res.Trace[len(r.res.Trace)-1].Response)
			assert.Equal(t, int32(len(r.res.Trace)), stalling.calls.Load(), "nothing sent after the stalled command")
		})
	}
}

// The same for a Session: closing it (or ending its context) while the
// card stalls ends the flow at once, and Next reports the termination.
func TestSessionStopsWaitingForACardThatIgnoresItsContext(t *testing.T) {
	for _, how := range []string{"close", "cancel"} {
		t.Run(how, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			cfg := testConfig(t, card)
			stalling := newStallingCard(t, card, func(c apdu.Command) bool { return c.INS == apdu.InsReadRecord && c.P2>>3 == 2 })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := emv.Start(ctx, stalling, cfg, &emv.Transaction{Amount: 20000}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()})
			<-stalling.stalled
			returned := make(chan *emv.Done, 1)
			go func() {
				if how == "close" {
					s.Close()
				} else {
					cancel()
				}
				_, d := s.Next()
				returned <- d
			}()
			var d *emv.Done
			select {
			case d = <-returned:
			case <-time.After(5 * time.Second):
				t.Fatal("the Session still waits for the card")
			}
			require.NotNil(t, d)
			var te *emv.TerminatedError
			require.ErrorAs(t, d.Err, &te)
			assert.Equal(t, emv.StepReadApplicationData, te.Step)
			assert.ErrorIs(t, d.Err, context.Canceled)
			assert.ErrorIs(t, d.Err, emv.ErrCardLinkAbandoned)
			assert.Equal(t, emv.Terminated, d.Result.Outcome)
			assert.Equal(t, "SEL RR RR SEL GPO RR RR", d.Result.Trace.Compact())
			s.Close()
		})
	}
}
