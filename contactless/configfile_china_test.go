package contactless_test

import (
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Chinese counter's file: the contactless reader reads its part (the
// UnionPay combinations of Kernel 7, CNY, the languages of the cardholder
// messages, Chinese first) and skips the contact keys.
func TestLoadChinaCounter(t *testing.T) {
	c, err := contactless.LoadConfig("../testdata/terminals/china-counter.json")
	require.NoError(t, err)
	assert.Equal(t, uint16(156), c.Country)
	assert.Equal(t, uint16(156), c.Currency)
	assert.Equal(t, 2, c.CurrencyExponent)
	assert.Equal(t, []string{"zh", "en"}, c.Languages)
	_, ok := c.CAKeys.Key(unhex("A000000333"), 0xE1)
	assert.True(t, ok)
	var got []string
	for _, cc := range c.Combinations {
		got = append(got, fmt.Sprintf("%X/%d ttq=%X cvm=%d floor=%d", cc.AID, cc.Kernel, cc.TTQ, *cc.ReaderCVMRequiredLimit, *cc.ReaderContactlessFloorLimit))
	}
	assert.Equal(t, []string{
		"A000000333010101/7 ttq=36008000 cvm=100000 floor=100000",
		"A000000333010102/7 ttq=36008000 cvm=100000 floor=100000",
		"A000000333010103/7 ttq=36008000 cvm=100000 floor=100000",
	}, got)
}
