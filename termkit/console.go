package termkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrNoInput reports that the input ended (EOF) while an answer was
// wanted.
var ErrNoInput = errors.New("termkit: input ended")

// ErrInterrupted reports Ctrl-C typed while a secret was read on a
// terminal, where the terminal's raw mode turns Ctrl-C into a key rather
// than a signal.
var ErrInterrupted = errors.New("termkit: interrupted (Ctrl-C)")

// MaxLine bounds one answer: a longer line is cut there.
const MaxLine = 4096

// Console asks a person questions on a text console: it writes prompts to
// its output and reads answers from its input, one line each. When the
// input is a terminal, [Console.ReadSecret] puts it in raw mode (x/term)
// so that the secret is not echoed and each key shows as '*', and gives
// the terminal back as it was when the answer ends, on Ctrl-C and when
// the context ends. Any other input (a pipe, a file, a test's reader) is
// read line by line, so a script can drive a program through it.
//
// A Console is used by one goroutine at a time. It reads its input in a
// goroutine of its own: a read under way when a context ends is left to
// finish, and what it reads is the next answer's.
type Console struct {
	in     io.Reader
	tty    *os.File
	out    io.Writer
	chunks chan []byte
	buf    []byte
	eof    bool
}

// NewConsole reads from in and prompts on out.
func NewConsole(in io.Reader, out io.Writer) *Console {
	c := &Console{in: in, out: out}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		c.tty = f
	}
	return c
}

// Terminal reports whether the console's input is a terminal.
func (c *Console) Terminal() bool { return c.tty != nil }

// Printf writes to the console's output.
func (c *Console) Printf(format string, a ...any) { fmt.Fprintf(c.out, format, a...) }

// ReadLine shows prompt and returns the next line, without its end of
// line and surrounding spaces. It returns ErrNoInput at the end of the
// input and ctx's error when ctx ends first. When the input is not a
// terminal, which would have echoed it, the answer is written after the
// prompt.
func (c *Console) ReadLine(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(c.out, prompt)
	line, err := c.line(ctx, nil)
	s := strings.TrimSpace(line)
	if c.tty == nil && err == nil {
		fmt.Fprintln(c.out, s)
	}
	return s, err
}

// ReadSecret shows prompt and reads an answer that is never echoed: on a
// terminal each key shows as '*' (Backspace takes one back), Enter ends
// it, and Ctrl-C gives ErrInterrupted; elsewhere it is one line, not
// shown. The terminal's mode is restored in every case.
func (c *Console) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(c.out, prompt)
	if c.tty == nil {
		s, err := c.line(ctx, nil)
		fmt.Fprintln(c.out)
		return strings.TrimSpace(s), err
	}
	state, err := term.MakeRaw(int(c.tty.Fd()))
	if err != nil {
		return "", fmt.Errorf("termkit: raw mode: %w", err)
	}
	defer term.Restore(int(c.tty.Fd()), state)
	s, err := c.line(ctx, func(b byte, typed []byte) ([]byte, bool, error) {
		switch {
		case b == 0x03: // Ctrl-C
			return typed, true, ErrInterrupted
		case b == 0x04 && len(typed) == 0: // Ctrl-D
			return typed, true, ErrNoInput
		case b == '\r' || b == '\n':
			return typed, true, nil
		case b == 0x7F || b == 0x08: // Backspace
			if len(typed) > 0 {
				typed = typed[:len(typed)-1]
				fmt.Fprint(c.out, "\b \b")
			}
		case b >= 0x20 && b < 0x7F && len(typed) < MaxLine:
			typed = append(typed, b)
			fmt.Fprint(c.out, "*")
		}
		return typed, false, nil
	})
	fmt.Fprint(c.out, "\r\n")
	return strings.TrimSpace(s), err
}

// keyFunc takes one key of a raw answer: it returns the answer so far,
// whether it is complete, and an error that ends it.
type keyFunc func(b byte, typed []byte) ([]byte, bool, error)

// line reads one answer: a line of the input, or with key the keys of a
// raw terminal one at a time.
func (c *Console) line(ctx context.Context, key keyFunc) (string, error) {
	var typed []byte
	defer func() { clear(typed) }()
	for {
		for len(c.buf) > 0 {
			b := c.buf[0]
			c.buf[0] = 0 // a secret's keys do not stay in the buffer
			c.buf = c.buf[1:]
			if key != nil {
				var done bool
				var err error
				typed, done, err = key(b, typed)
				if done || err != nil {
					return string(typed), err
				}
				continue
			}
			if b == '\n' {
				return strings.TrimRight(string(typed), "\r"), nil
			}
			if len(typed) < MaxLine {
				typed = append(typed, b)
			}
		}
		if c.eof {
			if len(typed) > 0 && key == nil {
				return strings.TrimRight(string(typed), "\r"), nil // a last line without end of line
			}
			return "", ErrNoInput
		}
		if err := c.fill(ctx); err != nil {
			return "", err
		}
	}
}

// fill waits for more input.
func (c *Console) fill(ctx context.Context) error {
	if c.chunks == nil {
		c.chunks = make(chan []byte, 1)
		go c.readLoop()
	}
	select {
	case b, ok := <-c.chunks:
		if !ok {
			c.eof = true
			return nil
		}
		c.buf = b
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLoop reads the input in chunks for fill until it ends.
func (c *Console) readLoop() {
	defer close(c.chunks)
	for {
		b := make([]byte, 512)
		n, err := c.in.Read(b)
		if n > 0 {
			c.chunks <- b[:n]
		}
		if err != nil {
			return
		}
	}
}
