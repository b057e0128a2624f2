// Package contactless is the Entry Point of EMV Contactless Books A and B:
// the part of a contactless reader that runs before and after a kernel.
//
// It follows EMV Contactless Book A, Architecture and General
// Requirements, version 2.6 (March 2016), and Book B, Entry Point
// Specification, version 2.6 (July 2016); section numbers in this package
// are theirs.
//
// # Architecture (Book A §3)
//
// A contactless transaction passes through four stages of the Entry Point
// and one kernel:
//
//   - Pre-processing (Book B §3.1): before the card is tapped, the amount
//     is held against each combination's limits; the result is a set of
//     [Indicators] per combination, with the Terminal Transaction
//     Qualifiers (9F66) the kernel will send.
//   - Protocol activation (Book B §3.2): the field is polled for a card;
//     a collision asks for one card only.
//   - Combination selection (Book B §3.3): SELECT of the PPSE, the
//     directory entries matched against the reader's combinations
//     {AID, Kernel ID}, final SELECT of the candidate of highest priority.
//   - Kernel activation (Book B §3.4): the selected combination goes to the
//     [Kernel] registered for its Kernel ID, through [Kernel.Activate].
//   - Outcome processing (Book B §3.5): the kernel's [Outcome] is acted on:
//     Select Next and Try Again restart the Entry Point (Start C, Start B),
//     the others are handed to the terminal.
//
// [EntryPoint.Run] runs these stages for one transaction (Start A) on a
// [Field] (use [OneCard] for a card link already in the field) and returns
// a [Result]: the final outcome, the selected combination, the Candidate
// List, every UI request in order, the restarts taken and the APDU trace.
// [Preprocess] and [ParsePPSE] are the two stages that need no card, on
// their own.
//
// A User Interface Request ([UIRequest], Book A §7.1) carries the card's
// Language Preference; [UIRequest.Language] picks the language to show it
// in from the reader's [Config].Languages (Book 4 §11.1), and
// [MessageID.Text] gives the message in English or Simplified Chinese.
//
// Online authorisation is outside the kernel and the Entry Point: an
// Online Request outcome carries the Data Record that the terminal sends
// to the acquirer. When the outcome's parameters ask for a restart at
// Start B after the online response (issuer update processing, a second
// tap), the terminal restarts the Entry Point with the response
// ([EntryPoint.Restart]).
//
// # Configuration
//
// [Config] holds the terminal data and the combinations; [ParseConfig]
// reads them from the contactless section of the terminal configuration
// file that emv.ParseConfig reads for the contact interface, strictly.
//
// # Readings
//
// Where the books leave a choice, this package chooses as follows; each
// choice is also written where its rule lives.
//
//   - A status check asks for the amount to be "a single unit of currency":
//     10^exponent minor units (1.00 for exponent 2), §3.1.1.3.
//   - A combination configured for some transaction types only is not in
//     effect for the others; with no combination in effect at all, every
//     combination is "not allowed" and §3.1.1.13 gives Try Another
//     Interface.
//   - Kernel Identifier 9F2A with a first byte of 00 is read as absent (the
//     RID's default kernel); a domestic kernel is matched on byte 1 and, if
//     configured, the Extended Kernel ID in bytes 2-3; an RFU kernel type
//     or an unknown RID without 9F2A makes no candidate (§3.3.2.5).
//   - One directory entry makes at most one candidate, served by the first
//     matching combination of the configuration; an Application Priority
//     Indicator of 0 or none ranks after every priority, ties keep the
//     card's directory order (§3.3.3.2).
//   - "Present Card" at protocol activation carries no amount (Value
//     Qualifier None): the book gives the message and the status only.
//   - SELECT PPSE is read only when it answers 9000; a warning (62xx,
//     63xx) with an FCI leaves the Candidate List empty, as any other
//     status word does (§3.3.2.2).
//   - An empty Candidate List (no PPSE, an unreadable FCI, no entry
//     matching, every candidate's final SELECT refused) ends with End
//     Application and "Insert, Swipe or Try Another Card", Ready to Read.
//   - A card lost during combination selection (the link fails on SELECT)
//     is polled for again (Start B) as a restart; a kernel whose card link
//     fails (Activate's error) gets the Try Again that C-2 and C-3 give a
//     communication error, with "Present Card Again" on restart.
//   - A collision asks for "Please Present One Card Only" with status
//     Processing Error on each collision, and nothing when it ends.
//   - An outcome status Book A does not define, and no outcome at all, are
//     End Application.
//   - The Removal Timeout and the Field Off Request of any outcome are
//     acted on, in that order, after its UI Request on Outcome and before
//     the restart or the return to the terminal.
//   - A restart at Start B after an online response serves only the
//     combination that asked for it, so that the issuer's data reaches the
//     application whose cryptogram it answers.
//
// # Kernels
//
// Each kernel is its own package (contactless/kernel2, kernel3, kernel7)
// and implements [Kernel]. A terminal registers the kernels it supports by
// [KernelID]; a combination whose kernel is not registered is not
// supported. Kernels share oda (fDDA, CDA), cvm, apdu, tlv and tvr with the
// contact kernel in package emv; this package does not import emv.
package contactless
