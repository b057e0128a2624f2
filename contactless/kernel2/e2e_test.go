package kernel2_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel2"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end: the virtual Mastercard served over vpcd to a real pcscd, and
// tapped through package pcsc by the Entry Point with Kernel 2. Runs when
// EMVKIT_PCSC_E2E=1 (bash .ci/pcsc-e2e.sh ./contactless/kernel2/ starts
// pcscd and runs it). The relay resistance protocol runs on the real clock
// over the real stack, with grace periods wide enough for a loaded
// machine (DF8133 and DF8136 at their maximum, DF8137 zero): it is
// performed, and its thresholds are not what this test measures.
func TestE2EKernel2TapThroughPCSC(t *testing.T) {
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh ./contactless/kernel2/)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err)
		port = n
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	reader := fmt.Sprintf("Virtual PCD 00 %02d", port-35963)

	card := emvtest.NewCard(emvtest.MastercardOffline())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x, err := pcsc.EstablishContext(ctx)
	require.NoError(t, err)
	defer x.Release()
	require.NoError(t, x.WaitForRemoval(ctx, reader))
	served := make(chan error, 1)
	go func() { served <- emvtest.ServeVPCD(ctx, addr, card) }()
	st, err := x.WaitForCard(ctx, reader)
	require.NoError(t, err)
	assert.Equal(t, card.ATR(), st.ATR, "the contactless ATR of PC/SC Part 3")
	k, err := x.Connect(ctx, reader)
	require.NoError(t, err)
	defer k.Disconnect(context.Background(), pcsc.LeaveCard)

	kd := []byte{0xDF, 0x81, 0x1B, 0x01, 0x30, 0xDF, 0x81, 0x19, 0x01, 0x08, 0xDF, 0x81, 0x1F, 0x01, 0x08}
	kd = tlv.AppendTLV(kd, 0xDF8122, []byte{0xF4, 0x50, 0x84, 0x80, 0x0C})
	kd = tlv.AppendTLV(kd, 0xDF8133, []byte{0xFF, 0xFF})
	kd = tlv.AppendTLV(kd, 0xDF8136, []byte{0xFF, 0xFF})
	kd = tlv.AppendTLV(kd, 0xDF8137, []byte{0x00})
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 840, Currency: 840, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, Kernel: contactless.Kernel2, KernelData: kd,
			}},
			CAKeys: card.KeyStore(),
			Time:   func() time.Time { return time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) },
			Rand:   bytes.NewReader([]byte{0x11, 0x22, 0x33, 0x44}),
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{contactless.Kernel2: kernel2.New(kernel2.Config{})},
	}
	res, err := ep.Run(ctx, contactless.OneCard(k), &contactless.Transaction{Amount: 2000})
	require.NoError(t, err)
	assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	tvr, _ := tlv.Find(res.Outcome.DataRecord, 0x95)
	assert.Equal(t, []byte{0, 0, 0, 0, 0x02}, tvr, "relay resistance performed, nothing else")
	var ins []byte
	for _, e := range res.Trace {
		ins = append(ins, e.Command[1])
	}
	assert.Equal(t, []byte{0xA4, 0xA4, 0xA8, 0xEA, 0xB2, 0xB2, 0xB2, 0xB2, 0xAE}, ins)
	cancel()
	<-served
}
