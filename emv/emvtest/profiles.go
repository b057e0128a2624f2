package emvtest

import "sort"

// Data shared by the built-in profiles.
const (
	// CDOL1Default asks for amount, other amount, terminal country, TVR,
	// currency, date, type, unpredictable number, terminal type and CVM
	// Results (33 bytes).
	CDOL1Default = "9F02069F03069F1A0295055F2A029A039C019F37049F35019F3403"
	// CDOL2Default asks for the ARC and the same transaction data (31 bytes).
	CDOL2Default = "8A029F02069F03069F1A0295055F2A029A039C019F3704"
	// DDOLDefault asks for the unpredictable number.
	DDOLDefault = "9F3704"
)

// CVM lists (Book 3 §10.5, Annex C3): amounts X = Y = 0, then CV rules.
const (
	CVMEncipheredPINOffline = "00000000000000004403420341031E031F03"  // enciphered offline PIN, online PIN, plaintext PIN, signature, no CVM
	CVMPlaintextPINOffline  = "000000000000000041034203" + "1E031F03" // plaintext offline PIN, online PIN, signature, no CVM
	CVMOnlinePIN            = "00000000000000004203" + "1E031F03"     // online PIN, signature, no CVM
	CVMSignature            = "00000000000000001E031F03"              // signature, no CVM
	CVMNoCVM                = "00000000000000001F00"                  // no CVM required, always
	CVMPINAndSignature      = "000000000000000045034303" + "1E03"     // enciphered offline PIN and signature, plaintext PIN and signature, signature
)

func intp(n int) *int { return &n }

func boolp(b bool) *bool { return &b }

// visaApp is the base of the Visa-like applications.
func visaApp() Application {
	return Application{
		AID:                mustHex("A0000000031010"),
		Label:              "VISA CREDIT",
		PreferredName:      "Visa Credit",
		CodeTableIndex:     1,
		Priority:           1,
		LanguagePreference: "en",
		AIP:                mustHex("3D00"),
		CDOL1:              mustHex(CDOL1Default),
		CDOL2:              mustHex(CDOL2Default),
		DDOL:               mustHex(DDOLDefault),
		CVMList:            mustHex(CVMEncipheredPINOffline),
		IACDefault:         mustHex("DC4000A800"),
		IACDenial:          mustHex("0010000000"),
		IACOnline:          mustHex("DC4004F800"),
		AUC:                mustHex("FF00"),
		Version:            mustHex("008C"),
		EffectiveDate:      "200101",
		ExpiryDate:         "301231",
		IssuerCountry:      mustHex("0840"),
		Currency:           mustHex("0840"),
		LCOL:               intp(5),
		UCOL:               intp(10),
		PIN:                "1234",
		ATC:                0x0010,
		LastOnlineATC:      0x000E,
	}
}

// VisaCDA is a Visa-like credit card with a PSE and one application
// (A0000000031010) that supports DDA and CDA (AIP 3D00), offline
// enciphered PIN under the ICC key (PIN 1234), no PDOL, GENERATE AC format 2.
func VisaCDA() *Profile {
	a := visaApp()
	return &Profile{
		Name:         "visa-cda",
		Description:  "Visa-like credit card: PSE, one application, CDA, offline enciphered PIN 1234",
		PAN:          "4761739001010119",
		PSN:          "01",
		Applications: []Application{a},
	}
}

// VisaSDA is a Visa-like card with SDA only (AIP 5C00), offline
// plaintext PIN 1234 and a static data tag list with the AIP.
func VisaSDA() *Profile {
	a := visaApp()
	a.AIP = mustHex("5C00")
	a.DDOL = nil
	a.CVMList = mustHex(CVMPlaintextPINOffline)
	a.SDATagList = mustHex("82")
	return &Profile{
		Name:         "visa-sda",
		Description:  "Visa-like card: PSE, SDA with AIP in the static data, offline plaintext PIN 1234",
		PAN:          "4761739001010010",
		PSN:          "00",
		Applications: []Application{a},
	}
}

