package contactless_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayCard answers exactly the recorded commands with the recorded
// responses, and anything else with 6D00.
type replayCard map[string][]byte

func (c replayCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if r, ok := c[fmt.Sprintf("%X", cmd)]; ok {
		return r, nil
	}
	return []byte{0x6D, 0x00}, nil
}

// TestPPSEVectors runs combination selection (Book B §3.3) on the SELECT
// PPSE answers of eight recorded cards, real and scripted
// (testdata/ppse_vectors.json, each with its source): the Candidate List,
// the final SELECT the recorded terminal sent, and the FCI the kernel
// gets.
func TestPPSEVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/ppse_vectors.json")
	require.NoError(t, err)
	var f struct {
		Vectors []struct {
			ID, Source  string
			SelectPPSE  struct{ Command, Response string } `json:"select_ppse"`
			FinalSelect struct{ Command, Response string } `json:"final_select"`
			Candidates  []string
		}
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	require.Len(t, f.Vectors, 8)
	cfg := testConfig(combination("A000000003", 3), combination("A000000004", 2), combination("A000000025", 4), combination("A000000333", 7))
	for _, v := range f.Vectors {
		t.Run(v.ID, func(t *testing.T) {
			require.NotEmpty(t, v.Source)
			card := replayCard{
				v.SelectPPSE.Command:  unhex(v.SelectPPSE.Response),
				v.FinalSelect.Command: unhex(v.FinalSelect.Response),
			}
			k := &stubKernel{}
			res := run(t, cfg, kernels(k, 2, 3, 4, 7), contactless.OneCard(card), purchase)
			assert.Equal(t, v.Candidates, aids(res.Candidates))
			assert.Equal(t, []string{v.SelectPPSE.Command, v.FinalSelect.Command}, commands(res))
			require.Len(t, k.seen, 1)
			assert.Equal(t, strings.TrimSuffix(v.FinalSelect.Response, "9000"), k.seen[0].FCI)
			assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		})
	}
}
