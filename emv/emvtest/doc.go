// Package emvtest provides a virtual EMV chip card and a virtual issuer host
// with real cryptography, for testing terminals and the emv kernel the way
// net/http/httptest serves HTTP tests.
//
// # Cards
//
// [NewCard] builds a card from a [Profile] and returns a [*Card], which is an
// [apdu.Transceiver]:
//
//	card := emvtest.NewCard(emvtest.VisaCDA())
//	resp, err := card.Transmit(ctx, selectPSE)
//
// The card is personalised with a deterministic test key chain (a CA, an
// issuer and ICC RSA keys; see [KeyChain]), so it carries real issuer and
// ICC public key certificates (Book 2 §5.3, §6.4), a Signed Static
// Application Data (Book 2 §5.4), answers INTERNAL AUTHENTICATE and CDA with
// real signatures (Book 2 §6.5, §6.6), and computes application cryptograms
// from ICC master keys derived from issuer master keys (Book 2 Annex A1).
// [Card.CAPublicKey] exports the CA key a terminal must trust.
//
// Profiles are Go values ([VisaCDA], [VisaSDA], ...) or JSON files
// ([LoadProfile]); the repository's testdata/cards directory holds a set.
//
// # Misbehaviour
//
// Knobs make the card misbehave on purpose: [Card.Inject] adds a [Fault]
// (answer a chosen status word, corrupt a response, delay it), [Card.RemoveAt]
// pulls the card at the Nth command, [Card.SetDelay] slows every answer, and
// the profile's [ODAFaults] break certificates and signatures.
//
// # Recording
//
// Every exchange is kept ([Card.Exchanges]); the data of VERIFY and PIN
// CHANGE commands is never kept.
//
// # Issuer host
//
// [NewIssuer] is a virtual issuer: it checks ARQCs, approves or declines by
// a rule, answers with an ARC and an ARPC (method 1 or 2) and, when asked,
// issuer scripts with secure-messaging MACs.
//
// # PC/SC
//
// [ServeVPCD] connects a card to vsmartcard's vpcd driver in pcscd, so the
// virtual card sits behind a real PC/SC reader.
//
// The package depends only on apdu, tlv and oda; the kernel does not know it.
package emvtest
