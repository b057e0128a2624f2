package emvtest_test

import (
	"context"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// A virtual card is a Transceiver: send it commands as to a reader.
func ExampleNewCard() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	ctx := context.Background()

	r, _ := apdu.Exchange(ctx, card, apdu.Select([]byte("1PAY.SYS.DDF01"), false))
	fmt.Println("SELECT PSE:", r.SW)
	r, _ = apdu.Exchange(ctx, card, apdu.ReadRecord(1, 1))
	aid, _ := tlv.Find(r.Data, 0x4F)
	fmt.Printf("directory entry: %X\n", aid)
	r, _ = apdu.Exchange(ctx, card, apdu.Select(aid, false))
	label, _ := tlv.Find(r.Data, 0x50)
	fmt.Printf("selected %s\n", label)
	r, _ = apdu.Exchange(ctx, card, apdu.GetProcessingOptions(nil))
	fmt.Printf("GPO: % X\n", r.Data)

	ca := card.CAPublicKey()
	fmt.Printf("trust CA %X index %02X (%d-bit)\n", ca.RID, ca.Index, 8*len(ca.Modulus))
	// Output:
	// SELECT PSE: 9000 (success)
	// directory entry: A0000000031010
	// selected VISA CREDIT
	// GPO: 80 0E 3D 00 08 01 01 01 10 01 01 01 18 01 02 00
	// trust CA A000000003 index E1 (1408-bit)
}

// A card pulled out at its third command.
func ExampleCard_RemoveAt() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	card.RemoveAt(3)
	sel, _ := apdu.Select([]byte("1PAY.SYS.DDF01"), false).Bytes()
	for i := 1; i <= 3; i++ {
		_, err := card.Transmit(context.Background(), sel)
		fmt.Println(i, err)
	}
	// Output:
	// 1 <nil>
	// 2 <nil>
	// 3 emvtest: command 3: apdu: card removed
}

// The virtual issuer checks the ARQC and answers an ARPC the card accepts.
func ExampleIssuer_Authorise() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	issuer := emvtest.IssuerFor(card)
	ctx := context.Background()
	aid := []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}
	apdu.Exchange(ctx, card, apdu.Select(aid, false))
	apdu.Exchange(ctx, card, apdu.GetProcessingOptions(nil))
	cdol1 := make([]byte, 33) // CDOL1Default: 33 bytes of terminal data
	r, _ := apdu.Exchange(ctx, card, apdu.GenerateAC(apdu.RefARQC, cdol1))

	// Field 55: the card's answer, the AIP, and the PAN and PSN.
	var icc []byte
	for _, tag := range []tlv.Tag{0x9F26, 0x9F27, 0x9F10, 0x9F36} {
		v, _ := tlv.Find(r.Data, tag)
		icc = tlv.AppendTLV(icc, tag, v)
	}
	icc = tlv.AppendTLV(icc, 0x82, []byte{0x3D, 0x00})
	resp, err := issuer.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: icc, PAN: "4761739001010119", PSN: "01"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ARQC valid:", resp.ARQCValid, "approved:", resp.Approved, "ARC:", string(resp.ARC[:]))
	r, _ = apdu.Exchange(ctx, card, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	fmt.Println("EXTERNAL AUTHENTICATE:", r.SW)
	// Output:
	// ARQC valid: true approved: true ARC: 00
	// EXTERNAL AUTHENTICATE: 9000 (success)
}
