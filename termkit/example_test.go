package termkit_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/termkit"
)

// at is the examples' clock: a recorded time makes the outcome the same
// on every run.
func at() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// A purchase on the virtual card with the demo terminal: offline
// enciphered PIN typed by the bench, CDA, approved offline.
func ExampleDemoConfig() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	cfg := termkit.DemoConfig()
	cfg.CAKeys = card.KeyStore() // the CA keys that sign the virtual card
	cfg.Time = at

	res, err := emv.Run(context.Background(), card, cfg,
		emv.Transaction{Type: emv.Purchase, Amount: 1999},
		&emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome, res.ODA, res.AID, res.TVR)
	// Output:
	// approved CDA A0000000031010 0000000000
}

// A test bench scripts a wrong PIN and then the right one: the card
// refuses 9999 (63C2), and the pad types 1234 when the card asks again.
func ExamplePINPad() {
	card := emvtest.NewCard(emvtest.VisaSDA())
	cfg := termkit.DemoConfig()
	termkit.TrustCard(cfg, card)
	cfg.Time = at

	res, err := emv.Run(context.Background(), card, cfg,
		emv.Transaction{Type: emv.Purchase, Amount: 1000},
		&emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"9999", "1234"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome, res.CVMResults)
	fmt.Println(strings.Join(res.Trace.Commands(), " "))
	// Output:
	// approved 410302 (Plaintext PIN verification performed by ICC; If terminal supports the CVM; successful)
	// SELECT READ RECORD READ RECORD SELECT GET PROCESSING OPTIONS READ RECORD READ RECORD READ RECORD READ RECORD GET DATA VERIFY VERIFY GET DATA GET DATA GENERATE AC
}

// An online authorisation with an online PIN: the virtual issuer checks
// the ARQC and the PIN block (ISO 9564-1 format 4 under the PIN key it
// shares with the PIN pad). The right PIN is approved; a wrong one is
// declined with ISO 8583 response code 55, incorrect PIN.
func ExampleIssuerHost() {
	for _, pin := range []string{"1234", "9999"} {
		card := emvtest.NewCard(emvtest.MastercardDDA())
		cfg := termkit.DemoConfig()
		cfg.CAKeys = card.KeyStore()
		cfg.Time = at

		res, err := emv.Run(context.Background(), card, cfg,
			emv.Transaction{Type: emv.Purchase, Amount: 7500},
			&emv.Terminal{
				PINPad: &termkit.PINPad{PINs: []string{pin}},
				Host:   termkit.IssuerHost{Issuer: emvtest.IssuerFor(card)},
			})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Outcome, "ARC", res.ARC, "CVM", res.CVMResults)
	}
	// Output:
	// online approved ARC 00 CVM 420300 (Enciphered PIN verified online; If terminal supports the CVM; unknown)
	// online declined ARC 55 CVM 420300 (Enciphered PIN verified online; If terminal supports the CVM; unknown)
}

// A host's answer pasted from its log as field 55 (8A, 91): the card
// checks the ARPC, which here is not its issuer's, so issuer
// authentication fails (TVR byte 5 bit 7); this card does not require
// it, and accepts the approval.
func ExampleResponseHost() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	cfg := termkit.DemoConfig()
	cfg.CAKeys = card.KeyStore()
	cfg.Time = at
	host, err := termkit.NewResponseHost("", []byte{0x8A, 0x02, '0', '0', 0x91, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, '0', '0'})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := emv.Run(context.Background(), card, cfg,
		emv.Transaction{Type: emv.Purchase, Amount: 10000},
		&emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: host})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome, res.ARC, res.TVR)
	// Output:
	// online approved 00 0000008040 [Transaction exceeds floor limit; Issuer authentication failed]
}

// Amounts by the currency's ISO 4217 code and exponent.
func ExampleLookupCurrency() {
	for _, code := range []uint16{840, 392, 414} {
		c, err := termkit.LookupCurrency(code)
		if err != nil {
			fmt.Println(err)
			return
		}
		v, err := c.Parse("12")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.Code, c, c.Exponent, v, c.Display(v))
	}
	_, err := termkit.LookupCurrency(840)
	if c, _ := termkit.LookupCurrency(840); err == nil {
		_, err = c.Parse("1.234")
		fmt.Println(err)
	}
	// Output:
	// 840 USD 2 1200 USD 12.00
	// 392 JPY 0 12 JPY 12
	// 414 KWD 3 12000 KWD 12.000
	// termkit: "1.234" has more than 2 decimals for USD
}

// A console driven by a script: the answers come one line each, a secret
// is not shown.
func ExampleConsole() {
	var screen strings.Builder
	con := termkit.NewConsole(strings.NewReader("19.99\n1234\n"), &screen)
	ctx := context.Background()
	amount, _ := con.ReadLine(ctx, "Amount: ")
	pin, _ := con.ReadSecret(ctx, "PIN: ")
	fmt.Printf("%s, a PIN of %d digits; the screen shows %q\n", amount, len(pin), screen.String())
	// Output:
	// 19.99, a PIN of 4 digits; the screen shows "Amount: 19.99\nPIN: \n"
}

// The cardholder chooses the application of a multi-application card on
// the console (here a script answers "2"); a bench names it by AID.
func ExampleSelector() {
	ctx := context.Background()
	for _, sel := range []*termkit.Selector{
		{Console: termkit.NewConsole(strings.NewReader("2\n"), io.Discard)},
		{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}},
	} {
		card := emvtest.NewCard(emvtest.MultiApplication())
		cfg := termkit.DemoConfig()
		cfg.CAKeys = card.KeyStore()
		cfg.Time = at
		res, err := emv.Run(ctx, card, cfg, emv.Transaction{Type: emv.Purchase, Amount: 1000},
			&emv.Terminal{Selector: sel, PINPad: &termkit.PINPad{PINs: []string{"1234"}}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.AID, res.Label, res.Outcome)
	}
	// Output:
	// A0000000032010 VISA DEBIT approved
	// A0000000041010 MASTERCARD approved
}

// The terminal's own currency, as its configuration gives it (5F2A and
// 5F36), for the amount a screen or a receipt shows.
func ExampleConfigCurrency() {
	cfg := termkit.DemoConfig()
	usd := termkit.ConfigCurrency(cfg)
	fmt.Println(usd.Code, usd, usd.Display(123456))
	// Output:
	// 840 USD USD 1234.56
}

// Without a host able to check cryptograms, FixedHost answers an ARC and
// no ARPC: the card approves or declines on the ARC alone.
func ExampleFixedHost() {
	for _, approve := range []bool{true, false} {
		card := emvtest.NewCard(emvtest.VisaCDA())
		cfg := termkit.DemoConfig()
		if err := termkit.TrustCard(cfg, card); err != nil {
			fmt.Println(err)
			return
		}
		cfg.Time = at
		res, err := emv.Run(context.Background(), card, cfg,
			emv.Transaction{Type: emv.Purchase, Amount: 10000},
			&emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: termkit.FixedHost{Approve: approve}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Outcome, res.ARC)
	}
	// Output:
	// online approved 00
	// online declined 05
}
