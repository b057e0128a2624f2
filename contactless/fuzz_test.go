package contactless_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/stretchr/testify/require"
)

// FuzzPPSE checks the PPSE directory reader (Book B §3.3.2.3) on any
// bytes: no panic; on an error no entries and ErrPPSE; on success at most
// MaxDirectoryEntries entries, each with an ADF Name of 5 to 16 bytes that
// lies inside the input (nothing is invented or copied), and the same
// answer when read twice.
func FuzzPPSE(f *testing.F) {
	f.Add(ppseFCI(entry(visaAID).withPrio(1).withKernel("03").withLabel("VISA"), entry(mcAID).withExt("01")))
	f.Add(ppseFCI())
	f.Add(ppseFCI(dirEntry{noADF: true, prio: 1}))
	f.Add(unhex("6F15840E325041592E5359532E4444463031A503880101"))
	for _, v := range ppseVectors(f) {
		r := unhex(v[0])
		f.Add(r[:len(r)-2])
	}
	for _, r := range fuzzseed.Responses(f, apdu.InsSelect) {
		if len(r) >= 2 {
			f.Add(r[:len(r)-2])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := contactless.ParsePPSE(b)
		if err != nil {
			require.ErrorIs(t, err, contactless.ErrPPSE)
			require.Nil(t, es)
			return
		}
		require.LessOrEqual(t, len(es), contactless.MaxDirectoryEntries)
		for _, e := range es {
			require.GreaterOrEqual(t, len(e.ADFName), 5)
			require.LessOrEqual(t, len(e.ADFName), 16)
			require.True(t, bytes.Contains(b, e.ADFName))
		}
		again, err := contactless.ParsePPSE(b)
		require.NoError(t, err)
		require.Equal(t, es, again)
	})
}

// scriptCard answers the i-th command with the i-th response of its
// script, the last one again when the script runs out; an empty response
// is a removed card.
type scriptCard struct{ responses [][]byte }

func (s *scriptCard) Transmit(context.Context, []byte) ([]byte, error) {
	if len(s.responses) == 0 {
		return nil, apdu.ErrCardRemoved
	}
	r := s.responses[0]
	if len(s.responses) > 1 {
		s.responses = s.responses[1:]
	}
	if len(r) == 0 {
		return nil, apdu.ErrCardRemoved
	}
	return r, nil
}

// splitScript cuts fuzz input into responses: each is a length byte and
// that many bytes.
func splitScript(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 64 {
		n := min(int(b[0]), len(b)-1)
		out = append(out, b[1:1+n])
		b = b[1+n:]
	}
	return out
}

func script(rs ...[]byte) []byte {
	var b []byte
	for _, r := range rs {
		b = append(b, byte(len(r)))
		b = append(b, r...)
	}
	return b
}

// FuzzEntryPoint runs the Entry Point against a card whose answers are
// the fuzz input, with a stub kernel that sends one command and returns
// the outcome named by its answer. Whatever the card says, Run ends with
// an outcome or one of its documented errors, within its bounds.
func FuzzEntryPoint(f *testing.F) {
	f.Add(script(ppse(entry(visaAID)), adf(visaAID), []byte{0x01, 0x90, 0x00}))
	f.Add(script(ppse(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2)), adf(visaAID), []byte{0x05, 0x90, 0x00}, adf(mcAID), []byte{0x07, 0x90, 0x00}))
	f.Add(script([]byte{0x6A, 0x82}))
	f.Add(script(nil, ppse(entry(upiAID)), []byte{0x6A, 0x81}))
	f.Add(script(ppse(entry(visaAID)), adf(visaAID), nil, ppse(entry(visaAID)), adf(visaAID), []byte{0x03, 0x90, 0x00}))
	for _, v := range ppseVectors(f) {
		f.Add(script(unhex(v[0]), unhex(v[1]), []byte{0x03, 0x01, 0x90, 0x00}))
	}
	cfg := testConfig(visa(), mastercard(), unionpay())
	k := contactless.KernelFunc(func(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
		r, err := apdu.Exchange(ctx, a.Card, apdu.GetProcessingOptions(nil))
		if err != nil {
			return nil, err
		}
		var s contactless.OutcomeStatus
		if len(r.Data) > 0 {
			s = contactless.OutcomeStatus(r.Data[0] & 0x0F)
		}
		o := outcome(s)
		if len(r.Data) > 1 {
			o.Parameters.Start = contactless.Start(r.Data[1] & 0x0F)
		}
		return o, nil
	})
	ep := &contactless.EntryPoint{Config: cfg, Kernels: kernels(k, 2, 3, 7)}
	f.Fuzz(func(t *testing.T, b []byte) {
		txn := purchase
		res, err := ep.Run(context.Background(), contactless.OneCard(&scriptCard{splitScript(b)}), &txn)
		require.NotNil(t, res)
		if err != nil {
			require.True(t, errors.Is(err, contactless.ErrTooManyRestarts) || errors.Is(err, contactless.ErrCollision), "%v", err)
		} else {
			require.NotNil(t, res.Outcome)
			switch res.Outcome.Parameters.Status {
			case contactless.StatusSelectNext, contactless.StatusTryAgain:
				t.Fatalf("a restart outcome is not final: %s", res.Outcome)
			}
		}
		require.LessOrEqual(t, len(res.Restarts), contactless.MaxRestarts)
		require.LessOrEqual(t, len(res.Trace), contactless.MaxExchanges)
	})
}

// ppseVectors returns the recorded SELECT PPSE and final SELECT responses
// of testdata/ppse_vectors.json.
func ppseVectors(tb testing.TB) [][2]string {
	raw, err := os.ReadFile("testdata/ppse_vectors.json")
	require.NoError(tb, err)
	var f struct {
		Vectors []struct {
			SelectPPSE  struct{ Response string } `json:"select_ppse"`
			FinalSelect struct{ Response string } `json:"final_select"`
		}
	}
	require.NoError(tb, json.Unmarshal(raw, &f))
	require.NotEmpty(tb, f.Vectors)
	var out [][2]string
	for _, v := range f.Vectors {
		out = append(out, [2]string{v.SelectPPSE.Response, v.FinalSelect.Response})
	}
	return out
}