// MastercardDDA is a Mastercard-like debit card with DDA (AIP 3C00), a
// PDOL (terminal type and country), GPO and INTERNAL AUTHENTICATE in
// format 2, online PIN, ARPC method 2 and issuer authentication required.
func MastercardDDA() *Profile {
	a := visaApp()
	a.AID = mustHex("A0000000041010")
	a.Label = "MASTERCARD"
	a.PreferredName = "Mastercard"
	a.AIP = mustHex("3C00")
	a.PDOL = mustHex("9F35019F1A02")
	a.GPOFormat = 2
	a.DDAFormat = 2
	a.CVMList = mustHex(CVMOnlinePIN)
	a.PIN = ""
	a.Version = mustHex("0002")
	a.IACDefault = mustHex("F45084800C")
	a.IACDenial = mustHex("0000000000")
	a.IACOnline = mustHex("F45084800C")
	a.ARPCMethod = 2
	a.Risk.IssuerAuthRequired = true
	a.IssuerCountry = mustHex("0826")
	a.Currency = mustHex("0826")
	a.LanguagePreference = "enfr"
	return &Profile{
		Name:         "mastercard-dda",
		Description:  "Mastercard-like debit card: PSE, DDA with a PDOL, format 2 responses, online PIN, ARPC method 2",
		PAN:          "5413330089020011",
		PSN:          "03",
		Applications: []Application{a},
	}
}

// MultiApplication is a card with a PSE listing three applications of
// different priorities: Visa debit (2), Visa credit (1, highest) and a
// Mastercard (3); the Visa ones share a RID, so SELECT of the RID
// A000000003 finds the debit one first and, with P2 02, the credit one
// next.
func MultiApplication() *Profile {
	credit := visaApp()
	debit := visaApp()
	debit.AID = mustHex("A0000000032010")
	debit.Label = "VISA DEBIT"
	debit.PreferredName = "Visa Debit"
	debit.Priority = 2
	mc := visaApp()
	mc.AID = mustHex("A0000000041010")
	mc.Label = "MASTERCARD"
	mc.PreferredName = "Mastercard"
	mc.Priority = 3
	mc.AIP = mustHex("3C00")
	return &Profile{
		Name:         "multi-application",
		Description:  "PSE with three applications (Visa credit priority 1, Visa debit 2, Mastercard 3)",
		PAN:          "4761739001010200",
		PSN:          "01",
		Applications: []Application{debit, credit, mc},
	}
}

// NoDirectory is a CDA card without a PSE: the terminal must build the
// candidate list from its AID list (Book 1 §12.3.3).
func NoDirectory() *Profile {
	p := VisaCDA()
	p.Name = "no-pse"
	p.Description = "CDA card without PSE: selection by AID list only"
	p.Directory = DirectoryNone
	return p
}

// BlockedApplication has a PSE listing a blocked Visa application (SELECT
// answers 6283) and a working Mastercard one.
func BlockedApplication() *Profile {
	blocked := visaApp()
	blocked.Blocked = true
	mc := MastercardDDA().Applications[0]
	mc.Priority = 2
	return &Profile{
		Name:         "blocked-application",
		Description:  "PSE with a blocked Visa application (6283) and a working Mastercard application",
		PAN:          "4761739001010300",
		PSN:          "01",
		Applications: []Application{blocked, mc},
	}
}

// SeparatePINKey is a CDA card with an ICC PIN Encipherment Public Key
// (9F2D, 9F2E, 9F2F) besides its ICC key (Book 2 §7.1).
func SeparatePINKey() *Profile {
	p := VisaCDA()
	p.Name = "pin-key"
	p.Description = "CDA card with a separate ICC PIN encipherment key (9F2D), offline enciphered PIN 1234"
	p.Applications[0].PINKey = true
	return p
}

