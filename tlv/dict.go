package tlv

import "strings"

// Format is a data element format of Book 3 §4.3 as Annex A names it.
type Format uint8

// The data element formats (Book 3 §4.3).
const (
	// FormatB: binary.
	FormatB Format = iota + 1
	// FormatN: numeric, two BCD digits per byte, right-justified and padded
	// on the left with zero digits.
	FormatN
	// FormatCN: compressed numeric, BCD digits left-justified and padded on
	// the right with hexadecimal F.
	FormatCN
	// FormatA: alphabetic, one character per byte.
	FormatA
	// FormatAN: alphanumeric, one character per byte.
	FormatAN
	// FormatANS: alphanumeric and special characters, one per byte.
	FormatANS
	// FormatVar: "var." in Annex A: templates and elements whose coding is
	// given elsewhere (AFL, BIC, IBAN). DOL data of this format is built as
	// binary.
	FormatVar
)

var formatNames = [...]string{
	FormatB: "b", FormatN: "n", FormatCN: "cn", FormatA: "a",
	FormatAN: "an", FormatANS: "ans", FormatVar: "var.",
}

// String returns the format as Annex A writes it: "b", "n", "cn", "a",
// "an", "ans" or "var.".
func (f Format) String() string {
	if int(f) < len(formatNames) && formatNames[f] != "" {
		return formatNames[f]
	}
	return "?"
}

// Source says who provides a data element (the Source column of Book 3
// Annex A). An element may have more than one source.
type Source uint8

// The sources of a data element.
const (
	SourceICC Source = 1 << iota
	SourceTerminal
	SourceIssuer
)

// String returns the sources joined by "/", as Annex A writes them:
// "ICC", "Terminal", "Issuer/Terminal".
func (s Source) String() string {
	var parts []string
	if s&SourceICC != 0 {
		parts = append(parts, "ICC")
	}
	if s&SourceIssuer != 0 {
		parts = append(parts, "Issuer")
	}
	if s&SourceTerminal != 0 {
		parts = append(parts, "Terminal")
	}
	if len(parts) == 0 {
		return "?"
	}
	return strings.Join(parts, "/")
}

// Element describes one data element: a row of Book 3 Annex A1 or of the
// contactless and scheme specifications a terminal meets.
type Element struct {
	Tag  Tag
	Name string
	// Format is the element's format; a constructed tag (a template) has
	// FormatVar.
	Format Format
	// MinLen and MaxLen bound the value field in bytes. Lengths that depend
	// on a key (N_CA, N_I, N_IC) are given as 1..248.
	MinLen, MaxLen int
	// Templates lists the templates the element is found in when it comes
	// from the card (Annex A "Template" column); nil if none applies. The
	// slice is shared by the dictionary: do not modify it.
	Templates []Tag
	// Source says who provides the element.
	Source Source
	// Spec names where the element is defined: "Book 3 Annex A1",
	// "Book C-2", "Book C-3", "Book A", "Book B".
	Spec string
	// Sensitive marks cardholder data (PAN, track data, cardholder name)
	// that [Describe] masks, and PIN data that it never shows.
	Sensitive bool
}

// Lookup returns the dictionary entry for tag. It does not allocate.
func Lookup(tag Tag) (Element, bool) {
	i := elementRow(tag)
	if i < 0 {
		return Element{}, false
	}
	return elements[i], true
}

// elementRow returns tag's row of elements, -1 for a tag the dictionary
// does not have. A kernel looks up every object of every record: the
// one-byte, 5Fxx and 9Fxx tags are a table read, the others a map's.
func elementRow(tag Tag) int {
	var row *[256]uint16
	switch {
	case tag <= 0xFF:
		row = &elementSlot[0]
	case tag>>8 == 0x5F:
		row = &elementSlot[1]
	case tag>>8 == 0x9F:
		row = &elementSlot[2]
	default:
		i, ok := elementIndex[tag]
		if !ok {
			return -1
		}
		return i
	}
	return int(row[tag&0xFF]) - 1
}

