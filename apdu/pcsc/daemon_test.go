//go:build linux

package pcsc

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
)

// fakeDaemon stands in for pcscd on a Unix socket in a temporary
// directory. Each accepted connection plays its own script in accept
// order: read exactly the expected request bytes, check them, write the
// reply.
type fakeDaemon struct {
	t       *testing.T
	ln      net.Listener
	scripts [][]step
	wg      sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

type step struct {
	want  []byte // the exact request expected
	reply []byte // written back
	hang  bool   // after the request, answer nothing until the client hangs up
	close bool   // after the reply, hang up
}

// startDaemon listens on a fresh socket and points PCSCLITE_CSOCK_NAME at it.
func startDaemon(t *testing.T, scripts ...[]step) *fakeDaemon {
	t.Helper()
	requireLittleEndian(t)
	path := filepath.Join(t.TempDir(), "pcscd.comm")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	t.Setenv("PCSCLITE_CSOCK_NAME", path)
	d := &fakeDaemon{t: t, ln: ln, scripts: scripts}
	d.wg.Add(1)
	go d.serve()
	t.Cleanup(func() {
		ln.Close()
		d.mu.Lock()
		for _, c := range d.conns {
			c.Close()
		}
		d.mu.Unlock()
		d.wg.Wait()
	})
	return d
}

func (d *fakeDaemon) serve() {
	defer d.wg.Done()
	for i := 0; ; i++ {
		c, err := d.ln.Accept()
		if err != nil {
			return
		}
		if i >= len(d.scripts) {
			d.t.Errorf("fake pcscd: unexpected connection %d", i+1)
			c.Close()
			continue
		}
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
		d.wg.Add(1)
		go d.play(c, d.scripts[i])
	}
}

func (d *fakeDaemon) play(c net.Conn, script []step) {
	defer d.wg.Done()
	defer c.Close()
	for n, s := range script {
		got := make([]byte, len(s.want))
		if _, err := io.ReadFull(c, got); err != nil {
			d.t.Errorf("fake pcscd: step %d: reading the request: %v", n+1, err)
			return
		}
		if hexOf(got) != hexOf(s.want) {
			d.t.Errorf("fake pcscd: step %d: request\n got  %s\n want %s", n+1, hexOf(got), hexOf(s.want))
			return
		}
		if s.hang {
			io.Copy(io.Discard, c) // until the client closes
			return
		}
		if _, err := c.Write(s.reply); err != nil {
			d.t.Errorf("fake pcscd: step %d: writing the reply: %v", n+1, err)
			return
		}
		if s.close {
			return
		}
	}
	// The client may close now; anything more it sends is unexpected.
	var b [1]byte
	if n, _ := c.Read(b[:]); n > 0 {
		d.t.Errorf("fake pcscd: request after the end of the script")
	}
}

// Steps every client begins with.
func versionOK(t testing.TB) step {
	return step{
		want:  wire(t, "0C000000 11000000 04000000 04000000 00000000"),
		reply: wire(t, "04000000 04000000 00000000"),
	}
}

func establishOK(t testing.TB) step {
	return step{
		want:  wire(t, "0C000000 01000000 02000000 00000000 00000000"),
		reply: wire(t, "02000000 78563412 00000000"),
	}
}

func releaseOK(t testing.TB) step {
	return step{
		want:  wire(t, "08000000 02000000 78563412 00000000"),
		reply: wire(t, "78563412 00000000"),
	}
}

func readersStep(t testing.TB, cmd string, states ...ReaderState) step {
	return step{want: wire(t, cmd), reply: encodeReadersState(states)}
}

const (
	getReaders = "00000000 12000000"
	waitChange = "00000000 13000000"
)

func connectSteps(t testing.TB) []step {
	return []step{
		{
			want: wire(t, "98000000 04000000 78563412"+readerName(vpcd)+"02000000 03000000 00000000 00000000 00000000"),
			reply: wire(t, "78563412"+readerName(vpcd)+
				"02000000 03000000 CDAB0000 01000000 00000000"), // hCard ABCD, T=0
		},
		readersStep(t, getReaders, cardT0),
	}
}

func transmitStep(t testing.TB, cmd, rv, resp string) step {
	var lens [4]byte
	ne.PutUint32(lens[:], uint32(len(wire(t, resp))))
	return step{
		want:  wire(t, "20000000 09000000 CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000"+cmd),
		reply: wire(t, "CDAB0000 01000000 10000000 05000000 01000000 10000000"+hexOf(lens[:])+rv+resp),
	}
}

func TestDaemonEstablishRelease(t *testing.T) {
	startDaemon(t, []step{versionOK(t), establishOK(t), releaseOK(t)})
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint32(0x12345678), x.handle)
	require.NoError(t, x.Release())
	assert.NoError(t, x.Release(), "a second release does nothing")
	_, err = x.ListReaders(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
}

func TestDaemonVersionMismatch(t *testing.T) {
	startDaemon(t, []step{{
		want:  wire(t, "0C000000 11000000 04000000 04000000 00000000"),
		reply: wire(t, "04000000 05000000 1E001080"), // 4.5, SCARD_E_SERVICE_STOPPED
	}})
	_, err := EstablishContext(context.Background())
	assert.ErrorIs(t, err, ErrServiceStopped)
	assert.ErrorContains(t, err, "pcscd speaks protocol 4.5, this client 4.4")
}

func TestDaemonMissing(t *testing.T) {
	t.Setenv("PCSCLITE_CSOCK_NAME", filepath.Join(t.TempDir(), "none"))
	_, err := EstablishContext(context.Background())
	assert.ErrorIs(t, err, ErrNoService)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "establish context", pe.Op)
	assert.ErrorContains(t, err, "is pcscd running?")
}

