// Package termkit holds the building blocks a terminal application puts
// around the kernel of package emv, so that a first program needs no
// adapter of its own:
//
//   - [Console]: prompts and answers on a text console; on a terminal a
//     secret is typed without echo, each key shown as '*' (x/term), and
//     Ctrl-C gives the terminal back as it was;
//   - [PINPad]: a [cvm.PINPad] over a Console, or typing a list of PINs
//     for a test bench ([PINPad.PINs]); online PINs are enciphered in
//     ISO 9564-1 format 4;
//   - [Currency]: amounts parsed and formatted by their ISO 4217 code and
//     exponent (x/text/currency);
//   - [DemoConfig] and [TrustCard]: a terminal configuration that works
//     with the virtual cards of package emv/emvtest, and their CA keys;
//   - [IssuerHost], [FixedHost] and [ResponseHost]: [emv.Host]s that send
//     the request to a virtual issuer, answer the same every time, or
//     answer a host response pasted as TLV.
//
// The kernel turns an acquirer's ISO 8583 answer into its
// [emv.OnlineResponse] itself: [emv.ParseHostResponse].
//
// A purchase on the virtual card, with the PIN typed by a test bench and
// the virtual issuer as the host:
//
//	card := emvtest.NewCard(emvtest.VisaCDA())
//	cfg := termkit.DemoConfig()
//	termkit.TrustCard(cfg, card)
//	res, err := emv.Run(ctx, card, cfg, emv.Transaction{Type: emv.Purchase, Amount: 1999},
//		&emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: termkit.IssuerHost{Issuer: emvtest.IssuerFor(card)}})
//
// # Secrets
//
// The PIN is never printed: the Console shows '*' for each key, the PIN
// pad keeps the PIN in a [cvm.PIN] and zeroes it after use, and an online
// PIN block leaves only inside the [emv.OnlineRequest].
package termkit
