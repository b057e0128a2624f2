// Package emv is the EMV Level 2 contact kernel: it runs one transaction
// with a chip card by EMV 4.4 Book 3 and reports what the terminal needs
// afterwards.
//
// # Values and seams
//
// A terminal is a value ([Config]: capabilities, country, currency, the
// supported applications with their floor limits, TACs and risk
// parameters, the CA public keys), a transaction is a value
// ([Transaction]: type, amounts, date), and the card is an
// [apdu.Transceiver]. What a person or a host must decide (choose an
// application, confirm it, enter a PIN, authorise online) goes through
// [Terminal], whose parts are each optional: when one is absent the kernel
// follows the book's rule for a terminal without it.
//
// # The flow
//
// [Run] performs the whole transaction. Inside, one private state value
// walks the functions of Book 3 §10 in order, one method per step:
//
//	application selection            Book 1 §12
//	initiate application processing  Book 3 §10.1
//	read application data            Book 3 §10.2
//	offline data authentication      Book 3 §10.3
//	processing restrictions          Book 3 §10.4
//	cardholder verification          Book 3 §10.5 (package cvm)
//	terminal risk management         Book 3 §10.6
//	terminal action analysis         Book 3 §10.7
//	card action analysis             Book 3 §10.8
//	online processing                Book 3 §10.9
//	issuer-to-card script processing Book 3 §10.10
//	completion                       Book 3 §10.11
//
// [Start] runs the same flow step by step as a [Session]: it stops
// wherever the terminal must act ([Request]: choose or confirm an
// application, give the transaction, enter a PIN, go online) and resumes
// with the answer, so a terminal can read the card first and ask for the
// amount afterwards.
//
// # Configuration
//
// [Config] documents the default of every field; [LoadConfig] reads it from
// the JSON format of [ParseConfig] (testdata/terminals holds examples).
//
// # Outcomes and errors
//
// What the books define as an outcome (approved, declined, terminated, ...)
// is a value in [Result]. A transaction that stops before its end returns a
// [*TerminatedError] naming the step and the reason; it unwraps to the
// cause, so errors.Is(err, apdu.ErrCardRemoved) tells a card pulled out.
// The first such error sticks: nothing more is sent to the card.
//
// Every loop driven by card data is bounded: directory depth and records,
// candidate applications, AFL records, script commands. So is what a card
// can make the kernel hold: an answer has at most 256 data bytes, the most
// the short Le it was sent asks for, and a transaction's answers 32 KiB in
// all; a card that answers more is refused as malformed card data
// ([ErrCardData]) and the error names the command. The data objects the
// kernel forwards to the host or prints have the lengths of Book 3 Annex A
// ([LengthError]), and an issuer answer that does not (an ARC that is not
// two alphanumeric characters, a 91 that is not 8 to 16 bytes) is handled
// as unable to go online.
//
// The context bounds the card too: when it ends, [Run] and [Session]
// return at once with a [*TerminatedError], even when the card's
// Transceiver ignores the context and is still inside Transmit; that
// Transceiver is then left alone ([ErrCardLinkAbandoned]).
//
// # UnionPay and the terminal's languages
//
// UnionPay's contact applications (UICS, the People's Bank of China
// standard JR/T 0025) run through the Book 3 flow unchanged; the kernel
// adds what JR/T 0025.13 asks of a terminal for electronic cash: the EC
// Terminal Support Indicator 9F7A a card's PDOL asks for, 01 below the
// application's [AppParams].ECTerminalLimit (9F7B); the EC Issuer
// Authorization Code 9F74 of an electronic cash approval in
// [Result].ECIssuerAuthCode; and the electronic cash balance inquiry
// ([Transaction].ECBalance), which reads the balance and limits with GET
// DATA after application selection and ends with [BalanceRead] and
// [Result].ECBalance. The receipt shows the cardholder's ID number 9F61
// masked.
//
// The cardholder messages are in the first language of the card's
// Language Preference 5F2D that [Config].Languages has, else the first of
// those (Book 4 §11.1): [Result].Language, given to a [LanguageDisplay];
// [Message.Text] holds the messages of Book 4 §11.2 in English and
// Simplified Chinese.
//
// # Recorded sessions
//
// A session file (package apdu's format) holds a transaction's exchanges
// and, as its "kernel" object, a [Recording]: the terminal configuration,
// the transaction, what the PIN pad, the cardholder and the host answered,
// the random bytes drawn and what the kernel showed. [NewRecording] builds
// it from a transaction that ran; [Recording.Replay] runs the kernel again
// against the recorded exchanges and [Recording.Check] compares the result
// with what was recorded, so a real card's session becomes a test.
//
// # Secrets
//
// The PIN and PIN blocks never reach the trace, a log or an error. The
// trace ([Result.Trace]) keeps the card's bytes otherwise exact, so
// [Trace.Session] can turn it into a replayable session file; its String
// method and [Result.Receipt] mask the PAN and track 2.
package emv
