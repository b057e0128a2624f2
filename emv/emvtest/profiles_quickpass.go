package emvtest

// PDOLQuickPass is the PDOL of the UnionPay QuickPass profiles: the TTQ,
// amounts, terminal country, TVR, currency, date, type and unpredictable
// number, the data a qUICS card asks for to take its decision and sign
// its fDDA (Book C-7; the UnionPay specifications list the same objects).
const PDOLQuickPass = "9F66049F02069F03069F1A0295055F2A029A039C019F3704"

// The QuickPass applications use the UnionPay AIDs of profiles_unionpay.go
// (debit, credit, quasi-credit): one application answers contact and
// contactless under the same AID.

// quickPassApp is the base of the UnionPay contactless applications: Kernel
// Identifier 07 in the PPSE, AIP 2000 (fDDA supported), the QuickPass PDOL,
// language preference Chinese then English, issuer country 156 (China),
// the Issuer Application Data in the UnionPay layout, an Available Offline
// Spending Amount (the electronic cash balance, which GET DATA 9F79 also
// answers) of 500.00, fDDA version 01, and the electronic cash limits GET
// DATA reads (EC Balance Limit 9F77 1000.00, EC Single Transaction Limit
// 9F78 500.00, EC Reset Threshold 9F6D 100.00).
func quickPassApp(aid, label, name string) Application {
	return Application{
		AID:                mustHex(aid),
		Label:              label,
		PreferredName:      name,
		Priority:           1,
		LanguagePreference: "zhen",
		KernelIdentifier:   mustHex("07"),
		PDOL:               mustHex(PDOLQuickPass),
		AIP:                mustHex("2000"),
		EffectiveDate:      "200101",
		ExpiryDate:         "301231",
		IssuerCountry:      mustHex("0156"),
		ATC:                0x0040,
		LastOnlineATC:      0x003F,
		IssuerData: []IssuerDataObject{
			{Tag: mustHex("9F77"), Value: bcd12(100000)},
			{Tag: mustHex("9F78"), Value: bcd12(50000)},
			{Tag: mustHex("9F6D"), Value: bcd12(10000)},
		},
		QVSDC: &QVSDC{
			UnionPay:         true,
			CTQ:              mustHex("0000"),
			AvailableOffline: u64p(50000),
		},
	}
}

func quickPassProfile(name, description, pan string, a Application) *Profile {
	return &Profile{
		Name:         name,
		Description:  description,
		PAN:          pan,
		PSN:          "00",
		Contactless:  &Contactless{},
		Applications: []Application{a},
	}
}

// UnionPayQuickPassDebit is a UnionPay QuickPass debit card
// (A000000333010101) that approves offline with fDDA up to its electronic
// cash balance (9F5D, 500.00) and asks for online PIN, going online, above
// the reader's CVM limit.
func UnionPayQuickPassDebit() *Profile {
	a := quickPassApp(AIDUnionPayDebit, "UNIONPAY DEBIT", "UnionPay Debit")
	a.QVSDC.CVM = CVMQOnlinePIN
	return quickPassProfile("unionpay-quickpass-debit", "UnionPay QuickPass debit (A000000333010101, kernel 07): offline approval with fDDA 01 up to the 500.00 balance (9F5D), online PIN above the CVM limit", "6212345678901234", a)
}

// UnionPayQuickPassCredit is a UnionPay QuickPass credit card
// (A000000333010102) that approves offline with fDDA up to 1000.00 (9F5D)
// and asks for a signature above the reader's CVM limit; it carries the
// Product Identification Information 9F63.
func UnionPayQuickPassCredit() *Profile {
	a := quickPassApp(AIDUnionPayCredit, "UNIONPAY CREDIT", "UnionPay Credit")
	a.QVSDC.CVM = CVMQSignature
	a.QVSDC.AvailableOffline = u64p(100000)
	a.QVSDC.ProductID = mustHex("30313233343536373839414243444546")
	return quickPassProfile("unionpay-quickpass-credit", "UnionPay QuickPass credit (A000000333010102, kernel 07): offline approval with fDDA 01 up to 1000.00 (9F5D), signature above the CVM limit, 9F63", "6250941234567893", a)
}

// UnionPayQuickPassQuasiCredit is a UnionPay QuickPass quasi-credit card
// (A000000333010103) that always goes online (ARQC), online PIN above the
// CVM limit, and returns no 9F5D.
func UnionPayQuickPassQuasiCredit() *Profile {
	a := quickPassApp(AIDUnionPayQuasiCredit, "UNIONPAY QCREDIT", "UnionPay QCredit")
	a.Risk.Decision = DecideOnline
	a.QVSDC.CVM = CVMQOnlinePIN
	a.QVSDC.AvailableOffline = nil
	return quickPassProfile("unionpay-quickpass-quasi-credit", "UnionPay QuickPass quasi-credit (A000000333010103, kernel 07): always an ARQC, online PIN above the CVM limit, no 9F5D", "6229881234567890", a)
}

// UnionPayQuickPassDecline is a UnionPay QuickPass debit card that declines
// offline (AAC).
func UnionPayQuickPassDecline() *Profile {
	a := quickPassApp(AIDUnionPayDebit, "UNIONPAY DEBIT", "UnionPay Debit")
	a.Risk.Decision = DecideDecline
	return quickPassProfile("unionpay-quickpass-decline", "UnionPay QuickPass debit (kernel 07): the card declines (AAC)", "6212345678901242", a)
}

// UnionPayQuickPassPhone is a phone with a UnionPay card (HCE): consumer
// device CVM (CTQ byte 2 bit 8) above the CVM limit, fDDA, a 200.00
// balance.
func UnionPayQuickPassPhone() *Profile {
	a := quickPassApp(AIDUnionPayCredit, "UNIONPAY MOBILE", "UnionPay Mobile")
	a.QVSDC.CVM = CVMQCDCVM
	a.QVSDC.AvailableOffline = u64p(20000)
	p := quickPassProfile("unionpay-quickpass-phone", "phone with a UnionPay QuickPass credit card (kernel 07): consumer device CVM, fDDA 01, 200.00 balance (9F5D)", "6250941234567901", a)
	p.Contactless.HistoricalBytes = []byte("emvkit")
	return p
}

func init() {
	for name, f := range map[string]func() *Profile{
		"unionpay-quickpass-debit":        UnionPayQuickPassDebit,
		"unionpay-quickpass-credit":       UnionPayQuickPassCredit,
		"unionpay-quickpass-quasi-credit": UnionPayQuickPassQuasiCredit,
		"unionpay-quickpass-decline":      UnionPayQuickPassDecline,
		"unionpay-quickpass-phone":        UnionPayQuickPassPhone,
	} {
		builtin[name] = f
	}
}