func TestDaemonEstablishRefused(t *testing.T) {
	startDaemon(t, []step{versionOK(t), {
		want:  wire(t, "0C000000 01000000 02000000 00000000 00000000"),
		reply: wire(t, "02000000 00000000 06001080"), // SCARD_E_NO_MEMORY
	}})
	_, err := EstablishContext(context.Background())
	assert.ErrorIs(t, err, ErrNoMemory)
}

func TestDaemonListReaders(t *testing.T) {
	startDaemon(t, []step{versionOK(t), establishOK(t),
		readersStep(t, getReaders, cardT0, ReaderState{}, ReaderState{Name: " Second Reader 01 00 ", State: StateAbsent}),
		readersStep(t, getReaders),
		releaseOK(t),
	})
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	names, err := x.ListReaders(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{vpcd, "Second Reader 01 00"}, names)
	_, err = x.ListReaders(context.Background())
	assert.ErrorIs(t, err, ErrNoReadersAvailable)
	require.NoError(t, x.Release())
}

func TestDaemonConnectTransmit(t *testing.T) {
	script := []step{versionOK(t), establishOK(t)}
	script = append(script, connectSteps(t)...)
	script = append(script,
		transmitStep(t, "00A404000E", "00000000", "611C"),
		// SCARD_RECONNECT with a reset; the card comes back with T=0.
		step{
			want:  wire(t, "18000000 05000000 CDAB0000 02000000 03000000 01000000 00000000 00000000"),
			reply: wire(t, "CDAB0000 02000000 03000000 01000000 01000000 00000000"),
		},
		readersStep(t, getReaders, cardT0),
		step{
			want:  wire(t, "08000000 07000000 CDAB0000 00000000"),
			reply: wire(t, "CDAB0000 00000000"),
		},
		step{
			want:  wire(t, "0C000000 08000000 CDAB0000 00000000 00000000"),
			reply: wire(t, "CDAB0000 00000000 0B001080"), // SCARD_E_SHARING_VIOLATION
		},
		step{
			want:  wire(t, "08000000 0B000000 CDAB0000 00000000"),
			reply: wire(t, "CDAB0000 00000000"),
		},
		readersStep(t, getReaders, cardT0),
		step{
			want:  wire(t, "0C000000 06000000 CDAB0000 01000000 00000000"),
			reply: wire(t, "CDAB0000 01000000 00000000"),
		},
		releaseOK(t),
	)
	startDaemon(t, script)
	ctx := context.Background()
	x, err := EstablishContext(ctx)
	require.NoError(t, err)
	card, err := x.Connect(ctx, vpcd)
	require.NoError(t, err)
	assert.Equal(t, ProtocolT0, card.Protocol())
	assert.Equal(t, []byte{0x3B, 0x02, 0x14, 0x50}, card.ATR())

	resp, err := card.Transmit(ctx, wire(t, "00A404000E"))
	require.NoError(t, err)
	assert.Equal(t, "611C", hexOf(resp))

	require.NoError(t, card.Reconnect(ctx, ResetCard))
	require.NoError(t, card.BeginTransaction(ctx))
	assert.ErrorIs(t, card.EndTransaction(ctx, LeaveCard), ErrSharingViolation)
	st, err := card.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, cardT0.State, st.State)
	require.NoError(t, card.Disconnect(ctx, ResetCard))
	assert.NoError(t, card.Disconnect(ctx, ResetCard), "a second disconnect does nothing")
	_, err = card.Transmit(ctx, wire(t, "00A404000E"))
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, x.Release())
}

