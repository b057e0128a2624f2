package emv

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values cut from the arena never overlap: each has its length for
// capacity, an append to room() that stays in the arena is kept there,
// one that outgrows it is a value of its own, and a full arena hands out
// new bytes.
func TestArenaValuesDoNotOverlap(t *testing.T) {
	s := &transactionState{}
	a := s.bcd(840, 2)
	b := s.bytesOf(1, 2, 3)
	require.Equal(t, []byte{0x08, 0x40}, a)
	require.Equal(t, []byte{1, 2, 3}, b)
	assert.Equal(t, 2, cap(a))
	assert.Equal(t, 3, cap(b))
	c := s.keep(append(s.room(), 9, 8, 7, 6))
	assert.Equal(t, []byte{9, 8, 7, 6}, c)
	assert.Equal(t, 4, cap(c))
	assert.Equal(t, 9, s.arenaUsed)
	d := s.keep(append(s.room(), 5))
	assert.Equal(t, []byte{5}, d)
	assert.Nil(t, s.keep(s.room()[:0]), "nothing appended is nil")
	_ = append(a, 0xEE) // an append to a value cannot reach the next
	assert.Equal(t, []byte{1, 2, 3}, b)
	assert.Equal(t, []byte{0x08, 0x40, 1, 2, 3, 9, 8, 7, 6, 5}, s.arena[:10])

	big := s.keep(append(s.room(), make([]byte, arenaSize)...))
	assert.Len(t, big, arenaSize)
	assert.Equal(t, 10, s.arenaUsed, "a value that outgrew the arena is not in it")
	rest := s.take(arenaSize - 10)
	assert.Equal(t, arenaSize, s.arenaUsed)
	assert.Len(t, rest, arenaSize-10)
	more := s.bytesOf(4, 4)
	assert.Equal(t, []byte{4, 4}, more, "a full arena gives new bytes")
	assert.Equal(t, arenaSize, s.arenaUsed)
	more[0] = 0xFF
	assert.Equal(t, []byte{5}, d)
}

// cloneAll copies as bytes.Clone does, nil to nil and empty to empty,
// into one allocation whose parts cannot reach each other.
func TestCloneAllIsClone(t *testing.T) {
	a, b, c := []byte{1, 2}, []byte{}, []byte{3}
	var out [4][]byte
	cloneAll(out[:], a, nil, b, c)
	for i, v := range [][]byte{a, nil, b, c} {
		assert.Equal(t, bytes.Clone(v), out[i], "value %d", i)
		assert.Equal(t, v == nil, out[i] == nil, "value %d nil", i)
		assert.Equal(t, len(v), cap(out[i]), "value %d capacity", i)
	}
	a[0] = 9
	assert.Equal(t, []byte{1, 2}, out[0], "a copy")
	_ = append(out[0], 7)
	assert.Equal(t, []byte{3}, out[3])
}
