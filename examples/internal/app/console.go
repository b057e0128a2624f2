package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// ErrNoInput reports that the input ended (EOF) while a line was wanted.
var ErrNoInput = errors.New("app: input ended")

// maxLine bounds one line of input.
const maxLine = 4096

// Console reads a person's answers line by line and writes the prompts.
// When its input is a terminal, secrets are read with the terminal's echo
// turned off (stty -echo); otherwise lines are read as they come, so a
// test or a script can drive a program through its standard input.
type Console struct {
	in    *bufio.Reader
	tty   *os.File // the input when it is a terminal
	out   io.Writer
	lines chan lineResult
}

type lineResult struct {
	line string
	err  error
}

// NewConsole reads from in and prompts on out.
func NewConsole(in io.Reader, out io.Writer) *Console {
	c := &Console{in: bufio.NewReaderSize(in, maxLine), out: out}
	if f, ok := in.(*os.File); ok && IsTerminal(f) {
		c.tty = f
	}
	return c
}

// IsTerminal reports whether f is a character device (a terminal, when it
// is standard input).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Terminal reports whether the console's input is a terminal.
func (c *Console) Terminal() bool { return c.tty != nil }

// Printf writes to the console's output.
func (c *Console) Printf(format string, a ...any) { fmt.Fprintf(c.out, format, a...) }

// ReadLine shows prompt and returns the next line without its end of
// line and surrounding spaces. It returns ErrNoInput at the end of the
// input and ctx's error when ctx ends first.
func (c *Console) ReadLine(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(c.out, prompt)
	s, err := c.next(ctx)
	if c.tty == nil {
		// No terminal echoed the answer: show it.
		fmt.Fprintln(c.out, strings.TrimSpace(s))
	}
	return strings.TrimSpace(s), err
}

// ReadSecret shows prompt and reads a line that is not echoed: on a
// terminal the echo is turned off while it is typed; from a pipe nothing
// is echoed anyway. The secret is never written to the output.
func (c *Console) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(c.out, prompt)
	if c.tty != nil {
		restore, err := echoOff(c.tty)
		if err != nil {
			return "", err
		}
		defer restore()
	}
	s, err := c.next(ctx)
	fmt.Fprintln(c.out)
	return strings.TrimSpace(s), err
}

// next reads one line, giving up when ctx ends. A read under way when ctx
// ends is left to finish; its line is the next one returned.
func (c *Console) next(ctx context.Context) (string, error) {
	if c.lines == nil {
		c.lines = make(chan lineResult, 1)
		go c.readLoop()
	}
	select {
	case r, ok := <-c.lines:
		if !ok {
			return "", ErrNoInput
		}
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// readLoop reads lines one at a time for next; lines longer than maxLine
// are cut.
func (c *Console) readLoop() {
	defer close(c.lines)
	for {
		b, err := c.in.ReadSlice('\n')
		line := strings.TrimRight(string(b), "\r\n")
		for errors.Is(err, bufio.ErrBufferFull) { // drop the rest of the line
			_, err = c.in.ReadSlice('\n')
		}
		switch {
		case errors.Is(err, io.EOF):
			if line != "" {
				c.lines <- lineResult{line: line}
			}
			return
		case err != nil:
			c.lines <- lineResult{err: err}
			return
		}
		c.lines <- lineResult{line: line}
	}
}

// echoOff turns the terminal's echo off with stty and returns the function
// that restores the terminal's settings as they were.
func echoOff(tty *os.File) (func(), error) {
	get := exec.Command("stty", "-g")
	get.Stdin = tty
	saved, err := get.Output()
	if err != nil {
		return nil, fmt.Errorf("app: reading the terminal settings (stty -g): %w", err)
	}
	off := exec.Command("stty", "-echo")
	off.Stdin = tty
	if err := off.Run(); err != nil {
		return nil, fmt.Errorf("app: turning the echo off (stty -echo): %w", err)
	}
	return func() {
		on := exec.Command("stty", strings.TrimSpace(string(saved)))
		on.Stdin = tty
		if on.Run() != nil {
			on = exec.Command("stty", "echo")
			on.Stdin = tty
			on.Run()
		}
	}, nil
}
