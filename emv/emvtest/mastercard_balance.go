package emvtest

// Balance reading on a contactless Mastercard (Book C-2 States 16 and
// 17): the card says it supports balance reading in its Application
// Capabilities Information 9F5D (byte 2 b2) and answers GET DATA 9F50
// with its Offline Accumulator Balance.

// ACIBalanceReading is the Application Capabilities Information (9F5D) of
// a card that supports balance reading: byte 2 b2 set (Book C-2 Annex A),
// the other bits zero.
var ACIBalanceReading = []byte{0x00, 0x02, 0x00}

// WithOfflineAccumulatorBalance is the balance-reading knob of a Kernel 2
// application: its records carry the Application Capabilities Information
// aci (nil: none, the card does not say it supports balance reading) and
// GET DATA 9F50 answers the Offline Accumulator Balance, balance in minor
// units (n12). The balance is the issuer's data object, as a PUT DATA
// script would set it; it does not change with the transaction.
func WithOfflineAccumulatorBalance(a *Application, aci []byte, balance uint64) {
	if aci != nil {
		a.Extra = append(a.Extra, tlvHex(0x9F5D, aci)...)
	}
	a.IssuerData = append(a.IssuerData, IssuerDataObject{Tag: Hex{0x9F, 0x50}, Value: bcd6(balance)})
}

// MastercardBalance is a contactless Mastercard in EMV mode (TC with CDA
// and relay resistance, as [MastercardOffline]) that supports balance
// reading: ACI 000200, Offline Accumulator Balance 250.00.
func MastercardBalance() *Profile {
	a := mastercardApp()
	WithOfflineAccumulatorBalance(&a, ACIBalanceReading, 25000)
	return mastercardProfile("mastercard-balance", "contactless Mastercard (Kernel 2, EMV mode): balance reading (ACI 9F5D 000200, GET DATA 9F50 250.00)", "5413330089010087", a)
}

func init() { builtin["mastercard-balance"] = MastercardBalance }
