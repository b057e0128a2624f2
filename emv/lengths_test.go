package emv_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 3 Annex A bounds every data object the kernel forwards to the host
// or prints; a card's object of another length is a format error of that
// object (Book 3 §7.5, §10.2; see emv's forwardedTags for what happens
// where): in a record or the GPO response, and in a GENERATE AC response,
// it terminates the transaction before anything reaches the host; a label
// or preferred name of the wrong length is dropped.
func TestBook3_AnnexA_ForwardedDataLengths(t *testing.T) {
	onRecords := func(tag tlv.Tag, v []byte) emvtest.Fault {
		return emvtest.Fault{Match: emvtest.OnINS(apdu.InsReadRecord), Corrupt: emvtest.ReplaceValue, Tag: tag, Value: v}
	}
	onGenerateAC := func(tag tlv.Tag, v []byte) emvtest.Fault {
		return emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Nth: 1, Corrupt: emvtest.ReplaceValue, Tag: tag, Value: v}
	}
	tests := []struct {
		name    string
		base    func() *emvtest.Profile // nil: visa-cda
		profile func(*emvtest.Profile)
		fault   *emvtest.Fault
		step    emv.Step
		length  *emv.LengthError // the typed error expected, if any
		tooLong bool             // apdu.ErrResponseTooLong expected instead
		outcome emv.Outcome
		cmds    string
		check   func(t *testing.T, res *emv.Result, host *fakeHost)
	}{
		{
			// The probe's IAD: 4000 bytes cannot even come in one short
			// answer, so it stops at the answer's bound.
			name: "IADOf4000Bytes", fault: ptr(onGenerateAC(0x9F10, make([]byte, 4000))),
			step: emv.StepTerminalActionAnalysis, tooLong: true,
			outcome: emv.Terminated, cmds: cdaHead + " GAC90",
		},
		{
			name: "IADOf33Bytes", fault: ptr(onGenerateAC(0x9F10, make([]byte, 33))),
			step: emv.StepTerminalActionAnalysis, length: &emv.LengthError{Tag: 0x9F10, Len: 33, Min: 0, Max: 32},
			outcome: emv.Terminated, cmds: cdaHead + " GAC90",
		},
		{
			// At the bound: accepted and forwarded (a DDA card, whose
			// cryptogram no signature covers).
			name: "IADOf32Bytes_Forwarded", base: emvtest.MastercardDDA,
			fault: ptr(onGenerateAC(0x9F10, bytes.Repeat([]byte{0xAB}, 32))),
			// The host's approval carries no ARPC, which this card
			// requires: it declines at the second GENERATE AC.
			outcome: emv.OnlineDeclined, cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC40",
			check: func(t *testing.T, res *emv.Result, host *fakeHost) {
				require.Len(t, host.reqs, 1)
				v, ok := tlv.Find(host.reqs[0].ICCData, 0x9F10)
				require.True(t, ok)
				assert.Equal(t, bytes.Repeat([]byte{0xAB}, 32), v)
			},
		},
		{
			name:    "IADOf33BytesInARecord",
			profile: func(p *emvtest.Profile) { p.Applications[0].Extra = tlv.AppendTLV(nil, 0x9F10, make([]byte, 33)) },
			step:    emv.StepReadApplicationData, length: &emv.LengthError{Tag: 0x9F10, Len: 33, Min: 0, Max: 32},
			outcome: emv.Terminated,
		},
		{
			name:  "PANOf11Bytes",
			fault: ptr(onRecords(0x5A, mustHex("4761739001010119FFFFFF"))),
			step:  emv.StepReadApplicationData, length: &emv.LengthError{Tag: 0x5A, Len: 11, Min: 1, Max: 10},
			outcome: emv.Terminated,
		},
		{
			name:  "PANSequenceOf2Bytes",
			fault: ptr(onRecords(0x5F34, mustHex("0001"))),
			step:  emv.StepReadApplicationData, length: &emv.LengthError{Tag: 0x5F34, Len: 2, Min: 1, Max: 1},
			outcome: emv.Terminated,
		},
		{
			name:  "Track2Of20Bytes",
			fault: ptr(onRecords(0x57, bytes.Repeat([]byte{0x47}, 20))),
			step:  emv.StepReadApplicationData, length: &emv.LengthError{Tag: 0x57, Len: 20, Min: 0, Max: 19},
			outcome: emv.Terminated,
		},
		{
			name:    "FormFactorOf3BytesInARecord",
			profile: func(p *emvtest.Profile) { p.Applications[0].Extra = tlv.AppendTLV(nil, 0x9F6E, mustHex("010203")) },
			step:    emv.StepReadApplicationData, length: &emv.LengthError{Tag: 0x9F6E, Len: 3, Min: 4, Max: 32},
			outcome: emv.Terminated,
		},
		{
			name: "LabelOf17Bytes_Dropped",
			fault: &emvtest.Fault{Match: emvtest.OnSelect(mustHex("A0000000031010")), Corrupt: emvtest.ReplaceValue,
				Tag: 0x50, Value: []byte("VISA CREDIT CARDS")},
			outcome: emv.OnlineApproved, cmds: cdaHead + " GAC90 GAC50",
			check: func(t *testing.T, res *emv.Result, _ *fakeHost) {
				assert.Empty(t, res.Label)
				assert.Equal(t, "Visa Credit", res.Receipt.Label, "the preferred name is left to print")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == nil {
				base = visaCDA
			}
			p := base()
			if tt.profile != nil {
				tt.profile(p)
			}
			card := emvtest.NewCard(p)
			cfg := testConfig(t, card)
			if tt.fault != nil {
				card.Inject(*tt.fault)
			}
			host := approve()
			term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: host}
			res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 20000}, term)
			require.NotNil(t, res)
			assert.Equal(t, tt.outcome, res.Outcome)
			if tt.cmds != "" {
				assert.Equal(t, tt.cmds, res.Trace.Compact())
			}
			if tt.length == nil && !tt.tooLong {
				require.NoError(t, err)
			} else {
				var te *emv.TerminatedError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, tt.step, te.Step)
				assert.ErrorIs(t, err, emv.ErrCardData)
				assert.Empty(t, host.reqs, "nothing went to the host")
				if tt.tooLong {
					assert.ErrorIs(t, err, apdu.ErrResponseTooLong)
				} else {
					var le *emv.LengthError
					require.ErrorAs(t, err, &le)
					assert.Equal(t, tt.length, le)
				}
				if v, ok := tlv.Find(res.ICCData, 0x9F10); ok {
					assert.LessOrEqual(t, len(v), 32, "field 55 holds no oversized IAD")
				}
			}
			if tt.check != nil {
				tt.check(t, res, host)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
