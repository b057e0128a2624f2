package emvtest

// PDOLQVSDC is the PDOL of the qVSDC profiles: the TTQ, amounts, terminal
// country, TVR, currency, date, type and unpredictable number (Book C-3
// Annex A lists them as the data a qVSDC card asks for).
const PDOLQVSDC = "9F66049F02069F03069F1A0295055F2A029A039C019F3704"

func u64p(v uint64) *uint64 { return &v }

// qvsdcApp is the base of the Visa contactless applications: AID
// A0000000031010 with Kernel Identifier 03 in the PPSE, AIP 2000 (fDDA
// supported), the qVSDC PDOL, an Available Offline Spending Amount of
// 500.00, card risk management by amount.
func qvsdcApp() Application {
	return Application{
		AID:                mustHex("A0000000031010"),
		Label:              "VISA CREDIT",
		PreferredName:      "Visa Credit",
		Priority:           1,
		LanguagePreference: "en",
		KernelIdentifier:   mustHex("03"),
		PDOL:               mustHex(PDOLQVSDC),
		AIP:                mustHex("2000"),
		EffectiveDate:      "200101",
		ExpiryDate:         "301231",
		IssuerCountry:      mustHex("0840"),
		ATC:                0x0020,
		LastOnlineATC:      0x001F,
		QVSDC: &QVSDC{
			CTQ:              mustHex("0000"),
			AvailableOffline: u64p(50000),
		},
	}
}

func qvsdcProfile(name, description, pan string, a Application) *Profile {
	return &Profile{
		Name:         name,
		Description:  description,
		PAN:          pan,
		PSN:          "01",
		Contactless:  &Contactless{},
		Applications: []Application{a},
	}
}

// VisaQVSDCOffline is a contactless Visa card that approves offline (TC)
// with fDDA version 01 up to its Available Offline Spending Amount
// (500.00) and asks for a signature above the reader's CVM limit.
func VisaQVSDCOffline() *Profile {
	a := qvsdcApp()
	a.QVSDC.CVM = CVMQSignature
	return qvsdcProfile("visa-qvsdc-offline", "contactless Visa qVSDC: offline approval with fDDA 01 up to 500.00 (9F5D), signature above the CVM limit", "4761739001020019", a)
}

// VisaQVSDCOnline is a contactless Visa card that always asks to go
// online (ARQC) and asks for online PIN above the CVM limit.
func VisaQVSDCOnline() *Profile {
	a := qvsdcApp()
	a.Risk.Decision = DecideOnline
	a.QVSDC.CVM = CVMQOnlinePIN
	a.QVSDC.AvailableOffline = nil
	return qvsdcProfile("visa-qvsdc-online", "contactless Visa qVSDC: always an ARQC, online PIN above the CVM limit", "4761739001020027", a)
}

// VisaQVSDCDecline is a contactless Visa card that declines offline (AAC).
func VisaQVSDCDecline() *Profile {
	a := qvsdcApp()
	a.Risk.Decision = DecideDecline
	return qvsdcProfile("visa-qvsdc-decline", "contactless Visa qVSDC: the card declines (AAC)", "4761739001020035", a)
}

// VisaQVSDCPhone is a phone with a Visa card: consumer device CVM (CTQ
// byte 2 bit 8) above the CVM limit, fDDA, issuer update processing
// supported, form factor 9F6E.
func VisaQVSDCPhone() *Profile {
	a := qvsdcApp()
	a.Label = "VISA MOBILE"
	a.QVSDC.CVM = CVMQCDCVM
	a.QVSDC.FormFactor = mustHex("20700000")
	a.QVSDC.CustomerExclusive = mustHex("01020304")
	p := qvsdcProfile("visa-qvsdc-phone", "phone with a Visa card: consumer device CVM, fDDA, form factor 9F6E, customer exclusive data 9F7C", "4761739001020043", a)
	p.Contactless.HistoricalBytes = []byte("emvkit")
	return p
}

// VisaQVSDCSignature is a contactless Visa card that approves offline and
// asks for a signature (CTQ byte 1 bit 7) above the CVM limit, with no
// 9F5D limit.
func VisaQVSDCSignature() *Profile {
	a := qvsdcApp()
	a.QVSDC.CVM = CVMQSignature
	a.QVSDC.AvailableOffline = nil
	a.Risk.Decision = DecideOffline
	return qvsdcProfile("visa-qvsdc-signature", "contactless Visa qVSDC: offline approval, signature (CTQ byte 1 bit 7) above the CVM limit, no 9F5D", "4761739001020050", a)
}

// VisaQVSDCOnlinePIN is a contactless Visa card that approves small
// amounts offline and asks for online PIN (CTQ byte 1 bit 8, going online)
// above the CVM limit.
func VisaQVSDCOnlinePIN() *Profile {
	a := qvsdcApp()
	a.QVSDC.CVM = CVMQOnlinePIN
	return qvsdcProfile("visa-qvsdc-online-pin", "contactless Visa qVSDC: offline below the CVM limit, online PIN (CTQ byte 1 bit 8) and an ARQC above it", "4761739001020068", a)
}

func badFDDA(name, description, pan, ctq string) *Profile {
	a := qvsdcApp()
	a.QVSDC.CTQ = mustHex(ctq)
	a.Faults.BadSDAD = true
	return qvsdcProfile(name, description, pan, a)
}

// VisaQVSDCBadFDDAGoOnline signs its fDDA over a wrong hash and asks, by
// CTQ byte 1 bit 6, to go online when offline data authentication fails.
func VisaQVSDCBadFDDAGoOnline() *Profile {
	return badFDDA("visa-qvsdc-bad-fdda-online", "contactless Visa qVSDC: fDDA signature over a wrong hash, CTQ 2000 (go online if ODA fails)", "4761739001020076", "2000")
}

