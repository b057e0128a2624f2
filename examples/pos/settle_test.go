package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A restart: two sales, the counter stops; it starts again on the same
// journal, voids the second sale (read back from the database) and
// settles: the totals by kind (the voided sale out of the sales), the
// 0500 exchange, the batch closed and the next one opened; the STAN goes
// on across the restart.
func TestCounterRestartVoidSettle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "01", "2468",
		"1", "", "", "25.00", "1234",
		"1", "", "", "100.00", "1234",
		"")
	require.NoError(t, err, out)
	require.Len(t, receipts(out), 4)

	out, err = counterRun(t, []string{"-journal", db}, "02", "1357",
		"3", "3", // void the 100.00 sale of before the restart
		"7",      // settlement
		"3", "2", // after the settlement the batch is new: no void
		"")
	require.NoError(t, err, out)
	assert.Contains(t, out, "  > 0800 11=000005 41=DEMO0001 42=EMVKITDEMO00001 60=00000001001 63=02\n")
	assert.Contains(t, out, "Original STAN 原凭证号: 3\nORIGINAL 000003 SALE 476173******0119 USD 100.00\nAMOUNT USD 100.00\n")
	assert.Contains(t, out, "> 0200 2=476173******0119 3=200000 4=000000010000 11=000006 22=012 37=261123000003 38=128486 41=DEMO0001 49=840 61=000003\n")
	assert.Contains(t, out, "  > 0500 11=000007 41=DEMO0001 42=EMVKITDEMO00001 60=00000001201 74=0000000001 76=0000000000 88=0000000000000000 86=0000000000002500\n  < 0510 37=261123000007 39=00\n")
	i := strings.Index(out, "结算单 SETTLEMENT")
	require.Positive(t, i, out)
	report := out[i:]
	report = report[:strings.Index(report, "BATCH 000001 CLOSED")]
	assert.Contains(t, report, "BATCH 000001                 STAN 000007\n\n"+
		"消费 SALE 1                    USD 25.00\n"+
		"预授权完成 PRE-AUTH COMPLETION 0 USD 0.00\n"+
		"退货 REFUND 0                   USD 0.00\n"+
		"撤销 VOID 1                   USD 100.00\n"+
		"预授权 PRE-AUTH 0               USD 0.00\n"+
		"余额查询 BALANCE INQUIRY 0      USD 0.00\n\n"+
		"NET 净额                       USD 25.00\n"+
		"对账平 BALANCED WITH THE ACQUIRER\n")
	assert.Contains(t, out, "BATCH 000001 CLOSED, BATCH 000002 OPEN\n")
	assert.Contains(t, out, "Original STAN 原凭证号: 2\n原交易不在本批次 NOT IN THIS BATCH: USE REFUND\n")

	es := journalRows(t, db, 1)
	var lines []string
	for _, e := range es {
		lines = append(lines, e.line())
	}
	assert.Equal(t, []string{
		"000002 sale 0200 000000 2500 476173******0119 chip    approved",
		"000003 sale 0200 000000 10000 476173******0119 chip 261123000003 128486 00 approved voided",
		"000006 void 0200 200000 10000 476173******0119 key 261123000006 152243 00 approved of 000003",
	}, lines)
	assert.Empty(t, journalRows(t, db, 2))
}
