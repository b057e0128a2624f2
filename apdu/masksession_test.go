package apdu

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A masked session replaces the PAN, track 2 and cardholder name by the
// same stand-in wherever they occur (PCI DSS 3.4: first six and last four
// digits kept), in the responses, the commands and the kernel's header,
// and leaves every other byte as it was.
func TestSessionMasked(t *testing.T) {
	record := unhex(t, "70 33"+
		" 57 13 4761739001010119 D2512201 123456789012 3F"+
		" 5F20 0A 444F452F4A4F484E2020"+ // "DOE/JOHN  "
		" 5A 08 4761739001010119"+
		" 9F1F 04 31323334"+
		" 9000")
	s := &Session{
		Source: "a reader", Proves: "a purchase",
		Kernel: []byte(`{"terminal":{},"transaction_log":[{"pan":"4761739001010119"}],"note":"DOE/JOHN  ","x":"4761739001010119"}`),
		Exchanges: []SessionExchange{
			{Command: unhex(t, "00B2010C00"), Response: record},
			// A command carrying the PAN (a proprietary one) is masked too.
			{Command: unhex(t, "80CA000008 4761739001010119"), Response: unhex(t, "9000")},
			{Command: unhex(t, "0020008008 0000000000000000"), Error: SessionErrorCardRemoved},
		},
	}
	m := s.Masked()
	want := unhex(t, "70 33"+
		" 57 13 4761730000000119 D2512201 000000000000 0F"+
		" 5F20 0A 58585858585858585858"+
		" 5A 08 4761730000000119"+
		" 9F1F 04 58585858"+
		" 9000")
	assert.Equal(t, want, m.Exchanges[0].Response)
	assert.Equal(t, unhex(t, "00B2010C00"), m.Exchanges[0].Command)
	assert.Equal(t, unhex(t, "80CA000008 4761730000000119"), m.Exchanges[1].Command)
	assert.Equal(t, SessionErrorCardRemoved, m.Exchanges[2].Error)
	assert.JSONEq(t, `{"terminal":{},"transaction_log":[{"pan":"4761730000000119"}],"note":"XXXXXXXXXX","x":"4761730000000119"}`, string(m.Kernel))
	assert.Equal(t, "a reader", m.Source)

	// The original is left as it was, and the masked one is a valid file.
	assert.True(t, bytes.Contains(s.Exchanges[0].Response, unhex(t, "4761739001010119")))
	var out bytes.Buffer
	require.NoError(t, m.Write(&out))
	assert.NotContains(t, out.String(), "4761739001010119")
	assert.NotContains(t, out.String(), "DOE/JOHN")
}