func TestDaemonConnectNoCard(t *testing.T) {
	startDaemon(t, []step{versionOK(t), establishOK(t), {
		want:  wire(t, "98000000 04000000 78563412"+readerName(vpcd)+"02000000 03000000 00000000 00000000 00000000"),
		reply: wire(t, "78563412"+readerName(vpcd)+"02000000 03000000 00000000 00000000 0C001080"),
	}, releaseOK(t)})
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	_, err = x.Connect(context.Background(), vpcd)
	assert.ErrorIs(t, err, ErrNoSmartcard)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.EqualError(t, err, `pcsc: connect "Virtual PCD 00 00": SCARD_E_NO_SMARTCARD (0x8010000C): no card in the reader`)
	require.NoError(t, x.Release())
}

// transmitFailure is the reply of a failed SCARD_TRANSMIT with code rv.
func transmitFailure(t testing.TB, rv string) step {
	return step{
		want:  wire(t, "20000000 09000000 CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000 00B2010C00"),
		reply: wire(t, "CDAB0000 01000000 10000000 05000000 01000000 10000000 00000000"+rv),
	}
}

func TestDaemonTransmitErrors(t *testing.T) {
	removalGrace = 200 * time.Millisecond
	t.Cleanup(func() { removalGrace = 2 * time.Second })
	absent := ReaderState{Name: vpcd, EventCounter: 2, State: StateAbsent}
	tests := []struct {
		name    string
		rv      string
		waiter  []step // the socket the removal check opens, if any
		code    Code
		removed bool
	}{
		{name: "SCARD_W_REMOVED_CARD", rv: "69001080", code: WarnRemovedCard, removed: true},
		{name: "SCARD_E_NO_SMARTCARD", rv: "0C001080", code: ErrNoSmartcard, removed: true},
		{name: "SCARD_E_READER_UNAVAILABLE", rv: "17001080", code: ErrReaderUnavailable, removed: true},
		{name: "SCARD_W_RESET_CARD", rv: "68001080", code: WarnResetCard},
		{name: "SCARD_E_PROTO_MISMATCH", rv: "0F001080", code: ErrProtoMismatch},
		{name: "SCARD_E_NOT_TRANSACTED, card gone", rv: "16001080", code: ErrNotTransacted, removed: true,
			waiter: []step{versionOK(t), readersStep(t, waitChange, absent)}},
		{name: "SCARD_E_NOT_TRANSACTED, card gone after an event", rv: "16001080", code: ErrNotTransacted, removed: true,
			waiter: []step{versionOK(t), readersStep(t, waitChange, cardT0),
				{want: nil, reply: wire(t, "00000000 00000000")}, // the event
				readersStep(t, waitChange, absent)}},
		{name: "SCARD_E_NOT_TRANSACTED, card still there", rv: "16001080", code: ErrNotTransacted,
			waiter: []step{versionOK(t), readersStep(t, waitChange, cardT0)}},
		{name: "success without a status word, card gone", rv: "00000000", code: ErrNotTransacted, removed: true,
			waiter: []step{versionOK(t), readersStep(t, waitChange, absent)}},
		{name: "success without a status word, card still there", rv: "00000000", code: ErrNotTransacted,
			waiter: []step{versionOK(t), readersStep(t, waitChange, cardT0)}},
		{name: "SCARD_E_NOT_TRANSACTED, another card", rv: "16001080", code: ErrNotTransacted, removed: true,
			waiter: []step{versionOK(t), readersStep(t, waitChange, ReaderState{Name: vpcd, EventCounter: 3, State: StatePresent})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := []step{versionOK(t), establishOK(t)}
			script = append(script, connectSteps(t)...)
			script = append(script, transmitFailure(t, tt.rv))
			scripts := [][]step{script}
			if tt.waiter != nil {
				scripts = append(scripts, tt.waiter)
			}
			startDaemon(t, scripts...)
			x, err := EstablishContext(context.Background())
			require.NoError(t, err)
			card, err := x.Connect(context.Background(), vpcd)
			require.NoError(t, err)
			_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.code)
			assert.Equal(t, tt.removed, errors.Is(err, apdu.ErrCardRemoved), "%v", err)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "transmit", pe.Op)
			assert.Equal(t, vpcd, pe.Reader)
			x.c.close()
		})
	}
}

func TestDaemonBadReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		code  Code
		err   error
	}{
		{"response length over the limit", "CDAB0000 01000000 10000000 05000000 01000000 10000000 0D000100 00000000", 0, ErrProtocol},
		{"reply cut short", "CDAB0000 01000000 10000000 05000000 01000000 10000000 04000000 00000000 6F00", ErrNoService, io.ErrUnexpectedEOF},
		{"struct cut short", "CDAB0000 01000000", ErrNoService, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := []step{versionOK(t), establishOK(t)}
			script = append(script, connectSteps(t)...)
			script = append(script, step{
				want:  wire(t, "20000000 09000000 CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000 00B2010C00"),
				reply: wire(t, tt.reply), close: true,
			})
			startDaemon(t, script)
			x, err := EstablishContext(context.Background())
			require.NoError(t, err)
			card, err := x.Connect(context.Background(), vpcd)
			require.NoError(t, err)
			_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
			assert.ErrorIs(t, err, tt.err)
			if tt.code != Success {
				assert.ErrorIs(t, err, tt.code)
			}
			assert.NotErrorIs(t, err, apdu.ErrCardRemoved)
			// The socket is dropped: later calls fail at once.
			_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
			assert.ErrorIs(t, err, ErrClosed)
			assert.NoError(t, x.Release(), "releasing a lost context is a no-op")
		})
	}
}

func TestDaemonTransmitDeadline(t *testing.T) {
	script := []step{versionOK(t), establishOK(t)}
	script = append(script, connectSteps(t)...)
	script = append(script, step{
		want: wire(t, "20000000 09000000 CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000 00B2010C00"),
		hang: true,
	})
	startDaemon(t, script)
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	card, err := x.Connect(context.Background(), vpcd)
	require.NoError(t, err)
	// Long enough for the request to reach the fake daemon under the
	// race detector on a loaded machine: it hangs only after reading it.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err = card.Transmit(ctx, wire(t, "00B2010C00"))
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
	assert.ErrorIs(t, err, ErrClosed, "an interrupted exchange leaves the socket unusable")
	assert.ErrorContains(t, err, "an earlier transmit was interrupted")
}

func TestDaemonTransmitBadCommand(t *testing.T) {
	script := []step{versionOK(t), establishOK(t)}
	script = append(script, connectSteps(t)...)
	startDaemon(t, script)
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	card, err := x.Connect(context.Background(), vpcd)
	require.NoError(t, err)
	for _, n := range []int{0, 3, maxBufferSize + 1} {
		_, err = card.Transmit(context.Background(), make([]byte, n))
		assert.ErrorIs(t, err, ErrInvalidParameter, "%d bytes", n)
	}
}

