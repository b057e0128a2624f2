package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 4 §6.3.6: a card whose chip has no application the counter
// supports sends the cashier to the magnetic stripe, and the counter goes
// on to the next sale.
func TestCounterTechnicalFallback(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/cards/visa-cda.json")
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	p["applications"].([]any)[0].(map[string]any)["aid"] = "A0000009999901"
	raw, err = json.Marshal(p)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "unknown-aid.json")
	require.NoError(t, os.WriteFile(path, raw, 0o644))

	out, err := counterRun(t, nil, "01", "2468", "10.00", path, "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "\nCHIP ERROR: emv: transaction terminated in application selection: candidate list empty: emv: no mutually supported application (not accepted)\nUSE THE MAGNETIC STRIPE: swipe the card\n")
	assert.Contains(t, out, "Operator 01 signed off.")
	assert.Empty(t, receipts(out))
}
