package kernel2

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A state emptied after an activation holds no card or terminal data:
// everything zero but its two tables of data objects, themselves all
// zero, and a second activation on it gives the first one's outcome.
func TestStateReset(t *testing.T) {
	run := func(st *transactionState) *contactless.Outcome {
		tp := newTap(t, emvtest.NewCard(emvtest.MastercardOffline()), tapOpts{amount: 2000})
		st.ctx, st.k, st.a = context.Background(), tp.kernel(), tp.act
		out, err := st.run()
		require.NoError(t, err)
		require.Equal(t, contactless.StatusApproved, out.Parameters.Status)
		return out
	}
	st := new(transactionState)
	first := run(st)
	require.NotNil(t, st.card.objs)
	require.NotNil(t, st.term)
	require.Positive(t, st.card.n)
	require.Positive(t, st.nterm)
	objs, term := st.card.objs, st.term

	st.reset()
	assert.Equal(t, transactionState{card: cardData{objs: objs}, term: term}, *st)
	assert.Equal(t, [96]tagValue{}, *objs)
	assert.Equal(t, [48]tagValue{}, *term)

	second := run(st)
	assert.Equal(t, first, second)
	assert.Same(t, objs, st.card.objs, "the tables are kept")
	assert.Same(t, term, st.term)
}