func TestDaemonWait(t *testing.T) {
	empty := ReaderState{Name: vpcd, State: StateAbsent}
	tests := []struct {
		name    string
		readers []string
		waiter  []step
		want    ReaderState
		code    Code
	}{
		{name: "card already there", readers: []string{vpcd},
			waiter: []step{versionOK(t), readersStep(t, waitChange, cardT0)}, want: cardT0},
		{name: "card arrives", readers: []string{vpcd},
			waiter: []step{versionOK(t), readersStep(t, waitChange, empty),
				{want: nil, reply: wire(t, "00000000 00000000")},
				readersStep(t, waitChange, cardT0)}, want: cardT0},
		{name: "any reader", waiter: []step{versionOK(t),
			readersStep(t, waitChange, empty, ReaderState{Name: "Other 00 00", State: StatePresent})},
			want: ReaderState{Name: "Other 00 00", State: StatePresent}},
		{name: "unknown reader", readers: []string{"Nope"},
			waiter: []step{versionOK(t), readersStep(t, waitChange, empty)}, code: ErrUnknownReader},
		{name: "daemon reports an error", readers: []string{vpcd},
			waiter: []step{versionOK(t), readersStep(t, waitChange, empty),
				{want: nil, reply: wire(t, "00000000 02001080")}}, code: ErrCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startDaemon(t, []step{versionOK(t), establishOK(t)}, tt.waiter)
			x, err := EstablishContext(context.Background())
			require.NoError(t, err)
			defer x.c.close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			st, err := x.WaitForCard(ctx, tt.readers...)
			if tt.code != Success {
				assert.ErrorIs(t, err, tt.code)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, st)
		})
	}
}

