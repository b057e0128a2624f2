package emvtest

// The UnionPay contact applications (UICS, published as the People's Bank
// of China standard JR/T 0025, "PBOC 3.0"): AIDs under the RID A000000333
// (Book 1 §12.2.1; the suffixes 010101 debit, 010102 credit, 010103
// quasi-credit and 010106 electronic cash are UnionPay's), China (156) as
// issuer country and CNY (156) as application currency, and the language
// preference "zh". The data follow the UnionPay test card
// 6210948000000011 recorded in binaryfoo/emv-bertlv
// (src/test/resources/cases/contact-upi-in.txt at
// dda526e6b9d6e45a5d8b5c74217540a478f1154b): AIP 7C00 (SDA, DDA,
// cardholder verification, terminal risk management, issuer
// authentication), Application Version 0020, its issuer action codes, and
// the cardholder's identity document in the records (9F61 number, 9F62
// type).

// UnionPay AIDs (JR/T 0025.5; the RID is UnionPay's, A000000333).
const (
	AIDUnionPayDebit       = "A000000333010101"
	AIDUnionPayCredit      = "A000000333010102"
	AIDUnionPayQuasiCredit = "A000000333010103"
	AIDUnionPayECash       = "A000000333010106"
)

// PDOLUnionPayECash is the PDOL of an electronic cash application: the
// EC Terminal Support Indicator 9F7A, the amount authorised and the
// transaction currency (JR/T 0025.13): the card does an electronic cash
// transaction only when the terminal says it supports one for this amount.
const PDOLUnionPayECash = "9F7A019F02065F2A02"

// CVM lists of the UnionPay cards (Book 3 Annex C3).
const (
	// CVMUnionPayDebit: online PIN if the terminal supports it, else
	// signature, else no CVM.
	CVMUnionPayDebit = "00000000000000004203" + "1E031F03"
	// CVMUnionPayCredit is the list of the recorded credit card:
	// signature (apply the next rule if it fails) if the terminal supports
	// it, online PIN if supported, then no CVM required, always.
	CVMUnionPayCredit = "00000000000000005E03" + "42031F00"
)

// unionPayCardholderID is the identity document of the recorded test
// card, a resident identity card (9F62 00) number.
const unionPayCardholderID = "110101198606200010"

// unionPayApp is the base of the UnionPay applications.
func unionPayApp(aid, label string, priority int) Application {
	extra := tlvHex(0x9F61, []byte(unionPayCardholderID))
	extra = append(extra, tlvHex(0x9F62, []byte{0x00})...)
	return Application{
		AID:                mustHex(aid),
		Label:              label,
		PreferredName:      label,
		CodeTableIndex:     1,
		Priority:           priority,
		LanguagePreference: "zh",
		AIP:                mustHex("7C00"),
		CDOL1:              mustHex(CDOL1Default),
		CDOL2:              mustHex(CDOL2Default),
		DDOL:               mustHex(DDOLDefault),
		CVMList:            mustHex(CVMUnionPayDebit),
		IACDefault:         mustHex("D8609CA800"),
		IACDenial:          mustHex("0010000000"),
		IACOnline:          mustHex("D8689CF800"),
		AUC:                mustHex("FF00"),
		Version:            mustHex("0020"),
		EffectiveDate:      "200101",
		ExpiryDate:         "301231",
		IssuerCountry:      mustHex("0156"),
		Currency:           mustHex("0156"),
		LCOL:               intp(5),
		UCOL:               intp(10),
		ATC:                0x0005,
		LastOnlineATC:      0x0001,
		Extra:              extra,
	}
}

// eCashData is the electronic cash of an application, in minor units of
// CNY: the EC Balance 9F79, EC Balance Limit 9F77, EC Single Transaction
// Limit 9F78 and EC Reset Threshold 9F6D (n 12 each, JR/T 0025.13), which
// GET DATA returns.
func eCashData(balance, limit, single, reset uint64) []IssuerDataObject {
	return []IssuerDataObject{
		{Tag: mustHex("9F79"), Value: bcd12(balance)},
		{Tag: mustHex("9F77"), Value: bcd12(limit)},
		{Tag: mustHex("9F78"), Value: bcd12(single)},
		{Tag: mustHex("9F6D"), Value: bcd12(reset)},
	}
}

