// Command virtualcard puts a virtual EMV card into vsmartcard's vpcd
// virtual reader, so that any PC/SC program (pcsc_scan, opensc-tool, the
// terminal example with -reader) sees a card in "Virtual PCD 00 00". The
// card stays in the reader until Ctrl-C, which pulls it out.
//
//	sudo apt-get install pcscd vsmartcard-vpcd
//	go run ./examples/virtualcard                            # visa-cda
//	go run ./examples/virtualcard -card signature-t0         # a T=0 card
//	go run ./examples/virtualcard -card testdata/cards/pin-key.json
//	go run ./examples/virtualcard -card visa-qvsdc-offline   # a contactless card (tapped)
//
// and, in another shell:
//
//	go run ./examples/terminal -reader 'Virtual PCD 00 00' -config testdata/terminals/test-bench.json -amount 10.00 -pin 1234
//
// The card is a complete EMV card with real cryptography (package
// emv/emvtest): its CA keys are in testdata/cards/ca-keys.json and in
// testdata/terminals/test-bench.json, its issuer master keys in
// testdata/cards/README.md.
//
// Flags:
//
//	-card NAME    built-in card profile, or a profile file ending in .json;
//	              the contactless ones (visa-qvsdc-*, contactless-multi) answer
//	              with a contactless ATR and a PPSE
//	-addr HOST:PORT  where pcscd's vpcd driver listens (127.0.0.1:35963 is
//	              "Virtual PCD 00 00", 35964 "Virtual PCD 00 01", ...)
//	-record FILE  on exit, write the card's exchanges in apdu's session
//	              format (VERIFY data redacted)
//	-v            print each command and response (PAN masked)
//
// When pcscd closes the connection (it stopped, or restarted) the card is
// put back as soon as the reader listens again.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/tlv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "virtualcard:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("virtualcard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("card", "visa-cda", "card: built-in profile ("+strings.Join(emvtest.BuiltinProfiles(), ", ")+") or profile .json file")
	addr := fs.String("addr", emvtest.DefaultVPCDAddr, "vpcd driver address (pcscd's virtual reader)")
	rec := fs.String("record", "", "write the card's exchanges to this session file on exit")
	verbose := fs.Bool("v", false, "print each exchange")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	profile, err := app.LoadProfile(*name)
	if err != nil {
		return err
	}
	card := emvtest.NewCard(profile)
	fmt.Fprintf(stdout, "card %s: PAN %s, ATR %X (%s)\n", profile.Name, tlv.MaskPAN(profile.PAN), card.ATR(), protocol(profile))

	err = serve(ctx, *addr, card, stdout, *verbose)
	fmt.Fprintf(stdout, "card removed after %d commands\n", card.Commands())
	if *rec != "" {
		if werr := writeSession(*rec, card, profile.Name); werr != nil {
			return werr
		}
		fmt.Fprintf(stdout, "session written to %s\n", *rec)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // Ctrl-C: the card was pulled on purpose
	}
	return err
}

// serve keeps the card in the reader until ctx ends: it connects to the
// vpcd driver (retrying while it does not listen) and serves the card,
// and connects again when pcscd drops the connection.
func serve(ctx context.Context, addr string, card *emvtest.Card, out io.Writer, verbose bool) error {
	waiting := false
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !waiting {
				fmt.Fprintf(out, "waiting for the vpcd reader at %s (%v); is pcscd running with vsmartcard-vpcd?\n", addr, err)
				waiting = true
			}
		} else {
			waiting = false
			fmt.Fprintf(out, "inserted into the vpcd reader at %s; Ctrl-C removes it\n", addr)
			var stopTrace func()
			if verbose {
				stopTrace = traceExchanges(ctx, card, out)
			}
			err = emvtest.ServeVPCDConn(ctx, conn, card)
			if stopTrace != nil {
				stopTrace()
			}
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				return err // the card was pulled (Card.Remove) or the link failed
			}
			fmt.Fprintln(out, "the reader closed the connection (pcscd stopped?); inserting the card again")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// traceExchanges prints the card's exchanges as they happen, polling its
// record, until the returned function is called.
func traceExchanges(ctx context.Context, card *emvtest.Card, out io.Writer) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	// Counted before the goroutine starts: the reader may send its
	// first command before the goroutine first runs.
	seen := len(card.Exchanges())
	go func() {
		defer close(finished)
		flush := func() {
			ex := card.Exchanges()
			for _, e := range ex[min(seen, len(ex)):] {
				t := apdu.TraceEntry{Command: apdu.RedactCommand(e.Command), Response: e.Response, Err: e.Err}
				fmt.Fprintln(out, t.String())
			}
			seen = len(ex)
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			flush()
			select {
			case <-done:
				flush()
				return
			case <-ctx.Done():
				flush()
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func writeSession(path string, card *emvtest.Card, name string) error {
	s := card.Session("emv/emvtest profile "+name+", served over vpcd by examples/virtualcard", "the card's side of the session(s) a PC/SC terminal ran against it")
	return app.WriteSession(path, s)
}

// protocol names how the card is presented: the transmission protocol of
// an inserted card, or "contactless, ISO/IEC 14443-4 type A" for a tapped
// one (its ATR is then the contactless form of PC/SC Part 3).
func protocol(p *emvtest.Profile) string {
	if c := p.Contactless; c != nil {
		t := c.Type
		if t == "" {
			t = "A"
		}
		return "contactless, ISO/IEC 14443-4 type " + t
	}
	if p.Protocol == "" {
		return "T=1"
	}
	return p.Protocol
}
