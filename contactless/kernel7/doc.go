// Package kernel7 is Kernel 7 of the EMV contactless specifications: the
// UnionPay kernel of Book C-7 (EMV Contactless Specifications for Payment
// Systems, Book C-7, Kernel 7 Specification, Version 2.11, June 2023), the
// QuickPass (闪付) path that UnionPay's own specifications call qUICS (and,
// before them, qPBOC). It implements [contactless.Kernel]; a reader
// registers it for [contactless.Kernel7] with the Entry Point, for the
// UnionPay AIDs (RID A000000333: A000000333010101 debit, ...0102 credit,
// ...0103 quasi-credit).
//
// Kernel 7 is close to Kernel 3 (Book C-3, Visa qVSDC): the card takes the
// whole transaction in GET PROCESSING OPTIONS and answers with its
// cryptogram; the reader reads the records, authenticates an offline
// approval with fast DDA, and chooses the CVM from the Terminal and Card
// Transaction Qualifiers. The steps the two books word alike live in
// contactless/internal/quick and are shared with kernel3; what differs is
// here, with the reading chosen written beside the code.
//
// # The flow (Book C-7)
//
// [Kernel.Activate] runs, one method per step, on one transactionState:
//
//   - initiate application processing: the FCI must carry a PDOL that asks
//     for the TTQ (9F66), and the TTQ must announce qUICS (byte 1 bit 6);
//     else End Application. The PDOL data carries the TTQ of
//     pre-processing and a fresh Unpredictable Number (9F37);
//   - GET PROCESSING OPTIONS and the answers the book distinguishes: a
//     format 2 response (77) with the cryptogram, 6984 (Try Another
//     Interface), 6985 (Select Next), 6986 (Try Again, "See Phone"),
//     anything else End Application; a format 1 response (80, the
//     contactless standard debit/credit flow) is not Kernel 7's and ends
//     the application;
//   - read application data: the records of the AFL, bounded, each a
//     template 70, no data object twice; then "Card Read OK";
//   - processing restrictions: the cryptogram type (9F27, or the UnionPay
//     IAD's CVR byte 2 bits 6-5), the switch to contact for cash and
//     cashback (CTQ byte 1 bits 3-2), the terminal exception file, the
//     application expiry date with CTQ byte 1 bit 4, and the reader's
//     limits: a TC the reader did not ask for (the Reader Contactless
//     Floor Limit was exceeded, or the TTQ asked for an online cryptogram)
//     is declined;
//   - offline data authentication: fDDA version 01 for a TC (Kernel 7 has
//     no ODA for online authorisations: TTQ byte 1 bit 1 is RFU), with the
//     CTQ's policies for a failure (go online, switch interface, decline);
//   - cardholder verification: from the CTQ (9F6C) and the TTQ: online PIN,
//     signature, consumer device CVM, or no CVM;
//   - the outcome with its Data Record: Approved, Declined, Online Request,
//     Try Another Interface, End Application, Select Next or Try Again, as a
//     [contactless.Outcome], never as an error.
//
// Book C-7 has no terminal action analysis: the reader keeps no Terminal
// Action Codes for Kernel 7, and the TVR it builds goes to the issuer in
// the Data Record. Kernel 7 performs no issuer update processing: an
// Online Request never asks for a restart.
//
// # Data Record
//
// The Data Record of an Approved, Declined or Online Request outcome holds
// the data objects a UnionPay contactless authorisation or clearing message
// carries in ISO 8583 field 55, in this order, each one only when the card
// or the terminal has it: 9F02, 9F03, 9F26, 9F27, 82, 9F36, 9F10, 9F1A, 95,
// 5F2A, 9A, 9C, 9F37, 9F35, 9F33, 9F1E, 9F09, 9F66, 9F6C, 9F63, 84, 5F34,
// 57, 5A, 5F24, 9F21. The Discretionary Data holds the Available Offline
// Spending Amount (9F5D, the card's electronic cash balance after the
// transaction) when the card returned it; an approval also shows it to the
// cardholder as a balance in the transaction currency.
//
// # Electronic cash balance
//
// Book C-7 has no balance inquiry: every GET PROCESSING OPTIONS is a
// transaction the card counts. [BalanceInquiry], registered for Kernel 7
// in its place, reads the UnionPay electronic cash balance and limits as
// the contact interface does (JR/T 0025.13): GET DATA 9F79, 9F78, 9F77
// and 9F6D after the Entry Point's final SELECT, and ends with the balance
// shown and the four objects in the Discretionary Data.
package kernel7
