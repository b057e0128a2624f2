package termkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/cvm"
)

// openPTY opens a pseudo-terminal pair (Linux: /dev/ptmx, TIOCSPTLCK,
// TIOCGPTN): what the test types on the master, the console reads from
// the terminal side.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	var unlock int32
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock)))
	require.Zero(t, e)
	var n uint32
	_, _, e = syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n)))
	require.Zero(t, e)
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return m, s
}

func echoOn(t *testing.T, f *os.File) bool {
	t.Helper()
	var st syscall.Termios
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&st)))
	require.Zero(t, e)
	return st.Lflag&syscall.ECHO != 0
}

// rawMode reports, within 10 s, whether the terminal side has left line
// mode (echo off): keys typed before that would be taken by the line
// discipline (Ctrl-C flushing the line, Backspace erasing it) instead of
// reaching the console, and a loaded machine can be slow to get there.
func rawMode(f *os.File) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var st syscall.Termios
		_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&st)))
		if e == 0 && st.Lflag&syscall.ECHO == 0 {
			return true
		}
	}
	return false
}

// typeRaw types keys on the master once the terminal is in raw mode.
func typeRaw(master, tty *os.File, keys string) {
	if rawMode(tty) {
		master.Write([]byte(keys))
	}
}

// On a terminal the PIN is typed in raw mode: no echo, a '*' per key,
// Backspace takes one back; Enter ends it and the terminal's echo is back
// on; Ctrl-C cancels PIN entry and also gives the terminal back.
func TestConsoleSecretOnATerminal(t *testing.T) {
	master, tty := openPTY(t)
	require.True(t, echoOn(t, tty))
	var screen bytes.Buffer
	con := NewConsole(tty, &screen)
	require.True(t, con.Terminal())
	pad := &PINPad{Console: con}
	ctx := context.Background()

	go typeRaw(master, tty, "123\x7f45\r")
	pin, err := pad.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 3})
	require.NoError(t, err)
	want, _ := cvm.NewPIN([]byte("1245")) // the 3 taken back
	assert.True(t, pin.Equal(want))
	assert.Equal(t, "Enter PIN (3 tries left), Enter alone to bypass: ***\b \b**\r\n", screen.String())
	assert.True(t, echoOn(t, tty), "echo restored")

	screen.Reset()
	go typeRaw(master, tty, "99\x03")
	_, err = pad.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 2, Retry: true})
	assert.ErrorIs(t, err, cvm.ErrPINCancelled)
	assert.True(t, echoOn(t, tty), "echo restored after Ctrl-C")
}

// A secret after a line: the console's reader, waiting in the terminal's
// line mode when raw mode starts, still gets each key as typed.
func TestConsoleLineThenSecretOnATerminal(t *testing.T) {
	master, tty := openPTY(t)
	var screen bytes.Buffer
	con := NewConsole(tty, &screen)
	ctx := context.Background()
	go master.Write([]byte("01\n"))
	id, err := con.ReadLine(ctx, "Operator ID: ")
	require.NoError(t, err)
	assert.Equal(t, "01", id)
	done := make(chan struct{})
	var pw string
	go func() {
		defer close(done)
		pw, err = con.ReadSecret(ctx, "Password: ")
	}()
	// Keys typed one by one, no end of line until the last: raw mode.
	require.True(t, rawMode(tty), "raw mode for the secret")
	for _, k := range []string{"2", "4", "6", "8", "\r"} {
		time.Sleep(20 * time.Millisecond)
		master.Write([]byte(k))
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the secret was not read in raw mode")
	}
	require.NoError(t, err)
	assert.Equal(t, "2468", pw)
	assert.True(t, echoOn(t, tty))
	assert.Equal(t, "Operator ID: Password: ****\r\n", screen.String())
}
