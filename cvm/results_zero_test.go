package cvm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// CVM Results never set (the transaction stopped before cardholder
// verification) do not read as "Fail CVM processing" (Book 4 §A4: a
// terminal that performed no CVM has 3F0000).
func TestResultsNotSet(t *testing.T) {
	assert.Equal(t, "000000 (cardholder verification not performed)", Results{}.String())
	assert.Equal(t, "000001 (Fail CVM processing; Always; failed)", Results{0x00, 0x00, 0x01}.String())
}
