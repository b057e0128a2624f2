package emvtest

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVisaCDAFullFlow(t *testing.T) {
	c := NewCard(VisaCDA())
	// Book 1 §12.2.2: SELECT PSE, then read the directory records.
	r := send(t, c, apdu.Select([]byte("1PAY.SYS.DDF01"), false))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, []byte{1}, find(t, r.Data, 0x88))
	r = send(t, c, apdu.ReadRecord(1, 1))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("A0000000031010"), find(t, r.Data, 0x4F))
	r = send(t, c, apdu.ReadRecord(1, 2))
	assert.Equal(t, apdu.SWRecordNotFound, r.SW)

	r = startTransaction(t, c, h("A0000000031010"), nil)
	require.Equal(t, apdu.SWOK, r.SW)
	tag, v, err := tlv.Single(r.Data)
	require.NoError(t, err)
	require.Equal(t, tlv.Tag(0x80), tag)
	assert.Equal(t, h("3D00"), v[:2])
	recs := readAFL(t, c, v[2:])
	require.NotEmpty(t, recs)

	r = send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, []byte{0x80}, find(t, r.Data, 0x9F27))
	assert.Equal(t, []byte{0x00, 0x11}, find(t, r.Data, 0x9F36))
	assert.Len(t, find(t, r.Data, 0x9F26), 8)
}