// Templates the elements are found in (Book 3 Annex A, "Template").
var (
	tpl7077   = []Tag{0x70, 0x77}
	tpl7780   = []Tag{0x77, 0x80}
	tpl61A5   = []Tag{0x61, 0xA5}
	tplBF0C73 = []Tag{0xBF0C, 0x73}
	tpl7172   = []Tag{0x71, 0x72}
	tplA5     = []Tag{0xA5}
	tpl6F     = []Tag{0x6F}
	tpl61     = []Tag{0x61}
	tpl70     = []Tag{0x70}
	tpl77     = []Tag{0x77}
	tplBF0C   = []Tag{0xBF0C}
	tplBF4E   = []Tag{0xBF4E}
)

// Specifications the elements come from.
const (
	book3  = "Book 3 Annex A1"
	bookA  = "Book A"
	bookB  = "Book B"
	bookC2 = "Book C-2"
	bookC3 = "Book C-3"
	// uics is UnionPay's Integrated Circuit Card Specifications, published
	// as the People's Bank of China standard JR/T 0025 (PBOC 3.0): the
	// debit/credit application (part 5, Annex A), electronic cash (part
	// 13) and qPBOC (part 12). The tag numbers, names and lengths follow
	// the public transcriptions of its data element tables
	// (blog.csdn.net/wcg_jishuo/article/details/7791281, and the element
	// notes of www.cnblogs.com/iplus/p/4467150.html and /4467130.html).
	uics = "UICS (JR/T 0025)"
)

// keyLen is the largest RSA modulus EMV uses (N_CA <= 248, Book 2 §5.1 and
// §6.1): certificates, signatures and remainders are at most this long.
const keyLen = 248

