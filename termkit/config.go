package termkit

import (
	"errors"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
)

// DemoConfig is a terminal that works with the virtual cards of package
// emv/emvtest: an attended, online-capable terminal (22) in the United
// States, US dollars, a floor limit of 50.00 and common Visa action codes,
// supporting the Visa credit and debit and the Mastercard applications.
// It trusts no CA key: add a virtual card's with [TrustCard], or set
// CAKeys to the card's [emvtest.Card.KeyStore].
func DemoConfig() *emv.Config {
	floor := uint64(5000)
	denial := tvr.TVR{0x00, 0x10, 0x00, 0x00, 0x00}
	online := tvr.TVR{0xDC, 0x40, 0x04, 0xF8, 0x00}
	def := tvr.TVR{0xDC, 0x40, 0x00, 0xA8, 0x00}
	return &emv.Config{
		Country:              840,
		Currency:             840,
		CurrencyExponent:     2,
		MerchantCategory:     5999,
		MerchantID:           "EMVKITDEMO00001",
		MerchantNameLocation: "EMVKIT DEMO SHOP",
		TerminalID:           "DEMO0001",
		IFDSerial:            "IFD00001",
		Applications: []emv.Application{
			{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}},
			{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x20, 0x10}},
			{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, Params: emv.AppParams{Version: []byte{0x00, 0x02}}},
		},
		AppParams: emv.AppParams{
			Version:    []byte{0x00, 0x8C},
			FloorLimit: &floor,
			TACDenial:  &denial,
			TACOnline:  &online,
			TACDefault: &def,
		},
	}
}

// DemoContactlessConfig is the contactless reader of the examples'
// terminal when no configuration file is given: the terminal data of
// [DemoConfig] and the Visa applications (A0000000031010, A0000000032010)
// by Kernel 3 with TTQ 3600C000 (qVSDC, online PIN, signature; issuer
// update processing and consumer device CVM supported), and Mastercard
// (A0000000041010) by Kernel 2 with Application Version 0002 and the
// Kernel 2 terminal data of Book C-2 Annex A at their defaults but for
// the CVM Capability – CVM Required DF8118 60 (online PIN and signature,
// the CVMs of the Visa TTQ; the book's default 00 would leave a tap above
// the CVM Required Limit without a CVM). Limits in cents,
// as in testdata/terminals/test-bench.json: no contactless transaction of
// 1000.00 or more, online above 50.00, a CVM from 50.00; a zero amount is
// allowed. It trusts no CA key: add a virtual card's with [TrustCardKeys].
func DemoContactlessConfig() *contactless.Config {
	c := DemoConfig()
	visa := func(aid []byte) contactless.CombinationConfig {
		limit := func(v uint64) *uint64 { return &v }
		return contactless.CombinationConfig{
			AID: aid, Kernel: contactless.Kernel3, ApplicationVersion: []byte{0x00, 0x96},
			ZeroAmountAllowed:                 true,
			ReaderContactlessTransactionLimit: limit(100000),
			ReaderContactlessFloorLimit:       limit(5000),
			ReaderCVMRequiredLimit:            limit(5000),
			TTQ:                               []byte{0x36, 0x00, 0xC0, 0x00},
		}
	}
	mastercard := visa([]byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10})
	mastercard.Kernel, mastercard.ApplicationVersion, mastercard.TTQ = contactless.Kernel2, []byte{0x00, 0x02}, nil
	mastercard.KernelData = []byte{0xDF, 0x81, 0x18, 0x01, 0x60} // CVM Capability – CVM Required (Book C-2 Annex A)
	return &contactless.Config{
		Country: c.Country, Currency: c.Currency, CurrencyExponent: c.CurrencyExponent,
		MerchantCategory: c.MerchantCategory, MerchantID: c.MerchantID,
		MerchantNameLocation: c.MerchantNameLocation, TerminalID: c.TerminalID, IFDSerial: c.IFDSerial,
		Combinations: []contactless.CombinationConfig{
			visa([]byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}),
			visa([]byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x20, 0x10}),
			mastercard,
		},
	}
}

// TrustCard adds the CA public keys that sign a virtual card (RSA and,
// for an EMV 4.4 ECC card, ECC) to the terminal's key store, creating it
// if needed; keys already there are kept.
func TrustCard(cfg *emv.Config, card *emvtest.Card) error {
	if cfg.CAKeys == nil {
		cfg.CAKeys = card.KeyStore()
		return nil
	}
	return TrustCardKeys(cfg.CAKeys, card)
}

// TrustCardKeys adds the CA public keys that sign a virtual card to ks.
// Keys already there are kept.
func TrustCardKeys(ks *oda.KeyStore, card *emvtest.Card) error {
	for _, k := range card.CAPublicKeys() {
		if err := ks.Add(k.CAKey()); err != nil && !errors.Is(err, oda.ErrDuplicateKey) {
			return err
		}
	}
	return nil
}
