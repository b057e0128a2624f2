// Package emvtest provides a virtual EMV chip card and a virtual issuer host
// with real cryptography, for testing terminals and the emv kernel the way
// net/http/httptest serves HTTP tests.
//
// # Cards
//
// [NewCard] builds a card from a [Profile]; the [*Card] is an
// [apdu.Transceiver]:
//
//	card := emvtest.NewCard(emvtest.VisaCDA())
//	resp, err := card.Transmit(ctx, selectPSE)
//
// Profiles are Go values ([VisaCDA], [VisaSDA], [MastercardDDA],
// [MultiApplication], [NoDirectory], [BlockedApplication], ... and
// [BuiltinProfile] by name) or JSON files read strictly by [LoadProfile];
// the repository's testdata/cards directory holds the built-in ones with a
// README.
//
// The card answers SELECT (PSE, PPSE, applications by full or partial
// name, first and next occurrence; Book 1 §11.3, §12), READ RECORD, GET
// PROCESSING OPTIONS (formats 1 and 2, PDOL data checked), GET DATA (9F36,
// 9F13, 9F17, 9F4F, 9F14, 9F23 and the profile's issuer data objects),
// GET CHALLENGE, INTERNAL AUTHENTICATE,
// VERIFY (plaintext and enciphered PIN, 63Cx, 6983), GENERATE AC (first and
// second, with CDA and its own risk management), EXTERNAL AUTHENTICATE and
// the issuer script commands under secure messaging (Book 3 §6.5, Book 2
// §9), each with its effect on the card: PIN CHANGE/UNBLOCK, APPLICATION
// BLOCK/UNBLOCK (a blocked application answers SELECT with 6283 and
// GENERATE AC with an AAC), CARD BLOCK (every SELECT then answers 6A81),
// PUT DATA (plain or, for a confidential object, enciphered) and UPDATE
// RECORD. With the T=0 profile setting it also plays the 61xx/6Cxx
// procedures (Book 1 §9.3).
//
// # Contactless cards
//
// A profile with [Profile.Contactless] is a card that is tapped: its ATR is
// the one PC/SC Part 3 gives an ISO/IEC 14443-4 card ([ContactlessATR]), its
// directory is the PPSE with each application's Kernel Identifier (9F2A),
// and [Card.Collision] tells a reader's field that a second card is there.
// An application with [Application.QVSDC] is a Visa qVSDC one (Book C-3):
// GET PROCESSING OPTIONS is the card's whole transaction and answers, in a
// format 2 response, the cryptogram the card chose from the reader's TTQ
// (9F66) and its own rules, with track 2, the CTQ (9F6C), the Available
// Offline Spending Amount (9F5D) and, for an offline approval, the fDDA
// signature (9F4B, Signed Data Format 95, with 9F69). After an ARQC it
// accepts, on a second tap, EXTERNAL AUTHENTICATE and issuer scripts for
// that ARQC (issuer update processing). [VisaQVSDCOffline],
// [VisaQVSDCOnline], [VisaQVSDCPhone], [ContactlessMulti] and the other
// visa-qvsdc-* profiles are built in. With [QVSDC.UnionPay] the
// application is a UnionPay QuickPass one (Book C-7, qUICS): the same
// transaction with the UnionPay Issuer Application Data layout and,
// optionally, the Product Identification Information 9F63;
// [UnionPayQuickPassDebit], [UnionPayQuickPassCredit],
// [UnionPayQuickPassQuasiCredit], [UnionPayQuickPassDecline] and
// [UnionPayQuickPassPhone] are built in.
//
// # UnionPay cards
//
// [UnionPayDebit], [UnionPayCredit], [UnionPayThreeApplications] and
// [UnionPayECash] are UnionPay contact cards (AIDs under A000000333, CNY,
// language "zh", the cardholder's ID number 9F61 and type 9F62 in their
// records). GET DATA answers their electronic cash data (9F79, 9F78, 9F77,
// 9F6D) from [Application.IssuerData]; an application whose PDOL asks for
// 9F7A approves offline what its EC balance allows when the terminal sends
// 01, and takes the amount from the balance.
//
// An application with [Application.RelayResistance] is a Mastercard one
// for Kernel 2 (Book C-2, EMV mode): after GET PROCESSING OPTIONS it
// answers EXCHANGE RELAY RESISTANCE DATA with its device entropy and
// times, waits [RelayResistance.AnswerMicros] through the sleep function
// of [Card.SetSleep] (a test's clock sees exactly that time), and signs the
// relay resistance data into the CDA ICC Dynamic Data after the Transaction
// Data Hash Code. [MastercardOffline], [MastercardOnline],
// [MastercardDecline], [MastercardNoRRP], [MastercardSlowRRP] and
// [MastercardPhone] are built in.
//
// # Cryptography
//
// The card is personalised with a deterministic test key chain ([KeyChain]:
// a CA, an issuer and ICC RSA keys generated from a seed and cached), so it
// carries real issuer and ICC public key certificates (Book 2 §5.3, §6.4),
// Signed Static Application Data (§5.4), signs DDA and CDA (§6.5, §6.6)
// and deciphers enciphered PINs (§7). [Card.CAPublicKeys] and
// [Card.KeyStore] export the CA keys a terminal must trust.
//
// An application whose AIP has byte 1 bit 8 set is an XDA card (EMV 4.4):
// it carries the ECC certificates instead of the RSA ones (Book 2 Tables
// 35 and 36, the ICC certificate's ICCD Hash over the card's Issuer
// Certified Card Data, Book 3 §10.3), answers GENERATE AC with P1 b5-b4 =
// 01 with the cryptogram in clear and an EC-SDSA signature (§12.5.3), and,
// with [Application.PINKey], holds an ICC ECC key for ODE (9F2D) under
// which it deciphers enciphered PINs (§13.3). The ECC CA, issuer and ICC
// keys come from the same seed ([Keys] ECCSuite, ECCIssuerSuite,
// ECCICCSuite, ECCCAIndex: P-256 by default, index E5).
//
// Cryptograms follow Book 2 Annex A1: ICC master keys derived by Option A
// (Option B for PANs over 16 digits) from issuer master keys
// ([MasterKeys]), EMV common session keys, ISO/IEC 9797-1 MAC algorithm 3.
// The Issuer Application Data and the cryptogram input are documented in
// genac.go (a Visa CVN 18-style layout).
//
// # Misbehaviour
//
// [Card.Inject] adds a [Fault]: answer a chosen status word, corrupt a
// response ([BreakTLV], [TruncateData], [DuplicateTag], [DropTag],
// [ReplaceValue], [FlipLastByte], [ReplaceData]) or delay it.
// [Card.RemoveAt] pulls the card at the Nth command (Transmit then fails
// with an error wrapping apdu.ErrCardRemoved), [Card.SetDelay] and
// [Card.SetSleep] make it slow, and a profile's [ODAFaults] break its
// certificates and signatures.
//
// # Recording
//
// Every exchange is kept ([Card.Exchanges]) and can be written as an apdu
// session file ([Card.Session]); the data of VERIFY and PIN CHANGE is never
// kept.
//
// # Issuer host
//
// [NewIssuer] (or [IssuerFor] a card, or [NewIssuerFromMasterKey]) is a
// virtual issuer: [Issuer.Authorise] checks the ARQC in field-55 data,
// decides by a [Rule], and answers the ARC, the ARPC (method 1, or method 2
// with a CSU) and, when the rule asks, issuer scripts ([Script]) whose
// commands carry secure-messaging MACs and, for PIN CHANGE and
// confidential PUT DATA, data enciphered as the card's [Encipherment]
// says, in either secure messaging format of Book 2 §9.2.1 ([SMFormat]:
// format 2 with CLA 84, or format 1 with CLA 8C and the data as BER-TLV
// objects 81, 87 and 8E); the card checks and applies both, and a
// [ScriptCommand] can carry an [SMFault] to test how the card refuses it.
// It can be unreachable or slow.
//
// # PC/SC
//
// [ServeVPCD] connects a card to vsmartcard's vpcd driver in pcscd, so the
// virtual card sits behind a real PC/SC reader.
//
// The package depends only on apdu, tlv and oda; the kernel does not know it.
package emvtest
