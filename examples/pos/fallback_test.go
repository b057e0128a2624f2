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

	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "01", "2468", "1", path, "", "10.00", // the chip fails: swipe, amount
		"1", "swipe "+path, // a chip card swiped without a chip failure
		"")
	require.NoError(t, err, out)
	assert.Contains(t, out, "\nCHIP ERROR: emv: transaction terminated in application selection: candidate list empty: emv: no mutually supported application (not accepted)\n请刷卡 USE THE MAGNETIC STRIPE: swipe the card\n")
	assert.Contains(t, out, "SWIPED 476173******0119D****************\nCARD 卡号 476173******0119  EXPIRY 有效期 12/30\n")
	// Field 22 "801": stripe read after a chip failure; field 35 masked.
	assert.Contains(t, out, "> 0200 2=476173******0119 3=000000 4=000000001000 11=000002 22=801 35=476173******0119D**************** 41=DEMO0001 49=840\n  < 0210 37=261123000002 38=120567 39=00\n")
	rs := receipts(out)
	require.Len(t, rs, 2)
	assert.Contains(t, rs[0], "消费 SALE                       FALLBACK\n")
	// Service code 201: a chip card; swiped first, it is sent to the chip.
	assert.Contains(t, out, "是否是IC卡? 请插卡 IC CARD: PLEASE INSERT THE CARD\n")
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 1000 476173******0119 fallback 261123000002 120567 00 approved", es[0].line())
	assert.Empty(t, es[0].Field55)
	secrets(t, out, "4761739001010119", "2468")
}
