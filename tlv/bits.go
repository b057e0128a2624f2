package tlv

// BitName names one bit of a data element whose value is a bit string:
// Byte counts from 1 (the leftmost byte), Bit from 8 (most significant)
// down to 1, as the books number them ("byte 2 bit 7").
type BitName struct {
	Byte, Bit int
	Name      string
}

// Mask returns the bit's mask within its byte.
func (b BitName) Mask() byte { return 1 << (b.Bit - 1) }

// bitTables are the bit meanings of the bit-string data elements a person
// reads bit by bit (the TVR and TSI are package tvr's, the CV rule codes
// package cvm's). RFU bits are not listed.
var bitTables = map[Tag][]BitName{
	// Application Interchange Profile, Book 3 Annex C1 (EMV 4.4: byte 1
	// bit 8 XDA).
	0x82: {
		{1, 8, "XDA supported"},
		{1, 7, "SDA supported"},
		{1, 6, "DDA supported"},
		{1, 5, "Cardholder verification is supported"},
		{1, 4, "Terminal risk management is to be performed"},
		{1, 3, "Issuer authentication is supported"},
		{1, 2, "Reserved for use by the EMV Contactless Specifications"},
		{1, 1, "CDA supported"},
		{2, 8, "Reserved for use by the EMV Contactless Specifications"},
	},
	// Application Usage Control, Book 3 Annex C2.
	0x9F07: {
		{1, 8, "Valid for domestic cash transactions"},
		{1, 7, "Valid for international cash transactions"},
		{1, 6, "Valid for domestic goods"},
		{1, 5, "Valid for international goods"},
		{1, 4, "Valid for domestic services"},
		{1, 3, "Valid for international services"},
		{1, 2, "Valid at ATMs"},
		{1, 1, "Valid at terminals other than ATMs"},
		{2, 8, "Domestic cashback allowed"},
		{2, 7, "International cashback allowed"},
	},
	// Terminal Capabilities, Book 4 Annex A2 (EMV 4.4: biometrics, XDA,
	// ECC enciphered PIN).
	0x9F33: {
		{1, 8, "Manual key entry"},
		{1, 7, "Magnetic stripe"},
		{1, 6, "IC with contacts"},
		{2, 8, "Plaintext PIN for ICC verification"},
		{2, 7, "Enciphered PIN for online verification"},
		{2, 6, "Signature (paper)"},
		{2, 5, "Enciphered PIN for offline verification"},
		{2, 4, "No CVM required"},
		{2, 3, "Online biometric"},
		{2, 2, "Offline biometric"},
		{2, 1, "Enciphered PIN for offline verification (ECC)"},
		{3, 8, "SDA"},
		{3, 7, "DDA"},
		{3, 6, "Card capture"},
		{3, 4, "CDA"},
		{3, 3, "XDA"},
	},
	// Additional Terminal Capabilities, Book 4 Annex A3.
	0x9F40: {
		{1, 8, "Cash"},
		{1, 7, "Goods"},
		{1, 6, "Services"},
		{1, 5, "Cashback"},
		{1, 4, "Inquiry"},
		{1, 3, "Transfer"},
		{1, 2, "Payment"},
		{1, 1, "Administrative"},
		{2, 8, "Cash deposit"},
		{3, 8, "Numeric keys"},
		{3, 7, "Alphabetic and special characters keys"},
		{3, 6, "Command keys"},
		{3, 5, "Function keys"},
		{4, 8, "Print, attendant"},
		{4, 7, "Print, cardholder"},
		{4, 6, "Display, attendant"},
		{4, 5, "Display, cardholder"},
		{4, 2, "Code table 10"},
		{4, 1, "Code table 9"},
		{5, 8, "Code table 8"},
		{5, 7, "Code table 7"},
		{5, 6, "Code table 6"},
		{5, 5, "Code table 5"},
		{5, 4, "Code table 4"},
		{5, 3, "Code table 3"},
		{5, 2, "Code table 2"},
		{5, 1, "Code table 1"},
	},
	// Terminal Transaction Qualifiers, EMV Contactless Book A Annex A,
	// Book C-3 Annex A.
	0x9F66: {
		{1, 8, "Mag-stripe mode supported"},
		{1, 6, "EMV mode supported"},
		{1, 5, "EMV contact chip supported"},
		{1, 4, "Offline-only reader"},
		{1, 3, "Online PIN supported"},
		{1, 2, "Signature supported"},
		{1, 1, "Offline Data Authentication for Online Authorizations supported"},
		{2, 8, "Online cryptogram required"},
		{2, 7, "CVM required"},
		{2, 6, "(Contact Chip) Offline PIN supported"},
		{3, 8, "Issuer Update Processing supported"},
		{3, 7, "Consumer Device CVM supported"},
	},
	// Card Transaction Qualifiers, Book C-3 Annex A.
	0x9F6C: {
		{1, 8, "Online PIN Required"},
		{1, 7, "Signature Required"},
		{1, 6, "Go Online if Offline Data Authentication Fails and Reader is online capable"},
		{1, 5, "Switch Interface if Offline Data Authentication fails and Reader supports contact chip"},
		{1, 4, "Go Online if Application Expired"},
		{1, 3, "Switch Interface for Cash Transactions"},
		{1, 2, "Switch Interface for Cashback Transactions"},
		{2, 8, "Consumer Device CVM Performed"},
		{2, 7, "Card supports Issuer Update Processing at the POS"},
	},
}

// Bits returns the names of the bits of a bit-string data element, in
// the books' order, for the Application Interchange Profile (82),
// Application Usage Control (9F07), Terminal Capabilities (9F33),
// Additional Terminal Capabilities (9F40), Terminal Transaction
// Qualifiers (9F66) and Card Transaction Qualifiers (9F6C); nil for any
// other tag. The TVR and TSI are package tvr's.
func Bits(tag Tag) []BitName {
	t := bitTables[tag]
	if t == nil {
		return nil
	}
	return append([]BitName(nil), t...)
}

// SetBits returns the names of the bits of tag set in v, and whether
// any set bit has no name (an RFU bit, or v longer than the element).
func SetBits(tag Tag, v []byte) (names []string, rfu bool) {
	t := bitTables[tag]
	for i, b := range v {
		for bit := 8; bit >= 1; bit-- {
			if b&(1<<(bit-1)) == 0 {
				continue
			}
			named := false
			for _, n := range t {
				if n.Byte == i+1 && n.Bit == bit {
					names = append(names, n.Name)
					named = true
				}
			}
			rfu = rfu || !named
		}
	}
	return names, rfu
}
