// Package kernel3 is Kernel 3 of the EMV contactless specifications: the
// Visa kernel of Book C-3 (EMV Contactless Specifications for Payment
// Systems, Book C-3, Kernel 3 Specification, Version 2.10), in its qVSDC
// path. It implements [contactless.Kernel]; a reader registers it for
// [contactless.Kernel3] with the Entry Point.
//
// # The flow (Book C-3 §5)
//
// The Entry Point has selected the application; [Kernel.Activate] then runs,
// one method per step of the book, on one transactionState:
//
//   - initiate application processing (§5.2): the PDOL data, with the
//     Terminal Transaction Qualifiers (9F66) of pre-processing and a fresh
//     Unpredictable Number (9F37), in GET PROCESSING OPTIONS; the answers the
//     book distinguishes: the format 2 response with the cryptogram (77),
//     6984 (Try Another Interface), 6985 (Select Next), 6986 (Try Again,
//     "See Phone"), anything else (End Application);
//   - read application data (§5.3): the records of the AFL, bounded, each a
//     template 70, no data object twice;
//   - card read complete (§5.4): the "Card Read OK" User Interface Request,
//     after which the card may leave the field;
//   - processing restrictions and offline data authentication (§5.5, §5.6):
//     the cryptogram type (9F27, or IAD byte 5 bits 6-5), the terminal
//     exception file, the application expiry date with CTQ byte 1 bit 4, fDDA
//     (versions 00 and 01 of 9F69, Signed Data Format 95) with the CTQ's
//     policies for a failure (go online, switch interface, or decline);
//   - cardholder verification (§5.7): from the CTQ (9F6C) and the TTQ:
//     online PIN, signature, consumer device CVM, or no CVM;
//   - the outcome (§5.8) with its Data Record: Approved, Declined, Online
//     Request, Try Another Interface, End Application, Select Next or Try
//     Again, as a [contactless.Outcome], never as an error;
//   - issuer update processing (§5.9): on a restart at Start B after an
//     online authorisation whose response carries issuer authentication data
//     or scripts, EXTERNAL AUTHENTICATE and the script commands.
//
// Where the book leaves a choice to the reader, the choice is written beside
// the code that makes it.
//
// # Data Record
//
// The Data Record of an Approved, Declined or Online Request outcome holds
// the data objects a Visa contactless authorisation or clearing message
// carries in ISO 8583 field 55 (Book C-3 Annex A, "Data Record"), in this
// order, each one only when the card or the terminal has it: 9F02, 9F03,
// 9F26, 9F27, 82, 9F36, 9F10, 9F1A, 95, 5F2A, 9A, 9C, 9F37, 9F35, 9F33, 9F09,
// 9F66, 9F6C, 9F6E, 9F7C, 84, 5F34, 57, 5A, 5F24, 9F21. The Discretionary
// Data holds the Available Offline Spending Amount (9F5D) when the card
// returned it and, after issuer update processing, the Issuer Script Results
// (9F5B).
package kernel3
