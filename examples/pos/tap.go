package main

import (
	"context"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel3"
	"github.com/emvkit/emvkit/contactless/kernel7"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/termkit"
	"github.com/emvkit/emvkit/tlv"
)

// tapKernels are the counter's contactless kernels: Kernel 3 (Visa
// qVSDC) and Kernel 7 (UnionPay QuickPass).
var tapKernels = map[contactless.KernelID]contactless.Kernel{
	contactless.Kernel3: kernel3.New(kernel3.Config{}),
	contactless.Kernel7: kernel7.New(kernel7.Config{}),
}

// contactlessCard reports whether a card's ATR is the one a PC/SC reader
// builds for an ISO/IEC 14443-4 card (PC/SC Part 3: 3B 8n 80 01): the
// card was tapped.
func contactlessCard(atr []byte) bool {
	return len(atr) >= 4 && atr[0] == 0x3B && atr[1]&0xF0 == 0x80 && atr[2] == 0x80 && atr[3] == 0x01
}

// tapField is the reader's field with the one tapped card in it.
type tapField struct{ card apdu.Transceiver }

func (f *tapField) Poll(ctx context.Context) (apdu.Transceiver, error) { return f.card, ctx.Err() }
func (f *tapField) Off(ctx context.Context, _ time.Duration) error     { return ctx.Err() }
func (f *tapField) WaitRemoval(ctx context.Context, _ time.Duration) error {
	return ctx.Err()
}

// tap runs a sale, refund or pre-authorisation on a tapped card: the
// amount first (a contactless kernel needs it before the card is
// activated, Book A §5.1), then the Entry Point (Book B) with Kernels 3
// and 7, and the acquirer for an Online Request outcome. The Entry
// Point's configuration is the contactless section of -config, else the
// examples' built-in reader. Start B (a second tap with the issuer's
// data) is not offered: the counter takes the host's answer as final.
func (c *counter) tap(ctx context.Context, k *kind, orig *entry, stan uint32, card *heldCard) error {
	if k.name == "balance" {
		c.con.Printf("%s\n", c.tr("insertBalance"))
		return nil
	}
	limit := uint64(0)
	if orig != nil {
		var err error
		if limit, err = c.amountRule(k, orig); err != nil {
			return err
		}
	}
	amount, err := c.askAmount(ctx, limit)
	if err != nil {
		return err
	}
	cfg := termkit.DemoContactlessConfig()
	if c.configPath != "" {
		if cfg, err = contactless.LoadConfig(c.configPath); err != nil {
			c.con.Printf("%s: %v\n", c.tr("noTapReader"), err)
			return nil
		}
	}
	if cfg.CAKeys == nil {
		cfg.CAKeys = oda.NewKeyStore()
	}
	if err := termkit.TrustCardKeys(cfg.CAKeys, card.virtual); err != nil {
		return err
	}
	c.con.Printf("%s: %s\n", c.tr("tap"), c.money(amount))
	ep := &contactless.EntryPoint{Config: cfg, Kernels: tapKernels, UI: func(u contactless.UIRequest) { c.con.Printf("[%s]\n", u) }}
	now := c.env.now()
	r, err := ep.Run(ctx, &tapField{card: card.chip}, &contactless.Transaction{Type: byte(k.emvType), Amount: amount, Time: now})
	if err != nil {
		if fatal(ctx, err) {
			return err
		}
		c.con.Printf("\n%s: %v\n", c.tr("notCompleted"), err)
		return nil
	}
	out := r.Outcome
	rec := out.DataRecord
	pan := ""
	if v, ok := tlv.Find(rec, 0x5A); ok {
		pan = tlv.Digits(v)
	} else if v, ok := tlv.Find(rec, 0x57); ok {
		pan = fmt.Sprintf("%X", v)
		for i := range len(pan) {
			if pan[i] == 'D' {
				pan = pan[:i]
				break
			}
		}
	}
	e := &entry{STAN: stan, Time: now, Operator: c.operator, Kind: k.name, MTI: k.mti, ProcessingCode: k.processingCode(),
		Amount: amount, MaskedPAN: tlv.MaskPAN(pan), Entry: "tap", Outcome: "declined", Field55: field55(rec)}
	if orig != nil {
		e.Original = orig.STAN
	}
	switch out.Parameters.Status {
	case contactless.StatusApproved:
		e.Outcome = "approved"
	case contactless.StatusOnlineRequest:
		req := &authRequest{MTI: k.mti, PAN: pan, ProcessingCode: k.processingCode(), Amount: amount, STAN: stan, Time: now,
			EntryMode: "071", TerminalID: c.cfg.TerminalID, MerchantID: c.cfg.MerchantID, Currency: cfg.Currency, ICCData: e.Field55}
		if v, ok := tlv.Find(rec, 0x5F34); ok {
			req.PANSequence = tlv.Digits(v)
		}
		if orig != nil {
			req.OriginalSTAN, req.OriginalRRN, req.OriginalAuthCode = orig.STAN, orig.RRN, orig.AuthCode
		}
		if out.Parameters.CVM == contactless.CVMOnlinePIN {
			pad := &termkit.PINPad{Console: c.con, Rand: c.env.rand}
			packed, _ := hexDigits(pan)
			b, err := pad.EnterOnlinePIN(ctx, cvm.PINRequest{Kind: cvm.OnlinePIN, TriesLeft: -1, Amount: amount, PAN: packed})
			if fatal(ctx, err) {
				return err
			}
			req.OnlinePIN = err == nil
			b.Zero()
		}
		resp, lost, err := c.online(ctx, req)
		if err != nil {
			return err
		}
		if lost {
			if err := c.reverseEntry(ctx, e, req, "no answer"); err != nil {
				return err
			}
		}
		if resp != nil {
			e.RRN, e.AuthCode, e.ResponseCode = resp.RRN, resp.AuthCode, resp.ResponseCode
			if resp.ResponseCode == "00" {
				e.Outcome = "approved"
			}
		}
	case contactless.StatusTryAnotherInterface:
		c.con.Printf("%s\n", c.tr("insertNoTap"))
		return nil
	case contactless.StatusDeclined:
	default:
		c.con.Printf("\n%s: %s\n", c.tr("notCompleted"), out.Parameters.Status)
		return nil
	}
	if err := c.journal.add(e); err != nil {
		return err
	}
	if err := c.receipts(ctx, k, e, nil); err != nil {
		return err
	}
	c.con.Printf("%s\n", c.tr("removeTapCard"))
	return nil
}

// field55 is a tap's Data Record without what the authorisation carries
// apart or never: the PAN 5A, track 2 57, the cardholder name 5F20.
func field55(rec []byte) []byte {
	var out []byte
	it := tlv.NewIter(rec)
	for it.Next() {
		switch it.Tag() {
		case 0x5A, 0x57, 0x5F20:
			continue
		}
		out = append(out, it.Raw()...)
	}
	return out
}
