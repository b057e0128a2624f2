package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// End-to-end: the counter takes its card from the vpcd reader of a real
// pcscd, where the test puts a virtual card. Runs when EMVKIT_PCSC_E2E=1
// (bash .ci/pcsc-e2e.sh ./examples/pos/) and then fails, never skips,
// when pcscd or the reader is missing.
func TestE2ECounterWithReader(t *testing.T) {
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("PC/SC end-to-end test: set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh ./examples/pos/ does)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err, "EMVKIT_VPCD_PORT")
		port = n
	}
	addr, reader := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("Virtual PCD 00 %02d", port-35963)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x, err := pcsc.EstablishContext(ctx)
	require.NoError(t, err, "pcscd does not answer: is it running?")
	defer x.Release()
	readers, err := x.ListReaders(ctx)
	require.NoError(t, err)
	require.Contains(t, readers, reader, "the vpcd reader is missing: is vsmartcard-vpcd installed?")
	require.NoError(t, x.WaitForRemoval(ctx, reader), "a card is still in the reader")

	// The operator and the customer, typing.
	in, typist := io.Pipe()
	defer typist.Close()
	out := &syncBuffer{}
	r := steady(3)
	env := environment{now: func() time.Time { return time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC) }, rand: &r}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-journal", filepath.Join(t.TempDir(), "journal.db"), "-reader", reader, "-wait", "20s", "-config", "../../testdata/terminals/test-bench.json",
			"-issuer-mk", "0123456789ABCDEFFEDCBA9876543210"}, in, out, io.Discard, env)
	}()
	say := func(line string) {
		_, err := io.WriteString(typist, line+"\n")
		require.NoError(t, err)
	}
	waitFor := func(s string) {
		t.Helper()
		for !strings.Contains(out.String(), s) {
			select {
			case err := <-done:
				t.Fatalf("the counter stopped (%v) before %q:\n%s", err, s, out.String())
			case <-ctx.Done():
				t.Fatalf("no %q:\n%s", s, out.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	say("01")
	say("2468")
	say("1")
	waitFor("INSERT CARD (" + reader + ")")

	card := emvtest.NewCard(emvtest.VisaCDA())
	sctx, pull := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- emvtest.ServeVPCD(sctx, addr, card) }()
	waitFor("Confirm")
	say("")
	say("100.00")
	waitFor("Enter PIN")
	say("1234")
	waitFor("Waiting for the card to be removed")
	pull()
	<-served
	waitFor("Choice (Enter: sign off): ")
	say("")
	require.NoError(t, <-done)
	t.Logf("the counter:\n%s", out.String())

	s := out.String()
	rs := receipts(s)
	require.Len(t, rs, 2)
	assert.Contains(t, rs[0], "MERCHANT COPY")
	assert.Contains(t, rs[0], "CARD             476173******0119 PSN 01\n")
	assert.Contains(t, rs[0], "TVR 0000008000                  TSI F800\n")
	assert.Contains(t, rs[0], "ARC                                   00\n")
	assert.Contains(t, rs[0], "              PIN VERIFIED\n")
	assert.Contains(t, rs[0], "           交易成功 APPROVED\n")
	assert.Contains(t, s, "< 0210 37=261123000002 38=120567 39=00")
	secrets(t, s, "4761739001010119", "1234", "2468")
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
