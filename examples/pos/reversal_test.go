package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The issuer approves, the ARPC is damaged on the way, the card (which
// requires issuer authentication) answers an AAC at the second GENERATE
// AC (Book 3 §10.11): the counter reverses the approval (0400 with the
// final field 55) and the journal marks the sale reversed.
func TestCounterReversalCardDeclinedAfterApproval(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db, "-fault", "arpc"}, "01", "2468",
		"1", "mastercard-dda", "", "10.00", "8642", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "  < 0210 37=261123000002 38=120567 39=00 55=[14 bytes: 91 8A]\n[DECLINED]\n冲正 REVERSAL: card declined after approval\n拨号中 DIALLING (1/3)...\n  > 0400 2=541333******0011 3=000000 4=000000001000 11=000002 22=051 23=03 41=DEMO0001 49=840 55=[")
	assert.Contains(t, out, "61=000002\n  < 0410 37=261123000002 39=00\n")
	assert.NotContains(t, out, "0400 2=541333******0011 3=000000 4=000000001000 11=000002 22=051 23=03 41=DEMO0001 49=840 52=", "a reversal carries no PIN block")
	rs := receipts(out)
	require.Len(t, rs, 2)
	assert.Contains(t, rs[0], "           交易失败 DECLINED\n")
	assert.Regexp(t, `\nAC [0-9A-F]{16} +AAC\n`, rs[0])
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 1000 541333******0011 chip 261123000002 120567 00 declined reversed", es[0].line())
	secrets(t, out, "5413330089020011", "8642", "2468")
}

// The line: the first dial fails and the counter dials again (up to 3
// times); the request goes out, its answer never comes: communication
// failure, the kernel completes unable to go online (Book 3 §10.9), and
// the counter reverses what the host may have approved.
func TestCounterReversalNoAnswer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db, "-fault", "down1,lose1"}, "01", "2468",
		"1", "", "", "100.00", "1234", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "联机中 AUTHORISING...\n拨号中 DIALLING (1/3)...\n拨号中 DIALLING (2/3)...\n  > 0200 ")
	assert.Contains(t, out, "通讯失败 COMMUNICATION FAILURE: pos: no answer from the acquirer in time\n")
	assert.Contains(t, out, "冲正 REVERSAL: no answer\n拨号中 DIALLING (1/3)...\n  > 0400 2=476173******0119 3=000000 4=000000010000 11=000002 ")
	rs := receipts(out)
	require.Len(t, rs, 2)
	assert.Contains(t, rs[0], "ARC                                   Z3\n")
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 10000 476173******0119 chip    declined reversed", es[0].line())

	// Three failed dials: communication failure, nothing sent, nothing to
	// reverse.
	out, err = counterRun(t, []string{"-fault", "down3"}, "01", "2468", "1", "", "", "100.00", "1234", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "拨号中 DIALLING (3/3)...\n通讯失败 COMMUNICATION FAILURE: pos: no connection to the acquirer\n")
	assert.NotContains(t, out, "> 0200")
	assert.NotContains(t, out, "REVERSAL")
}

// -fault values: what each failure means, and a bad value refused with
// what it should have been.
func TestParseFaults(t *testing.T) {
	f, err := parseFaults("down2,lose1,arpc")
	require.NoError(t, err)
	assert.Equal(t, faults{down: 2, lose: 1, breakARPC: true}, f)
	_, err = parseFaults("down-1")
	assert.EqualError(t, err, `pos: -fault "down-1": downN`)
	_, err = parseFaults("slow")
	assert.EqualError(t, err, `pos: -fault "slow": want downN, loseN or arpc`)
}

// A reversal that finds no answer either stays pending in the journal and
// goes again, after a restart, before the next transaction.
func TestCounterPendingReversalAfterRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db, "-fault", "lose2"}, "01", "2468", "1", "", "", "100.00", "1234", "")
	require.NoError(t, err, out)
	assert.Equal(t, 2, strings.Count(out, "通讯失败 COMMUNICATION FAILURE: pos: no answer from the acquirer in time\n"))
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 10000 476173******0119 chip    declined reversal pending", es[0].line())

	out, err = counterRun(t, []string{"-journal", db}, "01", "2468", "1", "", "", "25.00", "1234", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Choice (Enter: sign off): 1\n冲正 REVERSAL: pending since STAN 000002\n拨号中 DIALLING (1/3)...\n"+
		"  > 0400 2=476173******0119 3=000000 4=000000010000 11=000002 22=000 41=DEMO0001 49=840 55=[")
	assert.Contains(t, out, "61=000002\n  < 0410 37=261123000002 39=00\n\n--- 消费 SALE ---\n")
	es = journalRows(t, db, 1)
	require.Len(t, es, 2)
	assert.Equal(t, "000002 sale 0200 000000 10000 476173******0119 chip    declined reversed", es[0].line())
	assert.Equal(t, "000005 sale 0200 000000 2500 476173******0119 chip    approved", es[1].line())
}
