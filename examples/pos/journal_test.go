package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The journal is a database file: what was written is read back after
// the counter closes it and opens it again (a restart), the STAN goes on
// from the last one, and a closed batch opens the next.
func TestJournalSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	now := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	j, err := openJournal(path, now)
	require.NoError(t, err)
	stan, err := j.nextSTAN()
	require.NoError(t, err)
	assert.Equal(t, uint32(1), stan)
	e := &entry{STAN: stan, Time: now, Operator: "01", Kind: "sale", MTI: "0200", ProcessingCode: "000000", Amount: 2500,
		MaskedPAN: "476173******0119", Entry: "chip", AuthCode: "123456", RRN: "261123000001", ResponseCode: "00",
		Outcome: "approved", Field55: []byte{0x9F, 0x36, 0x02, 0x00, 0x11}}
	require.NoError(t, j.add(e))
	require.NoError(t, j.Close())

	j, err = openJournal(path, now.Add(time.Hour))
	require.NoError(t, err)
	defer j.Close()
	got, err := j.find(1)
	require.NoError(t, err)
	want := *e
	want.ID, want.Batch = 1, 1
	assert.Equal(t, &want, got)
	stan, err = j.nextSTAN()
	require.NoError(t, err)
	assert.Equal(t, uint32(2), stan)

	require.NoError(t, j.markVoided(1))
	closed, err := j.closeBatch(now.Add(2 * time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, closed)
	b, err := j.batch()
	require.NoError(t, err)
	assert.Equal(t, 2, b)
	es, err := j.entries(1)
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.True(t, es[0].Voided)
	assert.False(t, es[0].approved())
	none, err := j.find(7)
	require.NoError(t, err)
	assert.Nil(t, none)
}
