// Package cvm performs cardholder verification for the EMV kernel: it owns
// the CVM List (tag 8E) and its CV Rule and condition codes (EMV 4.4,
// biometric CVMs included), the decision procedure of EMV 4.4 Book 3 §10.5
// and Annex C3, the CVM Results (9F34), the ISO 9564-1 PIN block formats,
// and the PIN pad and biometric device seams a terminal plugs in.
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
// # Where the books leave room
//
// Book 3 §10.5 leaves some choices to the terminal; these are ours:
//
//   - The CVM Results name the last CVM performed (Book 4 Annex A4). A CVM
//     counts as performed when the card gave its verdict on the PIN
//     (VERIFY answered, or a PIN Try Counter of 0), or when fail CVM,
//     signature, no CVM or online PIN ran. An unrecognised or unsupported
//     CVM, a PIN not entered, an absent or broken PIN pad, a missing PIN key
//     and a refused GET CHALLENGE are not performed: when cardholder
//     verification then fails with nothing performed, the CVM Results are
//     3F0001.
//   - A CVM List shorter than 8 bytes, longer than 252, or with an odd
//     trailing byte is treated like an absent list (ICC data missing,
//     3F0000); so is a list with no CV Rules, as §10.5 says.
//   - A PIN CVM whose condition is satisfied but that the terminal does
//     not support (9F33) sets "PIN entry required and PIN pad not present
//     or not working". Under condition 03 the rule is skipped instead, with
//     no TVR bit.
//   - GET DATA for the PIN Try Counter (9F17) is sent once, before the
//     first offline PIN prompt; 63Cx and 6983/6984 keep the count after
//     that. VERIFY answers other than 9000, 63Cx, 6983 and 6984 make the
//     CVM fail. At most 16 VERIFYs are sent for one CVM.
//   - A PIN entry timeout counts as the PIN not entered; a cancel stops
//     cardholder verification with an error.
//   - Cash is transaction type 01, purchase with cashback 09; "under" and
//     "over" X and Y are strict.
//   - The biometric CVMs of EMV 4.4 (codes 06 to 0F) are recognised: never
//     "Unrecognised CVM". One is supported when 9F33 byte 2 has its bit
//     (bit 3 online, bit 2 offline biometric, Book 4 Annex A2); without
//     it the rule is not performed and sets no TVR bit (the 4.4 bit
//     speaks of a capture device "not working", which a terminal that
//     declares none does not have). With the bit but no [BiometricDevice],
//     "Biometric required but Biometric capture device not working".
//   - An offline biometric CVM the card matched sets "Biometric performed
//     and successful" and CVM Results outcome 02; not matched is performed
//     and failed (outcome 01), with "Biometric Try Limit exceeded" when
//     the card has no tries left. An online one sets "Online CVM
//     captured" with outcome 00, as online PIN does.
//
// # Biometric CVMs
//
// A terminal with a biometric capture device passes a [BiometricDevice]
// in [Input]. Perform hands it each biometric CVM whose rule applies:
// [BiometricDevice.VerifyOffline] for the ones the ICC verifies (it sends
// its own commands to the card through a link Perform gives it, which
// records them with their data redacted and stops everything if the card
// or reader fails), [BiometricDevice.CaptureOnline] for the ones the
// issuer verifies (the data, an [OnlineBiometric], goes to the
// authorisation request and never prints). The device says what went
// wrong with the sentinel errors [ErrBiometricBypassed],
// [ErrBiometricDeviceNotWorking], [ErrBiometricTypeNotSupported],
// [ErrBiometricTemplateFormatNotSupported] and [ErrBiometricCancelled],
// each mapped to its EMV 4.4 TVR bit (Book 3 Annex C5).
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
