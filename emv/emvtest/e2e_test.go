package emvtest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end: the virtual card served over vpcd to a real pcscd, and
// driven through package pcsc. Runs when EMVKIT_PCSC_E2E=1 (bash
// .ci/pcsc-e2e.sh ./emv/emvtest/ starts pcscd and runs it).
func TestE2EVirtualCardBehindPCSC(t *testing.T) {
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh ./emv/emvtest/)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		port = n
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	reader := fmt.Sprintf("Virtual PCD 00 %02d", port-35963)

	for _, name := range []string{"visa-cda", "signature-t0"} {
		t.Run(name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.BuiltinProfile(name))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			x, err := pcsc.EstablishContext(ctx)
			require.NoError(t, err)
			defer x.Release()
			// A card of an earlier test must have left the reader first.
			require.NoError(t, x.WaitForRemoval(ctx, reader))

			served := make(chan error, 1)
			go func() { served <- emvtest.ServeVPCD(ctx, addr, card) }()
			st, err := x.WaitForCard(ctx, reader)
			require.NoError(t, err)
			assert.Equal(t, card.ATR(), st.ATR)
			k, err := x.Connect(ctx, reader)
			require.NoError(t, err)

			r, err := apdu.Exchange(ctx, k, apdu.Select([]byte("1PAY.SYS.DDF01"), false))
			require.NoError(t, err)
			if name == "signature-t0" {
				// T=0: the card's 61xx reaches the terminal unchanged.
				require.Equal(t, byte(0x61), r.SW.SW1())
				r, err = apdu.Exchange(ctx, k, apdu.Command{INS: apdu.InsGetResponse, Le: int(r.SW.SW2())})
				require.NoError(t, err)
			}
			assert.Equal(t, apdu.SWOK, r.SW)
			ex := card.Exchanges()
			require.NotEmpty(t, ex)
			assert.Equal(t, r.Bytes(), ex[len(ex)-1].Response, "pcscd carried the card's answer unchanged")

			// Pulling the card during a command: the virtual card closes the
			// connection. pcscd (1.9.x with the vpcd driver) then answers
			// that exchange with SCARD_S_SUCCESS and no bytes, so the
			// terminal sees either an error or a response without a status
			// word; the reader then reports the card gone.
			card.RemoveAt(card.Commands() + 1)
			out, err := k.Transmit(ctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
			if err == nil {
				assert.Less(t, len(out), 2, "no status word from a pulled card")
			} else {
				assert.ErrorIs(t, err, apdu.ErrCardRemoved)
			}
			assert.ErrorIs(t, <-served, apdu.ErrCardRemoved)
			wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer wcancel()
			require.NoError(t, x.WaitForRemoval(wctx, reader))
			_, err = k.Transmit(ctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
			assert.ErrorIs(t, err, apdu.ErrCardRemoved, "after the pull")
			k.Disconnect(context.Background(), pcsc.LeaveCard)
		})
	}
}
