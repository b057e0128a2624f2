package pcsc

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
)

// End-to-end tests against a real pcscd with vsmartcard's vpcd driver
// (Debian packages pcscd and vsmartcard-vpcd). The test plays the card
// (vcard). They run when EMVKIT_PCSC_E2E=1, and then fail if pcscd or the
// reader is missing; .ci/pcsc-e2e.sh starts pcscd and runs them.
// EMVKIT_VPCD_PORT picks the vpcd slot (35963 is "Virtual PCD 00 00",
// 35964 "Virtual PCD 00 01").

// ATRs of the two kinds of card (ISO 7816-3 §8.2).
const (
	// T0 = 02: no interface bytes, so the card speaks T=0 only; two
	// historical bytes, no TCK.
	atrT0 = "3B 02 14 50"
	// T0 = 80: TD1 follows, no historical bytes; TD1 = 01: T=1 only;
	// TCK = 80 XOR 01 = 81.
	atrT1 = "3B 80 01 81"
)

type e2eEnv struct {
	addr   string // the vpcd driver's TCP address
	reader string // its reader name
}

func e2eSetup(t testing.TB) e2eEnv {
	t.Helper()
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("PC/SC end-to-end test: set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh does)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err, "EMVKIT_VPCD_PORT")
		port = n
	}
	env := e2eEnv{
		addr:   fmt.Sprintf("127.0.0.1:%d", port),
		reader: fmt.Sprintf("Virtual PCD 00 %02d", port-35963),
	}
	_, err := os.Stat(SocketPath())
	require.NoError(t, err, "pcscd's socket is missing: is pcscd running?")
	x := establish(t)
	readers, err := x.ListReaders(context.Background())
	require.NoError(t, err, "pcscd lists no reader: is vsmartcard-vpcd installed?")
	require.Contains(t, readers, env.reader, "the vpcd reader is missing")
	// A card left behind by an earlier test must be gone first.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, x.WaitForRemoval(ctx, env.reader), "a card is still in %s", env.reader)
	return env
}

func establish(t testing.TB) *Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	x, err := EstablishContext(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, x.Release()) })
	return x
}

// connect waits for the card in env.reader and connects to it.
func (env e2eEnv) connect(t testing.TB, x *Context) *Card {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := x.WaitForCard(ctx, env.reader)
	require.NoError(t, err)
	require.Equal(t, env.reader, st.Name)
	card, err := x.Connect(ctx, env.reader)
	require.NoError(t, err)
	t.Cleanup(func() { card.Disconnect(context.Background(), LeaveCard) })
	return card
}

func TestE2EListReaders(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	readers, err := x.ListReaders(context.Background())
	require.NoError(t, err)
	assert.Contains(t, readers, env.reader)
	for _, r := range readers {
		assert.NotEmpty(t, r)
		assert.Equal(t, r, stringsTrim(r), "reader names are trimmed")
	}
	states, err := x.ReaderStates(context.Background())
	require.NoError(t, err)
	for _, s := range states {
		if s.Name == env.reader {
			assert.False(t, s.CardPresent(), "no card yet: %s", s.State)
			assert.Empty(t, s.ATR)
		}
	}
}

