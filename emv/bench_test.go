package emv_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// timedCard measures the time spent inside the card, so the benchmark can
// report the kernel's own share.
type timedCard struct {
	card *emvtest.Card
	ns   atomic.Int64
}

func (c *timedCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	start := time.Now()
	r, err := c.card.Transmit(ctx, cmd)
	c.ns.Add(int64(time.Since(start)))
	return r, err
}

// benchOnlineCDA runs the whole CDA transaction of visa-cda online with
// the virtual issuer answering an ARPC and scripts 71 and 72: SELECT PSE
// to the last script command, 19 commands. delay is added to every card
// answer, as a real card and reader take time. It reports the time spent
// in the card and in the issuer, and what is left: the kernel's.
func benchOnlineCDA(b *testing.B, delay time.Duration) {
	card := emvtest.NewCard(visaCDA())
	if delay > 0 {
		card.SetDelay(delay)
	}
	iss := emvtest.IssuerFor(card)
	iss.SetRule(scriptsRule(
		emvtest.Script{Template: 0x71, ID: mustHex("11223344"), Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{5})}},
		emvtest.Script{Template: 0x72, ID: mustHex("55667788"), Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
	))
	host := &timedHost{h: &issuerHost{iss: iss}}
	tc := &timedCard{card: card}
	cfg := testConfig(b, card)
	pad := &pinPad{}
	term := &emv.Terminal{PINPad: pad, Host: host}
	txn := emv.Transaction{Amount: 20000}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		pad.pins = []string{"1234"}
		host.h.reqs = host.h.reqs[:0]
		res, err := emv.Run(ctx, tc, cfg, txn, term)
		if err != nil || res.Outcome != emv.OnlineApproved || len(res.Trace) != 19 {
			b.Fatalf("outcome %v, %d commands, err %v", res.Outcome, len(res.Trace), err)
		}
	}
	total := time.Since(start)
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tc.ns.Load())/n, "card-ns/op")
	b.ReportMetric(float64(host.ns)/n, "issuer-ns/op")
	kernel := float64(total.Nanoseconds()-tc.ns.Load()-host.ns) / n
	b.ReportMetric(kernel, "kernel-ns/op")
	b.ReportMetric(100*kernel/(float64(total.Nanoseconds())/n), "kernel-%")
}

type timedHost struct {
	h  *issuerHost
	ns int64
}

func (t *timedHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	start := time.Now()
	r, err := t.h.Authorise(ctx, req)
	t.ns += int64(time.Since(start))
	return r, err
}

// BenchmarkTransactionCDAOnline is the whole online CDA transaction on
// the zero-latency virtual card.
func BenchmarkTransactionCDAOnline(b *testing.B) { benchOnlineCDA(b, 0) }

// BenchmarkTransactionCDAOnlineDelayed is the same with every card answer
// delayed 5 ms, about what a contact card at 115200 bit/s with its own
// processing takes per command.
func BenchmarkTransactionCDAOnlineDelayed(b *testing.B) { benchOnlineCDA(b, 5*time.Millisecond) }

// replayHost answers with a recorded issuer response.
type replayHost struct{ resp *emv.OnlineResponse }

func (h replayHost) Authorise(context.Context, *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	return h.resp, nil
}

// BenchmarkTransactionCDAOnlineReplay is the same online CDA transaction
// with scripts replayed from a recording: card and issuer cost nothing,
// so ns/op and allocs/op are the kernel's (and the replay's lookups).
func BenchmarkTransactionCDAOnlineReplay(b *testing.B) {
	benchReplay(b, context.Background())
}

// BenchmarkTransactionCDAOnlineReplayCancellable is the replay under a
// context that can end, as a terminal with a timeout passes: the kernel
// then watches it while each command is out (a goroutine a command), so
// that a card that ignores the context cannot hang the transaction.
func BenchmarkTransactionCDAOnlineReplayCancellable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchReplay(b, ctx)
}

func benchReplay(b *testing.B, ctx context.Context) {
	card := emvtest.NewCard(visaCDA())
	iss := emvtest.IssuerFor(card)
	iss.SetRule(scriptsRule(
		emvtest.Script{Template: 0x71, ID: mustHex("11223344"), Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{5})}},
		emvtest.Script{Template: 0x72, ID: mustHex("55667788"), Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
	))
	h := &issuerHost{iss: iss}
	rec := &recordingHost{h: h}
	cfg := testConfig(b, card)
	pad := &pinPad{pins: []string{"1234"}}
	txn := emv.Transaction{Amount: 20000}
	res, err := emv.Run(context.Background(), card, cfg, txn, &emv.Terminal{PINPad: pad, Host: rec})
	if err != nil || res.Outcome != emv.OnlineApproved {
		b.Fatalf("recording: %v %v", res.Outcome, err)
	}
	sess := res.Trace.Session("bench", "online CDA with scripts")
	term := &emv.Terminal{PINPad: pad, Host: replayHost{rec.resp}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pad.pins = []string{"1234"}
		rp := apdu.NewReplay(sess, apdu.ReplayStrict)
		res, err := emv.Run(ctx, rp, cfg, txn, term)
		if err != nil || res.Outcome != emv.OnlineApproved {
			b.Fatalf("replay: %v %v", res.Outcome, err)
		}
	}
}

// recordingHost keeps the last response of the host it wraps.
type recordingHost struct {
	h    emv.Host
	resp *emv.OnlineResponse
}

func (r *recordingHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	resp, err := r.h.Authorise(ctx, req)
	r.resp = resp
	return resp, err
}
