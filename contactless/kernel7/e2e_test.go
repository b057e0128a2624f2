package kernel7

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end: the virtual UnionPay QuickPass debit card served over vpcd to
// a real pcscd, with its contactless ATR (PC/SC Part 3), tapped through
// package pcsc on a reader with Kernel 7. Runs when EMVKIT_PCSC_E2E=1
// (bash .ci/pcsc-e2e.sh ./contactless/kernel7/ starts pcscd and runs it).
func TestE2EQuickPassBehindPCSC(t *testing.T) {
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh ./contactless/kernel7/)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		port = n
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	readerName := fmt.Sprintf("Virtual PCD 00 %02d", port-35963)

	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := pcsc.EstablishContext(ctx)
	require.NoError(t, err)
	defer x.Release()
	require.NoError(t, x.WaitForRemoval(ctx, readerName), "a card of an earlier test must have left the reader")

	served := make(chan error, 1)
	go func() { served <- emvtest.ServeVPCD(ctx, addr, card) }()
	st, err := x.WaitForCard(ctx, readerName)
	require.NoError(t, err)
	assert.Equal(t, emvtest.ContactlessATR(nil), st.ATR, "a contactless ATR: 3B 80 80 01 01")
	k, err := x.Connect(ctx, readerName)
	require.NoError(t, err)
	defer k.Disconnect(context.Background(), pcsc.LeaveCard)

	res, err := reader(card).Run(ctx, contactless.OneCard(k), &contactless.Transaction{Amount: 10000})
	require.NoError(t, err)
	assert.Equal(t, "Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language zhen, Balance 40000 (156)], Data Record, Discretionary Data",
		res.Outcome.Parameters.String())
	assert.Equal(t, "0000000000", tag(t, res.Outcome.DataRecord, 0x95))
	var cmds []string
	for _, e := range res.Trace {
		cmds = append(cmds, hexs(e.Command[:4]))
	}
	assert.Equal(t, append([]string{"00A40400", "00A40400"}, fullRead...), cmds, "PPSE, SELECT, GPO, three records through pcscd")
	ex := card.Exchanges()
	require.Len(t, ex, len(res.Trace))
	assert.Equal(t, ex[len(ex)-1].Response, res.Trace[len(res.Trace)-1].Response, "pcscd carried the card's answers unchanged")
	cancel()
	<-served
}
