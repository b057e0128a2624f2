package emv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// typedPIN is a PIN pad whose cardholder always types the same PIN.
type typedPIN string

func (p typedPIN) EnterOfflinePIN(context.Context, cvm.PINRequest) (cvm.PIN, error) {
	return cvm.NewPIN([]byte(p))
}

func (p typedPIN) EnterOnlinePIN(context.Context, cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	return cvm.OnlinePINBlock{}, cvm.ErrPINPadNotWorking
}

// Run a purchase on the virtual Visa-like card: CDA, offline enciphered
// PIN, approved offline under the floor limit.
func ExampleRun() {
	card := emvtest.NewCard(emvtest.VisaCDA())

	keys := card.KeyStore() // the CA public keys that sign the virtual card
	floor := uint64(5000)
	cfg := &emv.Config{
		Country:          840, // United States
		Currency:         840, // US dollar
		CurrencyExponent: 2,
		Applications:     []emv.Application{{AID: []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}}},
		AppParams:        emv.AppParams{FloorLimit: &floor},
		CAKeys:           keys,
		Time:             func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}
	res, err := emv.Run(context.Background(), card, cfg,
		emv.Transaction{Type: emv.Purchase, Amount: 1999},
		&emv.Terminal{PINPad: typedPIN("1234")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome, res.ODA)
	fmt.Printf("TVR %X TSI %X CVM %X\n", res.TVR[:], res.TSI[:], res.CVMResults[:])
	fmt.Println(res.Receipt.MaskedPAN, res.Receipt.Label)
	fmt.Println(res.Trace.Commands()[len(res.Trace)-1])
	// Output:
	// approved CDA
	// TVR 0000000000 TSI E800 CVM 440302
	// 476173******0119 Visa Credit
	// GENERATE AC
}

// Read the card first and ask for the amount afterwards, answering the
// kernel's requests one by one.
func ExampleStart() {
	card := emvtest.NewCard(emvtest.VisaSDA())
	cfg := &emv.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2,
		Applications: []emv.Application{{AID: []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}}},
		Time:         func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}
	s := emv.Start(context.Background(), card, cfg, nil, nil)
	defer s.Close()
	for {
		req, done := s.Next()
		if done != nil {
			fmt.Println("outcome:", done.Result.Outcome)
			return
		}
		switch r := req.(type) {
		case *emv.TransactionDetails:
			fmt.Println("card read:", r.Card.MaskedPAN)
			r.Answer(emv.Transaction{Amount: 2500})
		case *emv.EnterPIN:
			fmt.Println("PIN prompt:", r.PINRequest.Kind)
			pin, _ := cvm.NewPIN([]byte("1234"))
			r.AnswerPIN(pin)
		case *emv.GoOnline:
			fmt.Println("going online")
			r.Answer(&emv.OnlineResponse{Approved: true, ARC: "00"}, nil)
		}
	}
	// Output:
	// card read: 476173******0010
	// PIN prompt: offline plaintext PIN
	// going online
	// outcome: online approved
}

// Record a transaction on the virtual card as a session file, then replay
// the file byte for byte and check that the kernel shows the same: how a
// card's session becomes a test.
func ExampleNewRecording() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	keys := card.KeyStore() // the CA public keys that sign the virtual card
	floor := uint64(5000)
	cfg := &emv.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2,
		Applications: []emv.Application{{AID: []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}}},
		AppParams:    emv.AppParams{FloorLimit: &floor},
		CAKeys:       keys,
	}
	txn := emv.Transaction{Type: emv.Purchase, Amount: 1999, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg.Time = func() time.Time { return txn.Time } // a recording has one time

	// Record: the exchanges, and what the terminal's seams answered (the
	// random bytes drawn; the PIN pad's answer as a token, never the PIN).
	rec := apdu.NewRecorder(card)
	rcfg, term, answers := emv.RecordAnswers(cfg, &emv.Terminal{PINPad: typedPIN("1234")})
	res, err := emv.Run(context.Background(), rec, rcfg, txn, term)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("PIN pad:", answers.Answers().PIN)
	k, err := emv.NewRecording(cfg, txn, res, nil, answers.Answers())
	if err != nil {
		fmt.Println(err)
		return
	}
	sess := rec.Session("virtual card visa-cda", "a purchase approved offline with CDA and offline PIN")
	if sess.Kernel, err = json.Marshal(k); err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	if err := sess.Write(&file); err != nil {
		fmt.Println(err)
		return
	}

	// Replay the file.
	sess, err = apdu.ReadSession(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	k, err = emv.ReadRecording(sess.Kernel)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := k.Replay(context.Background(), apdu.NewReplay(sess, apdu.ReplayStrict))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.Expect.Outcome, k.Expect.TVR, k.Expect.Commands)
	fmt.Println("replay:", k.Check(p))
	// Output:
	// PIN pad: [entered]
	// approved 0000000000 SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50
	// replay: <nil>
}