// elements is the tag dictionary. Its first part is EMV 4.4 Book 3 Annex A1
// (Table 41, "Data Elements Dictionary"), one row per data element that has
// a tag, with the book's format, length, template and source. Elements that
// Annex A lists without a tag (the TACs, CA key parts, the random selection
// parameters, ...) are kept by the terminal outside TLV and are not here;
// nor are the biometric elements whose tags (81, 82, 90 inside A1 and
// BF4E) only have that meaning inside their template.
//
// The second part holds the contactless and scheme tags a terminal meets in
// card responses and DOLs (EMV Contactless Books A, B, C-2, C-3). Where two
// schemes use one tag for different elements, the name gives both.
//
// Tag numbers, formats and lengths were cross-checked against the Annex A
// transcriptions in openemv/emv-utils (src/emv_tags.h, src/emv_tlv.c at
// 0a9fb4b090baec1090e27cfcfcf8e0a1a54b7994) and Digrol/Denom (TagEmv.java).
var elements = []Element{
	// Book 3 Annex A1, in the book's (alphabetical) order.
	{0x5F57, "Account Type", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x9F01, "Acquirer Identifier", FormatN, 6, 6, nil, SourceTerminal, book3, false},
	{0x9F40, "Additional Terminal Capabilities", FormatB, 5, 5, nil, SourceTerminal, book3, false},
	{0x81, "Amount, Authorised (Binary)", FormatB, 4, 4, nil, SourceTerminal, book3, false},
	{0x9F02, "Amount, Authorised (Numeric)", FormatN, 6, 6, nil, SourceTerminal, book3, false},
	{0x9F04, "Amount, Other (Binary)", FormatB, 4, 4, nil, SourceTerminal, book3, false},
	{0x9F03, "Amount, Other (Numeric)", FormatN, 6, 6, nil, SourceTerminal, book3, false},
	{0x9F3A, "Amount, Reference Currency", FormatB, 4, 4, nil, SourceTerminal, book3, false},
	{0x9F26, "Application Cryptogram", FormatB, 8, 8, tpl7780, SourceICC, book3, false},
	{0x9F42, "Application Currency Code", FormatN, 2, 2, tpl7077, SourceICC, book3, false},
	{0x9F44, "Application Currency Exponent", FormatN, 1, 1, tpl7077, SourceICC, book3, false},
	{0x9F05, "Application Discretionary Data", FormatB, 1, 32, tpl7077, SourceICC, book3, false},
	{0x5F25, "Application Effective Date", FormatN, 3, 3, tpl7077, SourceICC, book3, false},
	{0x5F24, "Application Expiration Date", FormatN, 3, 3, tpl7077, SourceICC, book3, false},
	{0x94, "Application File Locator (AFL)", FormatVar, 0, 252, tpl7780, SourceICC, book3, false},
	{0x4F, "Application Dedicated File (ADF) Name", FormatB, 5, 16, tpl61, SourceICC, book3, false},
	{0x9F06, "Application Identifier (AID) - terminal", FormatB, 5, 16, nil, SourceTerminal, book3, false},
	{0x82, "Application Interchange Profile (AIP)", FormatB, 2, 2, tpl7780, SourceICC, book3, false},
	{0x50, "Application Label", FormatANS, 1, 16, tpl61A5, SourceICC, book3, false},
	{0x9F12, "Application Preferred Name", FormatANS, 1, 16, tpl61A5, SourceICC, book3, false},
	{0x5A, "Application Primary Account Number (PAN)", FormatCN, 1, 10, tpl7077, SourceICC, book3, true},
	{0x5F34, "Application PAN Sequence Number", FormatN, 1, 1, tpl7077, SourceICC, book3, false},
	{0x87, "Application Priority Indicator", FormatB, 1, 1, tpl61A5, SourceICC, book3, false},
	{0x9F3B, "Application Reference Currency", FormatN, 2, 8, tpl7077, SourceICC, book3, false},
	{0x9F43, "Application Reference Currency Exponent", FormatN, 1, 4, tpl7077, SourceICC, book3, false},
	{0x9F0A, "Application Selection Registered Proprietary Data (ASRPD)", FormatB, 0, 252, tplBF0C73, SourceICC, book3, false},
	{0x61, "Application Template", FormatVar, 0, 252, tpl70, SourceICC, book3, false},
	{0x9F36, "Application Transaction Counter (ATC)", FormatB, 2, 2, tpl7780, SourceICC, book3, false},
	{0x9F07, "Application Usage Control", FormatB, 2, 2, tpl7077, SourceICC, book3, false},
	{0x9F08, "Application Version Number (ICC)", FormatB, 2, 2, tpl7077, SourceICC, book3, false},
	{0x9F09, "Application Version Number (terminal)", FormatB, 2, 2, nil, SourceTerminal, book3, false},
	{0x89, "Authorisation Code", FormatANS, 6, 6, nil, SourceIssuer, book3, false},
	{0x8A, "Authorisation Response Code", FormatAN, 2, 2, nil, SourceIssuer | SourceTerminal, book3, false},
	{0x5F54, "Bank Identifier Code (BIC)", FormatVar, 8, 11, tplBF0C73, SourceICC, book3, false},
	{0x9F30, "Biometric Terminal Capabilities", FormatB, 3, 3, nil, SourceTerminal, book3, false},
	{0xBF4C, "Biometric Try Counters Template", FormatVar, 0, 252, nil, SourceICC, book3, false},
	{0xBF4E, "Biometric Verification Data Template", FormatVar, 0, 252, nil, SourceTerminal, book3, false},
	{0x7F60, "Biometric Information Template (BIT)", FormatVar, 0, 252, nil, SourceICC | SourceTerminal, book3, false},
	{0x9F31, "Card BIT Group Template", FormatVar, 0, 252, tpl70, SourceICC, book3, false},
	{0x8C, "Card Risk Management Data Object List 1 (CDOL1)", FormatB, 0, 252, tpl7077, SourceICC, book3, false},
	{0x8D, "Card Risk Management Data Object List 2 (CDOL2)", FormatB, 0, 252, tpl7077, SourceICC, book3, false},
	{0x5F20, "Cardholder Name", FormatANS, 2, 26, tpl7077, SourceICC, book3, true},
	{0x9F0B, "Cardholder Name Extended", FormatANS, 27, 45, tpl7077, SourceICC, book3, true},
	{0x8E, "Cardholder Verification Method (CVM) List", FormatB, 10, 252, tpl7077, SourceICC, book3, false},
	{0x9F34, "Cardholder Verification Method (CVM) Results", FormatB, 3, 3, nil, SourceTerminal, book3, false},
	{0x8F, "Certification Authority Public Key Index (ICC)", FormatB, 1, 1, tpl7077, SourceICC, book3, false},
	{0x9F22, "Certification Authority Public Key Index (terminal)", FormatB, 1, 1, nil, SourceTerminal, book3, false},
	{0x83, "Command Template", FormatB, 0, 252, nil, SourceTerminal, book3, false},
	{0x9F27, "Cryptogram Information Data (CID)", FormatB, 1, 1, tpl7780, SourceICC, book3, false},
	{0x9F45, "Data Authentication Code (DAC)", FormatB, 2, 2, nil, SourceICC, book3, false},
	{0x84, "Dedicated File (DF) Name", FormatB, 5, 16, tpl6F, SourceICC, book3, false},
	{0x9D, "Directory Definition File (DDF) Name", FormatB, 5, 16, tpl61, SourceICC, book3, false},
	{0x73, "Directory Discretionary Template", FormatVar, 0, 252, tpl61, SourceICC, book3, false},
	{0x9F49, "Dynamic Data Authentication Data Object List (DDOL)", FormatB, 0, 252, tpl7077, SourceICC, book3, false},
	{0xDF50, "Enciphered Biometric Key Seed", FormatB, 1, keyLen, tplBF4E, SourceTerminal, book3, false},
	{0xDF51, "Enciphered Biometric Data", FormatB, 1, 252, tplBF4E, SourceTerminal, book3, false},
	{0xDF52, "MAC of Enciphered Biometric Data", FormatB, 1, 32, tplBF4E, SourceTerminal, book3, false},
	{0xBF0C, "File Control Information (FCI) Issuer Discretionary Data", FormatVar, 0, 222, tplA5, SourceICC, book3, false},
	{0xA5, "File Control Information (FCI) Proprietary Template", FormatVar, 0, 252, tpl6F, SourceICC, book3, false},
	{0x6F, "File Control Information (FCI) Template", FormatVar, 0, 252, nil, SourceICC, book3, false},
	{0x9F4C, "ICC Dynamic Number", FormatB, 2, 8, nil, SourceICC, book3, false},
	{0x9F2D, "ICC PIN Encipherment Public Key Certificate", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F2E, "ICC PIN Encipherment Public Key Exponent", FormatB, 1, 3, tpl7077, SourceICC, book3, false},
	{0x9F2F, "ICC PIN Encipherment Public Key Remainder", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F46, "ICC Public Key Certificate", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F47, "ICC Public Key Exponent", FormatB, 1, 3, tpl7077, SourceICC, book3, false},
	{0x9F48, "ICC Public Key Remainder", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F1E, "Interface Device (IFD) Serial Number", FormatAN, 8, 8, nil, SourceTerminal, book3, false},
	{0x5F53, "International Bank Account Number (IBAN)", FormatVar, 0, 34, tplBF0C73, SourceICC, book3, false},
	{0x9F0D, "Issuer Action Code - Default", FormatB, 5, 5, tpl7077, SourceICC, book3, false},
	{0x9F0E, "Issuer Action Code - Denial", FormatB, 5, 5, tpl7077, SourceICC, book3, false},
	{0x9F0F, "Issuer Action Code - Online", FormatB, 5, 5, tpl7077, SourceICC, book3, false},
	{0x9F10, "Issuer Application Data (IAD)", FormatB, 0, 32, tpl7780, SourceICC, book3, false},
	{0x91, "Issuer Authentication Data", FormatB, 8, 16, nil, SourceIssuer, book3, false},
	{0x9F11, "Issuer Code Table Index", FormatN, 1, 1, tplA5, SourceICC, book3, false},
	{0x5F28, "Issuer Country Code", FormatN, 2, 2, tpl7077, SourceICC, book3, false},
	{0x5F55, "Issuer Country Code (alpha2 format)", FormatA, 2, 2, tplBF0C73, SourceICC, book3, false},
	{0x5F56, "Issuer Country Code (alpha3 format)", FormatA, 3, 3, tplBF0C73, SourceICC, book3, false},
	{0x42, "Issuer Identification Number (IIN)", FormatN, 3, 3, tplBF0C73, SourceICC, book3, false},
	{0x9F0C, "Issuer Identification Number Extended (IINE)", FormatN, 3, 4, tplBF0C73, SourceICC, book3, false},
	{0x90, "Issuer Public Key Certificate", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F32, "Issuer Public Key Exponent", FormatB, 1, 3, tpl7077, SourceICC, book3, false},
	{0x92, "Issuer Public Key Remainder", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x86, "Issuer Script Command", FormatB, 0, 261, tpl7172, SourceIssuer, book3, false},
	{0x9F18, "Issuer Script Identifier", FormatB, 4, 4, tpl7172, SourceIssuer, book3, false},
	{0x71, "Issuer Script Template 1", FormatVar, 0, 0xFFFF, nil, SourceIssuer, book3, false},
	{0x72, "Issuer Script Template 2", FormatVar, 0, 0xFFFF, nil, SourceIssuer, book3, false},
	{0x5F50, "Issuer URL", FormatANS, 0, 252, tplBF0C73, SourceICC, book3, false},
	{0x5F2D, "Language Preference", FormatAN, 2, 8, tplA5, SourceICC, book3, false},
	{0x9F13, "Last Online Application Transaction Counter (ATC) Register", FormatB, 2, 2, nil, SourceICC, book3, false},
	{0x9F25, "Last 4 Digits of PAN", FormatN, 2, 2, tpl7077, SourceICC, book3, false},
	{0x9F4D, "Log Entry", FormatB, 2, 2, tplBF0C73, SourceICC, book3, false},
	{0x9F4F, "Log Format", FormatB, 0, 252, nil, SourceICC, book3, false},
	{0x9F14, "Lower Consecutive Offline Limit", FormatB, 1, 1, tpl7077, SourceICC, book3, false},
	{0x9F15, "Merchant Category Code", FormatN, 2, 2, nil, SourceTerminal, book3, false},
	{0x9F16, "Merchant Identifier", FormatANS, 15, 15, nil, SourceTerminal, book3, false},
	{0x9F4E, "Merchant Name and Location", FormatANS, 0, 252, nil, SourceTerminal, book3, false},
	{0x9F24, "Payment Account Reference (PAR)", FormatAN, 29, 29, tpl7077, SourceICC, book3, false},
	{0x9F17, "Personal Identification Number (PIN) Try Counter", FormatB, 1, 1, nil, SourceICC, book3, false},
	{0x9F39, "Point-of-Service (POS) Entry Mode", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x9F38, "Processing Options Data Object List (PDOL)", FormatB, 0, 252, tplA5, SourceICC, book3, false},
	{0x70, "READ RECORD Response Message Template", FormatVar, 0, 252, nil, SourceICC, book3, false},
	{0x80, "Response Message Template Format 1", FormatVar, 0, 252, nil, SourceICC, book3, false},
	{0x77, "Response Message Template Format 2", FormatVar, 0, 252, nil, SourceICC, book3, false},
	{0x5F30, "Service Code", FormatN, 2, 2, tpl7077, SourceICC, book3, false},
	{0x88, "Short File Identifier (SFI)", FormatB, 1, 1, tplA5, SourceICC, book3, false},
	{0x9F4B, "Signed Dynamic Application Data (SDAD)", FormatB, 1, keyLen, tpl7780, SourceICC, book3, false},
	{0x93, "Signed Static Application Data (SSAD)", FormatB, 1, keyLen, tpl7077, SourceICC, book3, false},
	{0x9F4A, "Static Data Authentication Tag List", FormatB, 0, 252, tpl7077, SourceICC, book3, false},
	{0x9F33, "Terminal Capabilities", FormatB, 3, 3, nil, SourceTerminal, book3, false},
	{0x9F1A, "Terminal Country Code", FormatN, 2, 2, nil, SourceTerminal, book3, false},
	{0x9F1B, "Terminal Floor Limit", FormatB, 4, 4, nil, SourceTerminal, book3, false},
	{0x9F1C, "Terminal Identification", FormatAN, 8, 8, nil, SourceTerminal, book3, false},
	{0x9F1D, "Terminal Risk Management Data", FormatB, 1, 8, nil, SourceTerminal, book3, false},
	{0x9F35, "Terminal Type", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x95, "Terminal Verification Results (TVR)", FormatB, 5, 5, nil, SourceTerminal, book3, false},
	{0x9F19, "Token Requestor ID", FormatN, 6, 6, tpl7077, SourceICC, book3, false},
	{0x9F1F, "Track 1 Discretionary Data", FormatANS, 0, 252, tpl7077, SourceICC, book3, true},
	{0x9F20, "Track 2 Discretionary Data", FormatCN, 0, 252, tpl7077, SourceICC, book3, true},
	{0x57, "Track 2 Equivalent Data", FormatB, 0, 19, tpl7077, SourceICC, book3, true},
	{0x97, "Transaction Certificate Data Object List (TDOL)", FormatB, 0, 252, tpl7077, SourceICC, book3, false},
	{0x98, "Transaction Certificate (TC) Hash Value", FormatB, 20, 20, nil, SourceTerminal, book3, false},
	{0x5F2A, "Transaction Currency Code", FormatN, 2, 2, nil, SourceTerminal, book3, false},
	{0x5F36, "Transaction Currency Exponent", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x9A, "Transaction Date", FormatN, 3, 3, nil, SourceTerminal, book3, false},
	{0x99, "Transaction Personal Identification Number (PIN) Data", FormatB, 0, 252, nil, SourceTerminal, book3, true},
	{0x9F3C, "Transaction Reference Currency Code", FormatN, 2, 2, nil, SourceTerminal, book3, false},
	{0x9F3D, "Transaction Reference Currency Exponent", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x9F41, "Transaction Sequence Counter", FormatN, 2, 4, nil, SourceTerminal, book3, false},
	{0x9B, "Transaction Status Information (TSI)", FormatB, 2, 2, nil, SourceTerminal, book3, false},
	{0x9F21, "Transaction Time", FormatN, 3, 3, nil, SourceTerminal, book3, false},
	{0x9C, "Transaction Type", FormatN, 1, 1, nil, SourceTerminal, book3, false},
	{0x9F37, "Unpredictable Number", FormatB, 4, 4, nil, SourceTerminal, book3, false},
	{0x9F23, "Upper Consecutive Offline Limit", FormatB, 1, 1, tpl7077, SourceICC, book3, false},

	// Contactless: Books A and B (entry point, kernel selection).
	{0x9F66, "Terminal Transaction Qualifiers (TTQ) / PUNATC (Track2)", FormatB, 2, 4, nil, SourceTerminal | SourceICC, bookA, false},
	{0x9F2A, "Kernel Identifier", FormatB, 1, 8, tpl61, SourceICC | SourceTerminal, bookB, false},
	{0x9F29, "Extended Selection", FormatB, 1, 11, tpl61, SourceICC, bookB, false},

	// Contactless: Book C-3 (Visa) and the scheme tags shared with Book
	// C-2 (Mastercard) under another name.
	{0x9F6C, "Card Transaction Qualifiers (CTQ) / Mag-stripe Application Version Number (Card)", FormatB, 2, 2, tpl7077, SourceICC, bookC3, false},
	{0x9F6E, "Form Factor Indicator (FFI) / Third Party Data", FormatB, 4, 32, []Tag{0x70, 0x77, 0xBF0C}, SourceICC, bookC3, false},
	{0x9F69, "Card Authentication Related Data / UDOL", FormatB, 0, 252, tpl7077, SourceICC, bookC3, false},
	{0x9F7C, "Customer Exclusive Data (CED) / Merchant Custom Data", FormatB, 0, 32, tpl7780, SourceICC | SourceTerminal, bookC3, false},
	{0x9F5D, "Available Offline Spending Amount / Application Capabilities Information", FormatB, 3, 6, tpl7077, SourceICC, bookC3, false},
	{0x9F5A, "Application Program Identifier", FormatB, 1, 16, tplBF0C, SourceICC, bookC3, false},
	{0x9F5B, "Issuer Script Results", FormatB, 0, 252, nil, SourceTerminal, bookC3, false},
	{0x9F6D, "Mag-stripe Application Version Number (Reader) / Contactless Reader Capabilities / EC Reset Threshold", FormatB, 1, 6, nil, SourceTerminal | SourceICC, bookC2 + ", " + uics, false},

	// UnionPay (UICS, JR/T 0025) data objects a card carries beyond EMV:
	// the cardholder's identity document, the card's own risk management
	// data (GET DATA) and electronic cash (EC). The amounts 9F6D, 9F77,
	// 9F78, 9F79 and 9F7B are n 12 in the currency of the card (9F51).
	// Tags UICS shares with another scheme (9F53, 9F61, 9F62, 9F63, 9F6D)
	// are among the Book C-2 rows, under both names; the Cardholder ID
	// Number 9F61 is cardholder data and marked Sensitive; 9F5D (Available Offline
	// Spending Amount) has the same meaning in qPBOC as in Book C-3.
	{0x9F51, "Application Currency Code (UICS)", FormatN, 2, 2, tpl7077, SourceICC, uics, false},
	{0x9F52, "Application Default Action (ADA)", FormatB, 2, 4, tpl7077, SourceICC, uics, false},
	{0x9F54, "Cumulative Total Transaction Amount Limit", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F56, "Issuer Authentication Indicator", FormatB, 1, 1, tpl7077, SourceICC, uics, false},
	{0x9F57, "Issuer Country Code (UICS)", FormatN, 2, 2, tpl7077, SourceICC, uics, false},
	{0x9F58, "Lower Consecutive Offline Limit (Card Check)", FormatB, 1, 1, tpl7077, SourceICC, uics, false},
	{0x9F59, "Upper Consecutive Offline Limit (Card Check)", FormatB, 1, 1, tpl7077, SourceICC, uics, false},
	{0x9F5C, "Cumulative Total Transaction Amount Upper Limit", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F72, "Consecutive Transaction Limit (International-Country)", FormatB, 1, 1, tpl7077, SourceICC, uics, false},
	{0x9F73, "Currency Conversion Factor", FormatB, 4, 4, tpl7077, SourceICC, uics, false},
	{0x9F74, "EC Issuer Authorization Code", FormatA, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F75, "Cumulative Total Transaction Amount Limit (Dual Currency)", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F76, "Secondary Application Currency Code", FormatN, 2, 2, tpl7077, SourceICC, uics, false},
	{0x9F77, "EC Balance Limit", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F78, "EC Single Transaction Limit", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F79, "EC Balance", FormatN, 6, 6, tpl7077, SourceICC, uics, false},
	{0x9F7A, "EC Terminal Support Indicator", FormatB, 1, 1, nil, SourceTerminal, uics, false},
	{0x9F7B, "EC Terminal Transaction Limit", FormatN, 6, 6, nil, SourceTerminal, uics, false},
	{0xDF4D, "Load Log Entry", FormatB, 2, 2, tplBF0C, SourceICC, uics, false},
	{0xDF4F, "Load Log Format", FormatB, 0, 252, nil, SourceICC, uics, false},
	{0xDF69, "SM Algorithm Supported Indicator", FormatB, 1, 1, nil, SourceICC | SourceTerminal, uics, false},

	// Contactless: Book C-2 (Mastercard) card data.
	{0x56, "Track 1 Data", FormatANS, 0, 76, tpl70, SourceICC, bookC2, true},
	{0x9F6B, "Track 2 Data", FormatB, 0, 19, tpl70, SourceICC, bookC2, true},
	{0x9F60, "CVC3 (Track1)", FormatB, 2, 2, tpl77, SourceICC, bookC2, false},
	{0x9F61, "CVC3 (Track2) / Cardholder ID Number", FormatAN, 1, 40, tpl7077, SourceICC, bookC2 + ", " + uics, true},
	{0x9F62, "PCVC3 (Track1) / Cardholder ID Type", FormatB, 1, 6, tpl70, SourceICC, bookC2 + ", " + uics, false},
	{0x9F63, "PUNATC (Track1) / Card Product Identification Information", FormatB, 6, 16, tpl70, SourceICC, bookC2 + ", " + uics, false},
	{0x9F64, "NATC (Track1)", FormatB, 1, 1, tpl70, SourceICC, bookC2, false},
	{0x9F65, "PCVC3 (Track2)", FormatB, 2, 2, tpl70, SourceICC, bookC2, false},
	{0x9F67, "NATC (Track2) / MSD Offset", FormatB, 1, 2, tpl70, SourceICC, bookC2, false},
	{0x9F68, "Card Additional Processes / Mag-stripe CVM List", FormatB, 4, 252, tpl70, SourceICC, bookC2, false},
	{0x9F6A, "Unpredictable Number (Numeric)", FormatN, 4, 4, nil, SourceTerminal, bookC2, false},
	{0x9F53, "Transaction Category Code / Consecutive Transaction Limit (International-Currency)", FormatAN, 1, 1, nil, SourceTerminal | SourceICC, bookC2 + ", " + uics, false},
	{0x9F7D, "DS Summary 1", FormatB, 8, 16, tpl70, SourceICC, bookC2, false},
	{0x9F7E, "Mobile Support Indicator", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},

	// Contactless: Book C-2 (Mastercard) kernel and reader data (DF81xx).
	{0xDF8101, "DS Summary 2", FormatB, 8, 16, nil, SourceICC, bookC2, false},
	{0xDF8102, "DS Summary 3", FormatB, 8, 16, nil, SourceICC, bookC2, false},
	{0xDF8104, "Balance Read Before Gen AC", FormatN, 6, 6, nil, SourceICC, bookC2, false},
	{0xDF8105, "Balance Read After Gen AC", FormatN, 6, 6, nil, SourceICC, bookC2, false},
	{0xDF8106, "Data Needed", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF8107, "CDOL1 Related Data", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF8108, "DS AC Type", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8109, "DS Input (Term)", FormatB, 8, 8, nil, SourceTerminal, bookC2, false},
	{0xDF810A, "DS ODS Info For Reader", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF810B, "DS Summary Status", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF810C, "Kernel ID", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF810D, "DSVN Term", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF810E, "Post-Gen AC Put Data Status", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF810F, "Pre-Gen AC Put Data Status", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8110, "Proceed To First Write Flag", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8111, "PDOL Related Data", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF8112, "Tags To Read", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF8113, "DRDOL Related Data", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF8114, "Reference Control Parameter", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8115, "Error Indication", FormatB, 6, 6, nil, SourceTerminal, bookC2, false},
	{0xDF8116, "User Interface Request Data", FormatB, 22, 22, nil, SourceTerminal, bookC2, false},
	{0xDF8117, "Card Data Input Capability", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8118, "CVM Capability - CVM Required", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8119, "CVM Capability - No CVM Required", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF811A, "Default UDOL", FormatB, 0, 252, nil, SourceTerminal, bookC2, false},
	{0xDF811B, "Kernel Configuration", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF811C, "Max Lifetime of Torn Transaction Log Record", FormatB, 2, 2, nil, SourceTerminal, bookC2, false},
	{0xDF811D, "Max Number of Torn Transaction Log Records", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF811E, "Mag-stripe CVM Capability - CVM Required", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF811F, "Security Capability", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8120, "Terminal Action Code - Default", FormatB, 5, 5, nil, SourceTerminal, bookC2, false},
	{0xDF8121, "Terminal Action Code - Denial", FormatB, 5, 5, nil, SourceTerminal, bookC2, false},
	{0xDF8122, "Terminal Action Code - Online", FormatB, 5, 5, nil, SourceTerminal, bookC2, false},
	{0xDF8123, "Reader Contactless Floor Limit", FormatN, 6, 6, nil, SourceTerminal, bookC2, false},
	{0xDF8124, "Reader Contactless Transaction Limit (No On-device CVM)", FormatN, 6, 6, nil, SourceTerminal, bookC2, false},
	{0xDF8125, "Reader Contactless Transaction Limit (On-device CVM)", FormatN, 6, 6, nil, SourceTerminal, bookC2, false},
	{0xDF8126, "Reader CVM Required Limit", FormatN, 6, 6, nil, SourceTerminal, bookC2, false},
	{0xDF8127, "Time Out Value", FormatB, 2, 2, nil, SourceTerminal, bookC2, false},
	{0xDF8128, "IDS Status", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF8129, "Outcome Parameter Set", FormatB, 8, 8, nil, SourceTerminal, bookC2, false},
	{0xDF812A, "DD Card (Track1)", FormatANS, 0, 56, nil, SourceTerminal, bookC2, true},
	{0xDF812B, "DD Card (Track2)", FormatB, 0, 8, nil, SourceTerminal, bookC2, true},
	{0xDF812C, "Mag-stripe CVM Capability - No CVM Required", FormatB, 1, 1, nil, SourceTerminal, bookC2, false},
	{0xDF812D, "Message Hold Time", FormatN, 3, 3, nil, SourceTerminal, bookC2, false},
}

// elementSlot holds 1 + the row of elements of each one-byte tag (row
// 0), 5Fxx tag (1) and 9Fxx tag (2), 0 for a tag the dictionary lacks.
var elementSlot = func() (slot [3][256]uint16) {
	for i, e := range elements {
		switch t := e.Tag; {
		case t <= 0xFF:
			slot[0][t] = uint16(i + 1)
		case t>>8 == 0x5F:
			slot[1][t&0xFF] = uint16(i + 1)
		case t>>8 == 0x9F:
			slot[2][t&0xFF] = uint16(i + 1)
		}
	}
	return slot
}()

// elementIndex maps a tag to its row of elements.
var elementIndex = func() map[Tag]int {
	m := make(map[Tag]int, len(elements))
	for i, e := range elements {
		if _, dup := m[e.Tag]; dup {
			panic("tlv: tag " + e.Tag.String() + " twice in the dictionary")
		}
		m[e.Tag] = i
	}
	return m
}()
