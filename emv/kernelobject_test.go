package emv_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kernel object of a session file is emv.Recording: the sessions of
// testdata/sessions/external and testdata/sessions/virtual alike are read
// with emv.ReadRecording, replayed with Recording.Replay and checked with
// Recording.Check.

// readSessionFile reads a session file, checks that it is in the stable
// layout apdu writes (reading and writing it gives the same bytes, so a
// re-recording shows as a small diff) and decodes its kernel object
// strictly.
func readSessionFile(t *testing.T, raw []byte) (*apdu.Session, *emv.Recording) {
	t.Helper()
	sess, err := apdu.ReadSession(bytes.NewReader(raw))
	require.NoError(t, err)
	var again bytes.Buffer
	require.NoError(t, sess.Write(&again))
	assert.Equal(t, string(raw), again.String(), "file layout differs from apdu.Session.Write")
	k, err := emv.ReadRecording(sess.Kernel)
	require.NoError(t, err, "kernel object")
	return sess, k
}

// replayRecording runs the transaction the kernel object describes on
// card and checks what it showed against its expect.
func replayRecording(t *testing.T, k *emv.Recording, card apdu.Transceiver) *emv.Replayed {
	t.Helper()
	p, err := k.Replay(context.Background(), card)
	require.NoError(t, err, "the recording runs")
	if testing.Verbose() {
		res := p.Result
		t.Logf("outcome %s, err %v\naid %X oda %s tvr %X tsi %X cvm %X\ncommands %s\noffered %q", res.Outcome, p.Err,
			res.AID, res.ODA, res.TVR[:], res.TSI[:], res.CVMResults[:], res.Trace.Compact(), p.Offered)
	}
	if k.Expect.Divergence != "" {
		t.Logf("diverges from the source: %s", k.Expect.Divergence)
	}
	assert.NoError(t, k.Check(p))
	return p
}
