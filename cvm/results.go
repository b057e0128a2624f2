package cvm

import "fmt"

// Outcome is byte 3 of the CVM Results (Book 4 Annex A4, tag 9F34).
type Outcome byte

// CVM Results byte 3 values.
const (
	// Unknown: the outcome is not known to the terminal (signature, online
	// PIN, or no CVM performed when the card does not support cardholder
	// verification).
	Unknown Outcome = 0x00
	// Failed: the CVM, or cardholder verification as a whole, failed.
	Failed Outcome = 0x01
	// Successful: the CVM succeeded (offline PIN, no CVM required).
	Successful Outcome = 0x02
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Unknown:
		return "unknown"
	case Failed:
		return "failed"
	case Successful:
		return "successful"
	}
	return fmt.Sprintf("RFU %02X", byte(o))
}

// Results is the CVM Results, tag 9F34: the CVM performed (byte 1 of its
// CV Rule as the card wrote it, bit 7 included), its condition, and the
// outcome (Book 4 Annex A4). "No CVM performed" is 3F in byte 1 and 00 in
// byte 2.
type Results [3]byte

// NoCVMResults is 3F0000: no CVM performed, outcome unknown. Cardholder
// verification did not run (the AIP does not support it, or the card has
// no usable CVM List).
var NoCVMResults = Results{byte(NoCVMPerformed), 0x00, byte(Unknown)}

// NoCVMFailedResults is 3F0001: no CVM could be performed and cardholder
// verification failed (no rule's condition was satisfied, or every CVM
// whose condition was satisfied was unrecognised, unsupported or not
// entered).
var NoCVMFailedResults = Results{byte(NoCVMPerformed), 0x00, byte(Failed)}

func resultsFor(r Rule, o Outcome) Results { return Results{r.Method, byte(r.Condition), byte(o)} }

// Code returns the CVM performed (bits 6-1 of byte 1).
func (r Results) Code() Code { return Code(r[0] & 0x3F) }

// Condition returns byte 2.
func (r Results) Condition() Condition { return Condition(r[1]) }

// Outcome returns byte 3.
func (r Results) Outcome() Outcome { return Outcome(r[2]) }

// String returns the bytes in hex and their meaning:
// "1E0300 (Signature (paper); If terminal supports the CVM; unknown)".
func (r Results) String() string {
	if r == (Results{}) {
		// Never set: cardholder verification did not run (the
		// transaction stopped before it). 00 00 00 would read "Fail CVM
		// processing", which no CVM list processing gives with outcome
		// 00: Book 4 §A4 sets 3F0000 when no CVM was performed.
		return "000000 (cardholder verification not performed)"
	}
	if r[0]&0x3F == byte(NoCVMPerformed) {
		return fmt.Sprintf("%X (No CVM performed; %s)", r[:], r.Outcome())
	}
	return fmt.Sprintf("%X (%s; %s; %s)", r[:], r.Code(), r.Condition(), r.Outcome())
}