func TestDaemonWaitForRemoval(t *testing.T) {
	tests := []struct {
		name   string
		waiter []step
	}{
		{"card leaves", []step{versionOK(t), readersStep(t, waitChange, cardT0),
			{want: nil, reply: wire(t, "00000000 00000000")},
			readersStep(t, waitChange, ReaderState{Name: vpcd, EventCounter: 2, State: StateAbsent})}},
		{"reader unplugged", []step{versionOK(t), readersStep(t, waitChange, ReaderState{Name: "Other 00 00"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startDaemon(t, []step{versionOK(t), establishOK(t)}, tt.waiter)
			x, err := EstablishContext(context.Background())
			require.NoError(t, err)
			defer x.c.close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.NoError(t, x.WaitForRemoval(ctx, vpcd))
		})
	}
}

func TestDaemonWaitTimeoutAndCancel(t *testing.T) {
	empty := ReaderState{Name: vpcd, State: StateAbsent}
	for _, cancelIt := range []bool{false, true} {
		startDaemon(t, []step{versionOK(t), establishOK(t), readersStep(t, getReaders, empty)},
			[]step{versionOK(t), readersStep(t, waitChange, empty)})
		x, err := EstablishContext(context.Background())
		require.NoError(t, err)
		// Long enough for the wait's own request to reach the fake
		// daemon first, even under the race detector on a loaded machine.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if cancelIt {
			time.AfterFunc(500*time.Millisecond, cancel)
		}
		_, err = x.WaitForCard(ctx, vpcd)
		cancel()
		if cancelIt {
			assert.ErrorIs(t, err, ErrCancelled)
			assert.ErrorIs(t, err, context.Canceled)
		} else {
			assert.ErrorIs(t, err, ErrTimeout)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		}
		// The wait had its own socket: the context's is still fine.
		names, err := x.ListReaders(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []string{vpcd}, names)
		x.c.close()
	}
}

// shortenCallTimeout makes DefaultTimeout's bound d for one test.
func shortenCallTimeout(t *testing.T, d time.Duration) {
	old := callTimeout
	callTimeout = d
	t.Cleanup(func() { callTimeout = old })
}

// A stalled daemon cannot block a caller whose context has no deadline:
// each call is bounded by DefaultTimeout (shortened here), then fails
// with ErrTimeout and leaves the socket unusable.
func TestDaemonStalledCallsAreBounded(t *testing.T) {
	// 1 s: short for a test, long enough that the fake daemon's good
	// answers come in time under the race detector on a loaded machine.
	shortenCallTimeout(t, time.Second)
	t.Run("transmit", func(t *testing.T) {
		script := []step{versionOK(t), establishOK(t)}
		script = append(script, connectSteps(t)...)
		script = append(script, step{
			want: wire(t, "20000000 09000000 CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000 00B2010C00"),
			hang: true,
		})
		startDaemon(t, script)
		x, err := EstablishContext(context.Background())
		require.NoError(t, err)
		card, err := x.Connect(context.Background(), vpcd)
		require.NoError(t, err)
		start := time.Now()
		_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.ErrorIs(t, err, ErrTimeout)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end")
		assert.EqualError(t, err, "pcsc: transmit \""+vpcd+"\": SCARD_E_TIMEOUT (0x8010000A): the timeout expired: pcscd did not answer within 1s: i/o timeout")
		start = time.Now()
		_, err = card.Transmit(context.Background(), wire(t, "00B2010C00"))
		assert.ErrorIs(t, err, ErrClosed, "the stream is out of step")
		assert.ErrorContains(t, err, "pcscd did not answer an earlier transmit within 1s")
		assert.Less(t, time.Since(start), 100*time.Millisecond, "fails at once")
	})
	t.Run("establish", func(t *testing.T) {
		startDaemon(t, []step{{want: versionOK(t).want, hang: true}})
		start := time.Now()
		_, err := EstablishContext(context.Background())
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.ErrorIs(t, err, ErrTimeout)
	})
	t.Run("a deadline of the caller's own still rules", func(t *testing.T) {
		startDaemon(t, []step{{want: versionOK(t).want, hang: true}})
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		_, err := EstablishContext(ctx)
		// Well past the 1 s default: the caller's 2.5 s ruled. (The
		// socket's deadline is read on the wall clock, so a few
		// milliseconds either side of 2.5 s are not the point.)
		assert.GreaterOrEqual(t, time.Since(start), 2*time.Second, "a longer deadline than the default is the caller's to give")
		assert.ErrorIs(t, err, ErrTimeout)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// Waiting for a reader event is not a stalled daemon: WaitForCard waits
// past DefaultTimeout, until its context ends.
func TestDaemonWaitNotBoundedByDefaultTimeout(t *testing.T) {
	shortenCallTimeout(t, 500*time.Millisecond)
	empty := ReaderState{Name: vpcd, State: StateAbsent}
	startDaemon(t, []step{versionOK(t), establishOK(t)}, []step{versionOK(t), readersStep(t, waitChange, empty)})
	x, err := EstablishContext(context.Background())
	require.NoError(t, err)
	defer x.c.close()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	time.AfterFunc(1500*time.Millisecond, cancel)
	_, err = x.WaitForCard(ctx, vpcd)
	assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond)
	assert.ErrorIs(t, err, ErrCancelled)
}

// keepWrites is a socket that remembers the buffers it was given to
// write (not copies: the very slices), so a test can see what became of
// them after the call.
type keepWrites struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *keepWrites) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// The transmit request that carried a VERIFY holds its PIN block (in
// clear for P2 80): it is zeroed once sent, whether the card answered or
// the exchange failed.
func TestDaemonVerifyRequestCleared(t *testing.T) {
	const verify = "0020008008 241234FFFFFFFFFF" // 13 bytes: cbSendLength 0D
	want := wire(t, "20000000 09000000 CDAB0000 01000000 10000000 0D000000 01000000 10000000 0C000100 00000000"+verify)
	reply := wire(t, "CDAB0000 01000000 10000000 0D000000 01000000 10000000 02000000 00000000 9000")
	for _, tt := range []struct {
		name string
		step step
	}{
		{"answered", step{want: want, reply: reply}},
		{"daemon hung up", step{want: want, close: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			script := []step{versionOK(t), establishOK(t)}
			script = append(script, connectSteps(t)...)
			script = append(script, tt.step)
			startDaemon(t, script)
			x, err := EstablishContext(context.Background())
			require.NoError(t, err)
			defer x.c.close()
			card, err := x.Connect(context.Background(), vpcd)
			require.NoError(t, err)
			kw := &keepWrites{Conn: x.c.nc}
			x.c.nc = kw
			_, err = card.Transmit(context.Background(), wire(t, verify))
			if tt.step.close {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, kw.writes, 1)
			req := kw.writes[0]
			require.Len(t, req, len(tt.step.want), "the request the daemon got")
			assert.Equal(t, make([]byte, len(req)), req, "the request buffer is zeroed")
		})
	}
}