// bcd12 encodes v as n 12: six bytes of BCD.
func bcd12(v uint64) []byte {
	b := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		b[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	return b
}

// tlvHex encodes one primitive data object of a one- or two-byte tag with
// a short length.
func tlvHex(tag uint16, v []byte) []byte {
	var b []byte
	if tag > 0xFF {
		b = append(b, byte(tag>>8))
	}
	b = append(b, byte(tag), byte(len(v)))
	return append(b, v...)
}

// UnionPayDebit is a UnionPay debit card (A000000333010101, "UICC DEBIT")
// with a PSE: DDA, online PIN, the cardholder's ID in the records, and an
// electronic cash balance of 500.00 (limit 1000.00, single transaction
// limit 500.00, reset threshold 100.00) that GET DATA reads.
func UnionPayDebit() *Profile {
	a := unionPayApp(AIDUnionPayDebit, "UICC DEBIT", 1)
	a.IssuerData = eCashData(50000, 100000, 50000, 10000)
	return &Profile{
		Name:         "unionpay-debit",
		Description:  "UnionPay debit card (A000000333010101): PSE, DDA, online PIN, cardholder ID 9F61/9F62, electronic cash balance 500.00",
		PAN:          "6210948000000029",
		PSN:          "01",
		Applications: []Application{a},
	}
}

// UnionPayCredit is a UnionPay credit card (A000000333010102, "UICC
// CREDIT") with the CVM list of the recorded card (signature, online PIN,
// no CVM), DDA, and GENERATE AC in format 1 as that card answers.
func UnionPayCredit() *Profile {
	a := unionPayApp(AIDUnionPayCredit, "UICC CREDIT", 1)
	a.CVMList = mustHex(CVMUnionPayCredit)
	a.GenACFormat = 1
	return &Profile{
		Name:         "unionpay-credit",
		Description:  "UnionPay credit card (A000000333010102): PSE, DDA, signature then online PIN, GENERATE AC format 1",
		PAN:          "6250948000000011",
		PSN:          "00",
		Applications: []Application{a},
	}
}

// UnionPayThreeApplications is the layout of the recorded test card: a PSE
// listing UnionPay credit (priority 1), debit (2) and quasi-credit (3),
// which share the RID and the prefix A0000003330101, so SELECT of that
// prefix finds them one after another (partial selection, Book 1
// §12.3.3).
func UnionPayThreeApplications() *Profile {
	credit := unionPayApp(AIDUnionPayCredit, "UICC CREDIT", 1)
	credit.CVMList = mustHex(CVMUnionPayCredit)
	debit := unionPayApp(AIDUnionPayDebit, "UICC DEBIT", 2)
	quasi := unionPayApp(AIDUnionPayQuasiCredit, "UICC QUASICREDIT", 3)
	return &Profile{
		Name:         "unionpay-three-applications",
		Description:  "UnionPay card with credit (priority 1), debit (2) and quasi-credit (3) applications in its PSE, as the recorded test card 6210948000000011",
		PAN:          "6210948000000037",
		PSN:          "01",
		Applications: []Application{credit, debit, quasi},
	}
}

// UnionPayECash is a UnionPay electronic cash card (A000000333010106):
// no PSE (selected by AID), the EC PDOL, no CVM, the EC Issuer
// Authorization Code "ECC001" (9F74) in its records, and an EC balance of
// 200.00 (limit 1000.00, single transaction limit 300.00, reset threshold
// 50.00). It approves offline what its balance and single transaction
// limit allow when the terminal says it supports electronic cash (9F7A
// 01), and takes the amount from its balance; anything else it sends
// online (an ARQC).
func UnionPayECash() *Profile {
	a := unionPayApp(AIDUnionPayECash, "UICC ECASH", 1)
	a.PDOL = mustHex(PDOLUnionPayECash)
	a.CVMList = mustHex(CVMNoCVM)
	a.Risk.Decision = DecideOnline
	a.Extra = append(a.Extra, tlvHex(0x9F74, []byte("ECC001"))...)
	a.IssuerData = eCashData(20000, 100000, 30000, 5000)
	return &Profile{
		Name:         "unionpay-ecash",
		Description:  "UnionPay electronic cash card (A000000333010106): no PSE, EC PDOL 9F7A, no CVM, 9F74 ECC001, offline approval within its EC balance 200.00, else online",
		Directory:    DirectoryNone,
		PAN:          "6210948000000045",
		PSN:          "01",
		Applications: []Application{a},
	}
}

func init() {
	builtin["unionpay-debit"] = UnionPayDebit
	builtin["unionpay-credit"] = UnionPayCredit
	builtin["unionpay-three-applications"] = UnionPayThreeApplications
	builtin["unionpay-ecash"] = UnionPayECash
}

// eCashPurchase is the electronic cash decision of a UnionPay application
// whose PDOL asks for the EC Terminal Support Indicator 9F7A and which has
// an EC Balance 9F79 (JR/T 0025.13): when the terminal sent 9F7A = 01 and
// the amount authorised is at most the balance and the EC Single
// Transaction Limit 9F78 (when the card has one), the card approves
// offline and takes the amount from its balance, and it reports true.
// Otherwise the application's own risk management decides.
func (a *appState) eCashPurchase() bool {
	vals := dolValues(a.perso.pdol, a.tx.pdolData)
	if ind, found := vals[0x9F7A]; !found || len(ind) != 1 || ind[0] != 0x01 {
		return false
	}
	bal := a.issuerData(0x9F79)
	amount, good := bcdNumber(a.tx.cdol1Vals[0x9F02])
	if bal == nil || !good {
		return false
	}
	balance, good := bcdNumber(bal.value)
	if !good || amount > balance {
		return false
	}
	if single := a.issuerData(0x9F78); single != nil {
		if limit, good := bcdNumber(single.value); good && amount > limit {
			return false
		}
	}
	bal.value = bcd12(balance - amount)
	return true
}

// bcdNumber reads an n value; false for a nibble that is not a digit or
// no value.
func bcdNumber(v []byte) (uint64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c>>4 > 9 || c&0x0F > 9 {
			return 0, false
		}
		n = n*100 + uint64(c>>4)*10 + uint64(c&0x0F)
	}
	return n, true
}
