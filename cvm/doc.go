// Package cvm performs cardholder verification for the EMV kernel: it owns
// the CVM List (tag 8E) and its CV Rule and condition codes, the decision
// procedure of EMV 4.4 Book 3 §10.5 and Annex C3, the CVM Results (9F34),
// the ISO 9564-1 PIN block formats, and the PIN pad seam a terminal plugs
// in.
//
// # Running cardholder verification
//
// The kernel calls [Perform] once, after processing restrictions, with an
// [Input] holding the card's AIP, CVM List, Application Currency Code and
// PAN, the terminal's capabilities (9F33) and type (9F35), the
// transaction's type, amount and currency, a [PINPad] (nil when the
// terminal has none) and the key for offline enciphered PIN. Perform walks
// the CV Rules, talks to the card through an apdu.Transceiver (GET DATA for
// the PIN Try Counter, GET CHALLENGE, VERIFY) and returns a [Result]: the
// CVM Results, the TVR and TSI bits it set, whether a signature is
// required, the online PIN block if one was entered, and the commands it
// sent. Card refusals are outcomes in the Result; Perform returns an error
// only when it cannot go on (the card left, the reader failed, the
// cardholder cancelled).
//
// # Secrets
//
// A clear PIN lives in a [PIN] and an enciphered online PIN block in an
// [OnlinePINBlock]. Neither prints its bytes with any fmt verb, JSON, text
// marshalling or slog. Perform zeroes the PIN digits, the plaintext PIN
// block and the VERIFY command buffer as soon as the card has answered, and
// never keeps the data of a VERIFY in its record of commands.
//
// # PIN blocks
//
// [PINBlock0] to [PINBlock3], [PINField4], [PANField4] and
// [EncipherPINBlock4] build the ISO 9564-1 formats a PIN pad uses; the
// Decode functions reverse them for hosts and test cards.
package cvm
