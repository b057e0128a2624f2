package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Balance reading (Book C-2, States 16 and 17, Waiting for Pre-Gen AC
// Balance and Waiting for Post-Gen AC Balance): a card that says so in its
// Application Capabilities Information reads out its Offline Accumulator
// Balance by GET DATA before and/or after GENERATE AC, when the terminal
// asks for it, and the kernel hands it over in the Discretionary Data.
const (
	// tagACI is the Application Capabilities Information (card, 3 bytes):
	// byte 2 b2 "support for balance reading" (Book C-2 Annex A). Under
	// Kernel 2, 9F5D is this, not Kernel 3's Available Offline Spending
	// Amount.
	tagACI                  tlv.Tag = 0x9F5D
	aciSupportsBalanceRead          = 0x02 // byte 2 b2
	tagOfflineAccumulator   tlv.Tag = 0x9F50
	tagBalanceBeforeGenAC   tlv.Tag = 0xDF8104
	tagBalanceAfterGenAC    tlv.Tag = 0xDF8105
	offlineAccumulatorBytes         = 6 // n12
)

// balanceWanted reports whether the kernel reads the balance the terminal
// data object t (Balance Read Before Gen AC DF8104 or After Gen AC DF8105)
// asks for. Reading of Book C-2: the terminal asks by placing the data
// object, empty, in the terminal data of the combination (kernel_data
// {"DF8104": ""}); the kernel reads only when the card's ACI (9F5D, 3
// bytes) sets "support for balance reading". A card without the bit, or
// with an ACI of another length, is not asked.
func (s *transactionState) balanceWanted(t tlv.Tag) bool {
	if _, ok := s.terminal(t); !ok {
		return false
	}
	aci, ok := s.card.get(tagACI)
	return ok && len(aci) == 3 && aci[1]&aciSupportsBalanceRead != 0
}

// readBalance sends GET DATA for the Offline Accumulator Balance, 80 CA 9F
// 50 00.
func (s *transactionState) readBalance() { s.send(apdu.GetData(uint16(tagOfflineAccumulator))) }

// balanceAnswer is the Offline Accumulator Balance of a GET DATA response:
// SW 9000 and exactly one 9F50 of 6 bytes. Reading of Book C-2: any other
// answer (6A88 a card with no balance after all, a wrong status, a
// malformed response) is no balance and the transaction goes on: the
// balance is information for the cardholder, not a condition of the
// transaction, so it does not end it.
func balanceAnswer(sig signal) ([]byte, bool) {
	if sig.err != nil || sig.r.SW != apdu.SWOK {
		return nil, false
	}
	t, v, err := tlv.Single(sig.r.Data)
	if err != nil || t != tagOfflineAccumulator || len(v) != offlineAccumulatorBytes {
		return nil, false
	}
	return append([]byte(nil), v...), true
}

// waitingForPreGenACBalance is State 16, Waiting for Pre-Gen AC Balance
// (Book C-2): the answer to the GET DATA sent before GENERATE AC becomes
// Balance Read Before Gen AC (DF8104), then Prepare Generate AC Command.
// A lost card is the link's error, as for any command before GENERATE AC.
func waitingForPreGenACBalance(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	if v, ok := balanceAnswer(sig); ok {
		s.balanceBefore = v
	}
	return s.writeBeforeGenAC()
}

// waitingForPostGenACBalance is State 17, Waiting for Post-Gen AC Balance
// (Book C-2): the answer to the GET DATA sent after the GENERATE AC
// response becomes Balance Read After Gen AC (DF8105), then the common
// processing of States 9 and 10 on the GENERATE AC response already
// parsed. Reading: a card lost here has already given its cryptogram, so
// the transaction completes without the balance (no link error, no torn
// record: the GENERATE AC was answered).
func waitingForPostGenACBalance(s *transactionState, sig signal) stateFn {
	if v, ok := balanceAnswer(sig); ok {
		s.balanceAfter = v
	}
	return statesNineTenCommonProcessing(s, s.genACTemplate)
}
