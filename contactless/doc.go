// Package contactless is the Entry Point of EMV Contactless Books A and B:
// the part of a contactless reader that runs before and after a kernel.
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
// Online authorisation is outside the kernel and the Entry Point: an
// Online Request outcome carries the Data Record that the terminal sends
// to the acquirer. When the outcome's parameters ask for a restart at
// Start B after the online response (issuer update processing, a second
// tap), the terminal restarts the Entry Point with the response.
//
// # Kernels
//
// Each kernel is its own package (contactless/kernel2, kernel3, kernel7)
// and implements [Kernel]. A terminal registers the kernels it supports by
// [KernelID]; a combination whose kernel is not registered is not
// supported. Kernels share oda (fDDA, CDA), cvm, apdu, tlv and tvr with the
// contact kernel in package emv; this package does not import emv.
package contactless