// VisaQVSDCBadFDDASwitchInterface signs its fDDA over a wrong hash and
// asks, by CTQ byte 1 bit 5, to switch interface when ODA fails.
func VisaQVSDCBadFDDASwitchInterface() *Profile {
	return badFDDA("visa-qvsdc-bad-fdda-switch", "contactless Visa qVSDC: fDDA signature over a wrong hash, CTQ 1000 (switch interface if ODA fails)", "4761739001020084", "1000")
}

// VisaQVSDCBadFDDADecline signs its fDDA over a wrong hash and asks for
// neither: the reader declines.
func VisaQVSDCBadFDDADecline() *Profile {
	return badFDDA("visa-qvsdc-bad-fdda-decline", "contactless Visa qVSDC: fDDA signature over a wrong hash, CTQ 0000 (neither go online nor switch interface)", "4761739001020092", "0000")
}

// VisaQVSDCExpired is a contactless Visa card whose application expired
// on 31 December 2020 (5F24 and track 2).
func VisaQVSDCExpired() *Profile {
	a := qvsdcApp()
	a.ExpiryDate = "201231"
	return qvsdcProfile("visa-qvsdc-expired", "contactless Visa qVSDC whose application expired 2020-12-31; approves offline with fDDA", "4761739001020100", a)
}

// VisaQVSDCIssuerUpdate is a contactless Visa card that goes online and
// supports issuer update processing on a second tap (CTQ byte 2 bit 7):
// EXTERNAL AUTHENTICATE and issuer scripts for its ARQC.
func VisaQVSDCIssuerUpdate() *Profile {
	a := qvsdcApp()
	a.Risk.Decision = DecideOnline
	a.QVSDC.IssuerUpdate = true
	a.QVSDC.AvailableOffline = nil
	return qvsdcProfile("visa-qvsdc-issuer-update", "contactless Visa qVSDC: always an ARQC, issuer update processing on a second tap (CTQ byte 2 bit 7)", "4761739001020118", a)
}

// ContactlessMulti is a contactless card with three applications of three
// kernels in its PPSE: Mastercard (A0000000041010, Kernel Identifier 02,
// priority 1), Visa qVSDC (kernel 03, priority 2) and UnionPay
// (A000000333010101, kernel 07, priority 3). Only the Visa one answers
// qVSDC; the others are contact-style applications a Kernel 3 reader must
// not select.
func ContactlessMulti() *Profile {
	visa := qvsdcApp()
	visa.Priority = 2
	mc := visaApp()
	mc.AID = mustHex("A0000000041010")
	mc.Label = "MASTERCARD"
	mc.PreferredName = "Mastercard"
	mc.Priority = 1
	mc.AIP = mustHex("1980")
	mc.KernelIdentifier = mustHex("02")
	mc.PDOL = nil
	upi := visaApp()
	upi.AID = mustHex("A000000333010101")
	upi.Label = "UNIONPAY DEBIT"
	upi.PreferredName = "UnionPay"
	upi.Priority = 3
	upi.KernelIdentifier = mustHex("07")
	p := qvsdcProfile("contactless-multi", "contactless card with Mastercard (kernel 02, priority 1), Visa qVSDC (kernel 03, priority 2) and UnionPay (kernel 07, priority 3) in its PPSE", "4761739001020126", visa)
	p.Applications = []Application{mc, visa, upi}
	return p
}

// ContactlessCollision is the offline qVSDC card with a second card in the
// field: the reader's anticollision finds two (Book B §3.2.1).
func ContactlessCollision() *Profile {
	p := VisaQVSDCOffline()
	p.Name = "visa-qvsdc-collision"
	p.Description = "contactless Visa qVSDC with a second card in the field (collision)"
	p.Contactless.Collision = true
	return p
}

// ContactlessTypeB is the offline qVSDC card as an ISO/IEC 14443 type B
// card: its ATR carries the ATQB data.
func ContactlessTypeB() *Profile {
	p := VisaQVSDCOffline()
	p.Name = "visa-qvsdc-type-b"
	p.Description = "contactless Visa qVSDC as an ISO/IEC 14443-4 type B card"
	p.Contactless.Type = "B"
	return p
}

func init() {
	for name, f := range map[string]func() *Profile{
		"visa-qvsdc-offline":          VisaQVSDCOffline,
		"visa-qvsdc-online":           VisaQVSDCOnline,
		"visa-qvsdc-decline":          VisaQVSDCDecline,
		"visa-qvsdc-phone":            VisaQVSDCPhone,
		"visa-qvsdc-signature":        VisaQVSDCSignature,
		"visa-qvsdc-online-pin":       VisaQVSDCOnlinePIN,
		"visa-qvsdc-bad-fdda-online":  VisaQVSDCBadFDDAGoOnline,
		"visa-qvsdc-bad-fdda-switch":  VisaQVSDCBadFDDASwitchInterface,
		"visa-qvsdc-bad-fdda-decline": VisaQVSDCBadFDDADecline,
		"visa-qvsdc-expired":          VisaQVSDCExpired,
		"visa-qvsdc-issuer-update":    VisaQVSDCIssuerUpdate,
		"visa-qvsdc-collision":        ContactlessCollision,
		"visa-qvsdc-type-b":           ContactlessTypeB,
		"contactless-multi":           ContactlessMulti,
	} {
		builtin[name] = f
	}
}