// SignatureT0 is a DDA card for T=0 readers (61xx/6Cxx procedures on)
// whose CVM list asks for a signature, with no offline PIN.
func SignatureT0() *Profile {
	a := visaApp()
	a.AIP = mustHex("3C00")
	a.CVMList = mustHex(CVMSignature)
	a.PIN = ""
	return &Profile{
		Name:         "signature-t0",
		Description:  "DDA card on T=0 with 61xx/6Cxx procedures, signature CVM, no offline PIN",
		Protocol:     "T=0",
		T0Procedures: true,
		PAN:          "4761739001010400",
		PSN:          "01",
		Applications: []Application{a},
	}
}

// NoCVMOffline is a CDA card whose CVM list says no CVM required and whose
// risk management approves offline whenever asked for a TC.
func NoCVMOffline() *Profile {
	a := visaApp()
	a.CVMList = mustHex(CVMNoCVM)
	a.PIN = ""
	a.Risk.Decision = DecideOffline
	return &Profile{
		Name:         "no-cvm-offline",
		Description:  "CDA card, CVM list 'no CVM required', card approves offline (TC) whenever asked",
		PAN:          "4761739001010500",
		PSN:          "01",
		Applications: []Application{a},
	}
}

// PPSE is a card answering the proximity directory 2PAY.SYS.DDF01 (its
// FCI lists two applications) and no PSE.
func PPSE() *Profile {
	p := MultiApplication()
	p.Name = "ppse"
	p.Description = "PPSE (2PAY.SYS.DDF01) listing the applications in its FCI; no PSE"
	p.Directory = DirectoryPPSE
	p.Applications = p.Applications[1:]
	return p
}

// ExpiredIssuerCertificate is an SDA card whose issuer certificate expired
// in January 2020 (Book 2 §5.3 step 9 fails).
func ExpiredIssuerCertificate() *Profile {
	p := VisaSDA()
	p.Name = "expired-issuer-cert"
	p.Description = "SDA card whose issuer public key certificate expired 01/20"
	p.Applications[0].Faults.IssuerCertExpiry = "0120"
	return p
}

// Declining is a CDA card whose risk management answers an AAC to every
// GENERATE AC.
func Declining() *Profile {
	p := VisaCDA()
	p.Name = "declining"
	p.Description = "CDA card whose own risk management declines every transaction (AAC)"
	p.Applications[0].Risk.Decision = DecideDecline
	return p
}

// PINBlocked is an SDA card whose PIN try counter is 0: VERIFY answers
// 6983 (Book 3 §10.5.1).
func PINBlocked() *Profile {
	p := VisaSDA()
	p.Name = "pin-blocked"
	p.Description = "SDA card with offline plaintext PIN whose PIN try counter is exhausted (6983)"
	p.Applications[0].PINBlocked = true
	return p
}

// PINAndSignature is a CDA card whose CVM list asks for enciphered offline
// PIN and signature, then plaintext PIN and signature.
func PINAndSignature() *Profile {
	p := VisaCDA()
	p.Name = "pin-and-signature"
	p.Description = "CDA card, CVM list: enciphered offline PIN and signature, plaintext PIN and signature, signature"
	p.Applications[0].CVMList = mustHex(CVMPINAndSignature)
	return p
}

// builtin lists the built-in profiles by name.
var builtin = map[string]func() *Profile{
	"visa-cda":            VisaCDA,
	"visa-sda":            VisaSDA,
	"mastercard-dda":      MastercardDDA,
	"multi-application":   MultiApplication,
	"no-pse":              NoDirectory,
	"blocked-application": BlockedApplication,
	"pin-key":             SeparatePINKey,
	"signature-t0":        SignatureT0,
	"no-cvm-offline":      NoCVMOffline,
	"ppse":                PPSE,
	"expired-issuer-cert": ExpiredIssuerCertificate,
	"declining":           Declining,
	"pin-blocked":         PINBlocked,
	"pin-and-signature":   PINAndSignature,
}

// BuiltinProfile returns a fresh copy of the built-in profile with the given
// name, or nil.
func BuiltinProfile(name string) *Profile {
	if f, found := builtin[name]; found {
		return f()
	}
	return nil
}

// BuiltinProfiles returns the names of the built-in profiles, sorted.
func BuiltinProfiles() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
