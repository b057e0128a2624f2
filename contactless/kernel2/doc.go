// Package kernel2 is Kernel 2 of the EMV contactless specifications: the
// Mastercard kernel of Book C-2 (EMV Contactless Specifications for Payment
// Systems, Book C-2, Kernel 2 Specification, Version 2.10), in its EMV mode,
// with the relay resistance protocol. It implements [contactless.Kernel]; a
// reader registers it for [contactless.Kernel2] with the Entry Point.
//
// # The state machine (Book C-2, the kernel's states)
//
// Book C-2 writes its kernel as a state machine: numbered states, each
// waiting for a signal (the card's response, a Data Exchange answer, a
// timeout), and procedures shared between states. This package keeps that
// shape: one function per state, named after the book's state, with the
// state's number in its doc comment; each reads the signal of the state (the
// response to the command the previous state sent, or the link's failure)
// and returns the next state. [Kernel.Activate] is one loop over them:
//
//	idle                                              State 1
//	waitingForPDOLData                                State 2
//	waitingForGPOResponse                             State 3
//	waitingForExchangeRelayResistanceDataResponse     State R1
//	waitingForEMVReadRecordResponse                   State 4
//	  statesFourFiveSixCommonProcessing               the S456 procedure
//	waitingForGetDataResponse                         State 5
//	waitingForPreGenACBalance                         State 16
//	waitingForPutDataResponseBeforeGenAC              State 12
//	waitingForRecoverACResponse                       State 10
//	waitingForGenerateACResponse1                     State 9
//	waitingForPostGenACBalance                        State 17
//	  statesNineTenCommonProcessing                   the S910 procedure
//	waitingForPutDataResponseAfterGenAC               State 15
//
// The procedures of the states are methods named after the book's
// (§7.5 CVM Selection, §7.6 Prepare Generate AC Command, §7.7 Processing
// Restrictions, §7.8 Terminal Action Analysis), and the outcomes
// ([contactless.Outcome], never a Go error) carry the Outcome Parameter
// Set, the User Interface Request Data and the Error Indication (DF8115) the
// book fills in at each exit.
//
// # Torn transactions
//
// With a [TornLog] in the [Config] and a Max Number of Torn Transaction Log
// Records (DF811D) above zero, a card that can recover (it has a DRDOL,
// 9F51) and leaves the field during GENERATE AC is logged as a
// [TornRecord], and the outcome asks for it again (Try Again at Start B);
// on the next tap the kernel finds the record by PAN and PAN Sequence
// Number and sends RECOVER AC (State 10), which completes the torn
// transaction. Records older than the Max Lifetime (DF811C), pushed out of
// a full log or unreadable go to [Config.TornRecordLost].
//
// # Balance reading
//
// A terminal asks for the card's Offline Accumulator Balance by placing an
// empty Balance Read Before Gen AC (DF8104) and/or Balance Read After Gen
// AC (DF8105) in the combination's kernel data; when the card's
// Application Capabilities Information (9F5D) sets "support for balance
// reading", the kernel sends GET DATA 9F50 before GENERATE AC (State 16)
// and/or after its response (State 17), and hands the balance over in the
// Discretionary Data. A card that answers no balance leaves it out; the
// transaction goes on.
//
// # Mag-stripe mode
//
// A card whose AIP does not offer EMV mode, or a reader whose Kernel
// Configuration (DF811B) forbids it, goes to mag-stripe mode, unless the
// Kernel Configuration forbids that too (End Application, MAGSTRIPE NOT
// SUPPORTED): the records of the whole AFL (State 7), then the mag-stripe
// checks and the UDOL (S78), COMPUTE CRYPTOGRAPHIC CHECKSUM (State 13, or
// State 14 when card and reader support on-device cardholder verification
// and the phone's POS Cardholder Interaction Information decides the CVM),
// and Online Request with Track 2 Data (and Track 1 Data) carrying CVC3,
// the Unpredictable Number (Numeric) and the ATC where the card's bitmaps
// (PCVC3, PUNATC, NATC) put them. A phone that answers without CVC3 asks
// for a second tap (See Phone, Start B) or declines. A mag-stripe
// transaction that fails after the command waits 2^Failed MS Cntr × 300 ms
// before its outcome (see [Kernel] and [Config.Sleep]):
//
//	waitingForMagstripeReadRecordResponse             State 7
//	  statesSevenEightCommonProcessing                the S78 procedure
//	waitingForCCCResponse1                            State 13
//	waitingForCCCResponse2                            State 14
//
// # Data exchange
//
// A terminal that sets [Config.DataExchange] takes part in data exchange
// (the DEK and DET signals): when the PDOL asks for data the kernel does
// not have, the kernel sends a DEK with Data Needed before GET PROCESSING
// OPTIONS and waits for the [DET] in State 2, at most the Time Out Value
// (DF8127, 500 ms by default, measured on [Config.Clock]); a late or
// missing DET ends the application with Error Indication L3 TIME OUT and
// no command sent. After record reading, the Tags To Read (DF8112) the
// records did not give are read with GET DATA (State 5), and a DEK carries
// Data To Send and the CDOL1's Data Needed. A DET's data objects take the
// place of the terminal data; its Tags To Write Before and After Gen AC
// are written after the Config's with PUT DATA (States 12 and 15).
//
// # Phones that ask for a second tap
//
// A phone that wants the cardholder to verify or confirm on it answers
// GENERATE AC with an AAC and its POS Cardholder Interaction Information
// (DF4B); the kernel then ends with End Application at Start B, the
// message of the Phone Message Table (DF8131; "See Phone" by default) and
// the field off for the Hold Time Value (DF8130), and the terminal
// restarts the Entry Point ([contactless.EntryPoint.Restart]) for the
// second tap.
//
// # What is not here
//
// Data exchange is one DEK before GET PROCESSING OPTIONS (for the PDOL's
// Data Needed only) and one after record reading: the book's DEKs while
// records are read, Data To Send in State 1 for objects of the FCI, and
// State 6 (Waiting for EMV Mode First Write Flag, the Proceed To First
// Write Flag DF8110) are not implemented. Neither are Integrated Data
// Storage, nor the second tap of on-device cardholder verification in
// mag-stripe mode (the POS Cardholder Interaction Information of a COMPUTE
// CRYPTOGRAPHIC CHECKSUM response is not read; the Mobile Support
// Indicator 9F7E is the terminal's, or zero).
//
// # Data Record and Discretionary Data
//
// The Data Record of an Approved, Declined or Online Request outcome holds
// the EMV mode Data Record of Book C-2 (the data objects of ISO 8583
// field 55 and the clearing record), in this order, each one only when the
// card or the terminal has it: 9F02, 9F03, 9F26, 5F24, 82, 50, 5A, 5F34,
// 9F12, 9F36, 9F07, 9F09, 9F27, 9F34, 84, 9F1E, 9F10, 9F33, 9F1A, 9F35,
// 95, 57, 9F53, 5F2A, 9A, 9C, 9F37. The Discretionary Data holds the
// Application Currency Code 9F42 when the card has one, the Third Party Data
// 9F6E when the card sent it, the Balance Read Before Gen AC DF8104 and
// After Gen AC DF8105 when the kernel read them (balance reading, below),
// the Post-Gen AC DF810E and Pre-Gen AC Put Data Status DF810F when the
// kernel wrote Tags To Write (80 all written, 00 not),
// and always the Error Indication DF8115; after
// the relay resistance protocol this kernel adds the Measured Relay
// Resistance Processing Time DF8306 and the RRP Counter DF8307, so a
// terminal can log what it measured.
//
// Where the book leaves a choice to the reader, or where this package had
// to read the book one way, the reading is written beside the code that
// makes it.
package kernel2