// Book 1 §9.3.1 and Annex A: a T=0 card answers a case 4 command with 61xx
// and a case 2 command with the wrong Le with 6Cxx; the reader passes both
// up unchanged, and the active protocol's PCI is used (a T=1 PCI on a T=0
// card is SCARD_E_PROTO_MISMATCH).
func TestE2ETransmit(t *testing.T) {
	env := e2eSetup(t)
	const (
		selectPSE  = "00A404000E315041592E5359532E444446303100"
		fci        = "6F1A840E315041592E5359532E4444463031A5088801015F2D02656E"
		readRecLe0 = "00B2010C00"
		readRecLe  = "00B2010C0A"
		record     = "70085A065413330089"
	)
	tests := []struct {
		name     string
		atr      string
		protocol Protocol
		answers  map[string]string
		// exchanges in order: command, expected response
		exchanges [][2]string
	}{
		{
			name: "T=0 ATR", atr: atrT0, protocol: ProtocolT0,
			answers: map[string]string{
				selectPSE:    "611C",
				"00C000001C": fci + "9000",
				readRecLe0:   "6C0A",
				readRecLe:    record + "009000",
			},
			exchanges: [][2]string{
				{selectPSE, "611C"},
				{"00C000001C", fci + "9000"},
				{readRecLe0, "6C0A"},
				{readRecLe, record + "009000"},
				{"80CA9F1700", "6D00"}, // unknown to the card
			},
		},
		{
			name: "T=1 ATR", atr: atrT1, protocol: ProtocolT1,
			answers: map[string]string{
				selectPSE:  fci + "9000",
				readRecLe0: record + "009000",
				// T=1 cards may chain with 61xx too (ISO 7816-4 §5.1.3).
				"80CA9F3600": "6102",
				"00C0000002": "9F3602001A9000",
			},
			exchanges: [][2]string{
				{selectPSE, fci + "9000"},
				{readRecLe0, record + "009000"},
				{"80CA9F3600", "6102"},
				{"00C0000002", "9F3602001A9000"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := establish(t)
			vc := insertCard(t, env, tt.atr, tt.answers)
			card := env.connect(t, x)
			assert.Equal(t, tt.protocol, card.Protocol())
			assert.Equal(t, mustHex(t, tt.atr), card.ATR())
			assert.Equal(t, env.reader, card.Reader())
			ctx := context.Background()
			require.NoError(t, card.BeginTransaction(ctx))
			var sent []string
			for _, ex := range tt.exchanges {
				resp, err := card.Transmit(ctx, mustHex(t, ex[0]))
				require.NoError(t, err, "command %s", ex[0])
				assert.Equal(t, ex[1], hexOf(resp), "response to %s", ex[0])
				sent = append(sent, ex[0])
			}
			require.NoError(t, card.EndTransaction(ctx, LeaveCard))
			assert.Equal(t, sent, vc.received(), "the card got exactly these commands")
			st, err := card.Status(ctx)
			require.NoError(t, err)
			assert.True(t, st.CardPresent())
			assert.Equal(t, tt.protocol, st.Protocol)

			// Why the active protocol matters: pcscd refuses the other
			// protocol's PCI.
			card.mu.Lock()
			card.protocol ^= ProtocolT0 | ProtocolT1
			card.mu.Unlock()
			_, err = card.Transmit(ctx, mustHex(t, tt.exchanges[0][0]))
			assert.ErrorIs(t, err, ErrProtoMismatch, "%v", err)
			assert.NotErrorIs(t, err, apdu.ErrCardRemoved)
		})
	}
}

// apdu's T=0 wrapper over a real reader: one Transmit, two exchanges
// (Book 1 Annex A3/A2).
func TestE2ETransmitThroughT0Wrapper(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	vc := insertCard(t, env, atrT0, map[string]string{
		"00A4040007A000000003101000": "6112",
		"00C0000012":                 "6F10840AA0000000031010A5029F389000",
		"00B2010C00":                 "6C04",
		"00B2010C04":                 "70025A009000",
	})
	card := env.connect(t, x)
	t0 := apdu.NewT0(card)
	ctx := context.Background()
	resp, err := apdu.Exchange(ctx, t0, apdu.Select(mustHex(t, "A0000000031010"), false))
	require.NoError(t, err)
	assert.Equal(t, apdu.SWOK, resp.SW)
	assert.Equal(t, "6F10840AA0000000031010A5029F38", hexOf(resp.Data))
	resp, err = apdu.Exchange(ctx, t0, apdu.ReadRecord(1, 1))
	require.NoError(t, err)
	assert.Equal(t, "70025A00", hexOf(resp.Data))
	assert.Equal(t, []string{"00A4040007A000000003101000", "00C0000012", "00B2010C00", "00B2010C04"}, vc.received())
}

// A card pulled out mid-session (the vpcd connection closed): the next
// exchange fails with an error matching apdu.ErrCardRemoved, and so does
// every later one.
func TestE2ECardRemoved(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	vc := insertCard(t, env, atrT0, map[string]string{"00B2010C00": "70009000"})
	card := env.connect(t, x)
	ctx := context.Background()
	resp, err := card.Transmit(ctx, mustHex(t, "00B2010C00"))
	require.NoError(t, err)
	assert.Equal(t, "70009000", hexOf(resp))

	vc.pull()
	_, err = card.Transmit(ctx, mustHex(t, "00B2010C00"))
	require.Error(t, err)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved, "%v", err)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "transmit", pe.Op)
	assert.Equal(t, env.reader, pe.Reader)
	t.Logf("after the pull: %v", err)

	_, err = card.Transmit(ctx, mustHex(t, "00B2010C00"))
	assert.ErrorIs(t, err, apdu.ErrCardRemoved, "%v", err)
	_, err = card.Status(ctx)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved, "%v", err)

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	assert.NoError(t, x.WaitForRemoval(wctx, env.reader))
	// Connecting now finds no card.
	_, err = x.Connect(ctx, env.reader)
	assert.ErrorIs(t, err, ErrNoSmartcard, "%v", err)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
}

// Two sessions in a row with two cards, on one context: the second sees
// its own ATR and protocol.
func TestE2ETwoSessions(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	ctx := context.Background()
	for i, c := range []struct {
		atr   string
		proto Protocol
		resp  string
	}{
		{atrT0, ProtocolT0, "70035A01119000"},
		{atrT1, ProtocolT1, "70035A02229000"},
	} {
		vc := insertCard(t, env, c.atr, map[string]string{"00B2010C00": c.resp})
		card := env.connect(t, x)
		assert.Equal(t, mustHex(t, c.atr), card.ATR(), "session %d", i+1)
		assert.Equal(t, c.proto, card.Protocol(), "session %d", i+1)
		resp, err := card.Transmit(ctx, mustHex(t, "00B2010C00"))
		require.NoError(t, err, "session %d", i+1)
		assert.Equal(t, c.resp, hexOf(resp), "session %d", i+1)
		require.NoError(t, card.Disconnect(ctx, ResetCard))
		_, err = card.Transmit(ctx, mustHex(t, "00B2010C00"))
		assert.ErrorIs(t, err, ErrClosed, "a disconnected card is closed")
		vc.pull()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		require.NoError(t, x.WaitForRemoval(wctx, env.reader))
		cancel()
	}
}

// A warm reset through SCardReconnect: the card is reset (vpcd control
// code 02 or a power cycle) and answers again.
func TestE2EReconnectReset(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	vc := insertCard(t, env, atrT1, map[string]string{"00B2010C00": "70009000"})
	card := env.connect(t, x)
	ctx := context.Background()
	vc.mu.Lock()
	before := len(vc.controls)
	vc.mu.Unlock()
	require.NoError(t, card.Reconnect(ctx, ResetCard))
	assert.Equal(t, ProtocolT1, card.Protocol())
	assert.Equal(t, mustHex(t, atrT1), card.ATR())
	vc.mu.Lock()
	controls := append([]byte(nil), vc.controls[before:]...)
	vc.mu.Unlock()
	assert.NotEmpty(t, controls, "the reader reset or powered the card")
	resp, err := card.Transmit(ctx, mustHex(t, "00B2010C00"))
	require.NoError(t, err)
	assert.Equal(t, "70009000", hexOf(resp))
}

// Waiting on a reader with no card ends at the deadline with a typed
// error; connecting to it fails with SCARD_E_NO_SMARTCARD.
func TestE2ENoCardTimeout(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := x.WaitForCard(ctx, env.reader)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTimeout, "%v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, ErrTimeout, pe.Code)
	assert.Equal(t, env.reader, pe.Reader)

	_, err = x.Connect(context.Background(), env.reader)
	assert.ErrorIs(t, err, ErrNoSmartcard, "%v", err)

	_, err = x.WaitForCard(context.Background(), "No Such Reader 00 00")
	assert.ErrorIs(t, err, ErrUnknownReader, "%v", err)
}

// Cancelling a wait ends it with ErrCancelled and context.Canceled; the
// context stays usable, and a wait that is under way sees a card
// inserted meanwhile.
func TestE2EContextCancel(t *testing.T) {
	env := e2eSetup(t)
	x := establish(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := x.WaitForCard(ctx, env.reader)
	assert.ErrorIs(t, err, ErrCancelled, "%v", err)
	assert.ErrorIs(t, err, context.Canceled)

	readers, err := x.ListReaders(context.Background())
	require.NoError(t, err, "the context is still usable")
	assert.Contains(t, readers, env.reader)

	// A wait under way sees a card inserted meanwhile (pcscd's event
	// message wakes it).
	type result struct {
		st  ReaderState
		err error
	}
	waited := make(chan result, 1)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	go func() {
		st, err := x.WaitForCard(wctx) // any reader
		waited <- result{st, err}
	}()
	time.Sleep(300 * time.Millisecond)
	insertCard(t, env, atrT0, map[string]string{"00B2010C00": "9000"})
	r := <-waited
	require.NoError(t, r.err)
	assert.Equal(t, env.reader, r.st.Name)
	assert.Equal(t, mustHex(t, atrT0), r.st.ATR)

	// A transmit with an ended context sends nothing.
	card := env.connect(t, x)
	done, stop := context.WithCancel(context.Background())
	stop()
	_, err = card.Transmit(done, mustHex(t, "00B2010C00"))
	assert.ErrorIs(t, err, context.Canceled)
	resp, err := card.Transmit(context.Background(), mustHex(t, "00B2010C00"))
	require.NoError(t, err)
	assert.Equal(t, "9000", hexOf(resp))
}

func stringsTrim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		if s[0] == ' ' {
			s = s[1:]
		} else {
			s = s[:len(s)-1]
		}
	}
	return s
}

// BenchmarkE2ETransmit is one READ RECORD through a real pcscd and the
// vpcd driver to the test's card and back.
func BenchmarkE2ETransmit(b *testing.B) {
	env := e2eSetup(b)
	x := establish(b)
	insertCard(b, env, atrT0, map[string]string{"00B2010C00": "70035A01119000"})
	card := env.connect(b, x)
	cmd := mustHex(b, "00B2010C00")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := card.Transmit(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
}
