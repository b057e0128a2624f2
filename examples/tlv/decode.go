package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/termkit"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// A decoder prints one value, given as its bytes, bit by bit. Each reads
// its names from the package that owns the table: tvr (TVR, TSI), cvm
// (CV rules, CVM Results), tlv (the dictionary and the bit tables of AIP,
// AUC, the terminal capabilities, TTQ and CTQ), apdu (status words),
// termkit (ISO 4217 currencies) and x/text (ISO 3166 country names).
type decoder struct {
	help   string
	decode func(w io.Writer, v []byte) error
}

// decoders by the name -as takes; a tag in hex (9F33) is its element's.
var decoders = map[string]decoder{
	"tvr":         {"Terminal Verification Results (95), 5 bytes", decodeTVR},
	"tsi":         {"Transaction Status Information (9B), 2 bytes", decodeTSI},
	"cvm-list":    {"CVM List (8E)", decodeCVMList},
	"cvm-results": {"CVM Results (9F34), 3 bytes", decodeCVMResults},
	"terminal-capabilities": {"Terminal Capabilities (9F33), 3 bytes",
		func(w io.Writer, v []byte) error { return decodeBits(w, 0x9F33, 3, v) }},
	"additional-terminal-capabilities": {"Additional Terminal Capabilities (9F40), 5 bytes",
		func(w io.Writer, v []byte) error { return decodeBits(w, 0x9F40, 5, v) }},
	"aip":            {"Application Interchange Profile (82), 2 bytes", func(w io.Writer, v []byte) error { return decodeBits(w, 0x82, 2, v) }},
	"auc":            {"Application Usage Control (9F07), 2 bytes", func(w io.Writer, v []byte) error { return decodeBits(w, 0x9F07, 2, v) }},
	"ttq":            {"Terminal Transaction Qualifiers (9F66), 4 bytes", func(w io.Writer, v []byte) error { return decodeBits(w, 0x9F66, 4, v) }},
	"ctq":            {"Card Transaction Qualifiers (9F6C), 2 bytes", func(w io.Writer, v []byte) error { return decodeBits(w, 0x9F6C, 2, v) }},
	"cid":            {"Cryptogram Information Data (9F27), 1 byte", decodeCID},
	"iad-visa":       {"Issuer Application Data (9F10), Visa layout", decodeIADVisa},
	"iad-mastercard": {"Issuer Application Data (9F10), Mastercard layout", decodeIADMastercard},
	"atr":            {"Answer to Reset (ISO/IEC 7816-3)", decodeATR},
	"sw":             {"status word SW1 SW2, 2 bytes", decodeSW},
	"dol":            {"a Data Object List (PDOL 9F38, CDOL1 8C, CDOL2 8D, DDOL 9F49, TDOL 97)", decodeDOL},
	"country":        {"a country code (9F1A, 5F28), n3 in 2 bytes: 0840", decodeCountry},
	"currency":       {"a currency code (5F2A, 9F42), n3 in 2 bytes: 0840", decodeCurrency},
}

// byTag names the decoder of a tag given to -as in hex.
var byTag = map[tlv.Tag]string{
	0x95: "tvr", 0x9B: "tsi", 0x8E: "cvm-list", 0x9F34: "cvm-results", 0x9F33: "terminal-capabilities",
	0x9F40: "additional-terminal-capabilities", 0x82: "aip", 0x9F07: "auc", 0x9F66: "ttq", 0x9F6C: "ctq",
	0x9F27: "cid", 0x9F38: "dol", 0x8C: "dol", 0x8D: "dol", 0x9F49: "dol", 0x97: "dol",
	0x9F1A: "country", 0x5F28: "country", 0x5F2A: "currency", 0x9F42: "currency",
}

// lookupDecoder finds the decoder of a name or a tag.
func lookupDecoder(as string) (decoder, bool) {
	as = strings.ToLower(as)
	if d, ok := decoders[as]; ok {
		return d, true
	}
	var t tlv.Tag
	if _, err := fmt.Sscanf(strings.ToUpper(as), "%X", (*uint32)(&t)); err == nil {
		if n, ok := byTag[t]; ok {
			return decoders[n], true
		}
	}
	return decoder{}, false
}

// decoderNames lists the names -as takes.
func decoderNames() string {
	var n []string
	for k := range decoders {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func wantLen(v []byte, n int, what string) error {
	if len(v) != n {
		return fmt.Errorf("%s is %d bytes, not %d", what, n, len(v))
	}
	return nil
}

func decodeTVR(w io.Writer, v []byte) error {
	if err := wantLen(v, 5, "a TVR"); err != nil {
		return err
	}
	return namedBits(w, v, tvr.TVRBits)
}

func decodeTSI(w io.Writer, v []byte) error {
	if err := wantLen(v, 2, "a TSI"); err != nil {
		return err
	}
	return namedBits(w, v, tvr.TSIBits)
}

// namedBits prints each byte in hex and binary and the set bits with
// their names from a tvr table.
func namedBits(w io.Writer, v []byte, table []tvr.Named) error {
	for i, b := range v {
		fmt.Fprintf(w, "byte %d: %02X %08b\n", i+1, b, b)
		for bit := 8; bit >= 1; bit-- {
			m := byte(1) << (bit - 1)
			if b&m == 0 {
				continue
			}
			name := "RFU"
			for _, n := range table {
				if n.Bit.Byte() == i+1 && n.Bit.Mask() == m {
					name = n.Name
				}
			}
			fmt.Fprintf(w, "  bit %d: %s\n", bit, name)
		}
	}
	return nil
}

// decodeBits prints a bit-string element with tlv's names.
func decodeBits(w io.Writer, tag tlv.Tag, n int, v []byte) error {
	el, _ := tlv.Lookup(tag)
	if err := wantLen(v, n, el.Name); err != nil {
		return err
	}
	names := tlv.Bits(tag)
	fmt.Fprintf(w, "%s %s\n", tag, el.Name)
	for i, b := range v {
		fmt.Fprintf(w, "byte %d: %02X %08b\n", i+1, b, b)
		for bit := 8; bit >= 1; bit-- {
			if b&(1<<(bit-1)) == 0 {
				continue
			}
			name := "RFU"
			for _, nb := range names {
				if nb.Byte == i+1 && nb.Bit == bit {
					name = nb.Name
				}
			}
			fmt.Fprintf(w, "  bit %d: %s\n", bit, name)
		}
	}
	return nil
}

func decodeCVMList(w io.Writer, v []byte) error {
	l, err := cvm.ParseList(v)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "amount X: %d\namount Y: %d\n", l.X, l.Y)
	for i, r := range l.Rules {
		fmt.Fprintf(w, "rule %d: %s\n", i+1, r)
	}
	return nil
}

func decodeCVMResults(w io.Writer, v []byte) error {
	if err := wantLen(v, 3, "CVM Results"); err != nil {
		return err
	}
	r := cvm.Results(v)
	fmt.Fprintf(w, "%s\nbyte 1: %02X CVM performed: %s\nbyte 2: %02X condition: %s\nbyte 3: %02X result: %s\n",
		r, r[0], r.Code(), r[1], r.Condition(), r[2], r.Outcome())
	return nil
}

// decodeCID reads the Cryptogram Information Data (Book 3 §6.5.5.4,
// Table 15).
func decodeCID(w io.Writer, v []byte) error {
	if err := wantLen(v, 1, "a CID"); err != nil {
		return err
	}
	b := v[0]
	types := [...]string{"AAC", "TC", "ARQC", "RFU"}
	fmt.Fprintf(w, "%02X %08b\nbits 8-7: %s\nbits 6-5: %02b (payment system-specific cryptogram)\n", b, b, types[b>>6], (b>>4)&3)
	if b&0x08 != 0 {
		fmt.Fprintln(w, "bit 4: advice required")
	} else {
		fmt.Fprintln(w, "bit 4: no advice required")
	}
	reasons := map[byte]string{0: "no information given", 1: "service not allowed", 2: "PIN Try Limit exceeded", 3: "issuer authentication failed"}
	reason, ok := reasons[b&7]
	if !ok {
		reason = "RFU"
	}
	fmt.Fprintf(w, "bits 3-1: %03b %s\n", b&7, reason)
	return nil
}

// decodeIADVisa reads the Visa layout: length, Derivation Key Index,
// Cryptogram Version Number, Card Verification Results (its length byte
// first), then issuer discretionary data.
func decodeIADVisa(w io.Writer, v []byte) error {
	if len(v) < 7 || int(v[0])+1 > len(v) || v[0] < 6 {
		return fmt.Errorf("a Visa IAD starts with its length (06 or more) and holds at least 7 bytes; this one has %d", len(v))
	}
	n := int(v[0])
	fmt.Fprintf(w, "length:                    %02X\nderivation key index:      %02X\ncryptogram version number: %02X (%d)\n", v[0], v[1], v[2], v[2])
	fmt.Fprintf(w, "card verification results: %X\n", v[3:n+1])
	if cvr := v[3 : n+1]; len(cvr) >= 2 {
		second := [...]string{"AAC", "TC", "second GENERATE AC not requested", "RFU"}
		first := [...]string{"AAC", "TC", "ARQC", "RFU"}
		fmt.Fprintf(w, "  second GENERATE AC: %s\n  first GENERATE AC:  %s\n", second[cvr[1]>>6], first[(cvr[1]>>4)&3])
	}
	if rest := v[n+1:]; len(rest) > 0 {
		fmt.Fprintf(w, "issuer discretionary data: %X\n", rest)
	}
	return nil
}

// decodeIADMastercard reads the M/Chip layout: Key Derivation Index,
// Cryptogram Version Number, Card Verification Results (6 bytes), DAC or
// ICC Dynamic Number (2), counters (8), and what follows.
func decodeIADMastercard(w io.Writer, v []byte) error {
	if len(v) < 18 {
		return fmt.Errorf("a Mastercard IAD holds at least 18 bytes; this one has %d", len(v))
	}
	fmt.Fprintf(w, "key derivation index:      %02X\ncryptogram version number: %02X (%d)\ncard verification results: %X\nDAC / ICC dynamic number:  %X\ncounters:                  %X\n",
		v[0], v[1], v[1], v[2:8], v[8:10], v[10:18])
	// CVR byte 1: bits 8-7 the second GENERATE AC's cryptogram, bits 6-5
	// the first's.
	second := [...]string{"AAC", "TC", "second GENERATE AC not requested", "RFU"}
	first := [...]string{"AAC", "TC", "ARQC", "RFU"}
	fmt.Fprintf(w, "  second GENERATE AC: %s\n  first GENERATE AC:  %s\n", second[v[2]>>6], first[(v[2]>>4)&3])
	if len(v) > 18 {
		fmt.Fprintf(w, "more:                      %X\n", v[18:])
	}
	return nil
}

// decodeATR reads an Answer to Reset (ISO/IEC 7816-3 §8.2; EMV Book 1
// §8.3): TS, T0 (Y1 and the number of historical bytes), the interface
// bytes TAi, TBi, TCi, TDi (TDi's low nibble the protocol T=), the
// historical bytes and TCK.
func decodeATR(w io.Writer, v []byte) error {
	if len(v) < 2 {
		return fmt.Errorf("an ATR has at least TS and T0")
	}
	conv := map[byte]string{0x3B: "direct convention", 0x3F: "inverse convention"}[v[0]]
	if conv == "" {
		conv = "not a valid TS"
	}
	fmt.Fprintf(w, "TS  %02X %s\n", v[0], conv)
	fmt.Fprintf(w, "T0  %02X %d historical bytes\n", v[1], v[1]&0x0F)
	k := int(v[1] & 0x0F)
	y := v[1] >> 4
	i, level := 2, 1
	protocols := map[byte]bool{}
	for y != 0 {
		for _, name := range []string{"TA", "TB", "TC", "TD"} {
			bit := map[string]byte{"TA": 1, "TB": 2, "TC": 4, "TD": 8}[name]
			if y&bit == 0 {
				continue
			}
			if i >= len(v) {
				return fmt.Errorf("the ATR ends before %s%d", name, level)
			}
			fmt.Fprintf(w, "%s%d %02X", name, level, v[i])
			if name == "TD" {
				fmt.Fprintf(w, " T=%d", v[i]&0x0F)
				protocols[v[i]&0x0F] = true
			}
			fmt.Fprintln(w)
			i++
		}
		if y&8 == 0 {
			break
		}
		y = v[i-1] >> 4
		level++
		if level > 32 {
			return fmt.Errorf("more than 32 levels of interface bytes")
		}
	}
	if i+k > len(v) {
		return fmt.Errorf("the ATR ends before its %d historical bytes", k)
	}
	fmt.Fprintf(w, "historical bytes: %X\n", v[i:i+k])
	i += k
	onlyT0 := len(protocols) == 0 || (len(protocols) == 1 && protocols[0])
	switch {
	case i < len(v) && !onlyT0:
		var x byte
		for _, b := range v[1 : i+1] {
			x ^= b
		}
		fmt.Fprintf(w, "TCK %02X (check %s)\n", v[i], map[bool]string{true: "good", false: "bad"}[x == 0])
		i++
	case !onlyT0:
		return fmt.Errorf("the ATR lacks TCK")
	}
	if i < len(v) {
		fmt.Fprintf(w, "%d bytes after the ATR: %X\n", len(v)-i, v[i:])
	}
	return nil
}

func decodeSW(w io.Writer, v []byte) error {
	if err := wantLen(v, 2, "a status word"); err != nil {
		return err
	}
	fmt.Fprintln(w, apdu.SW(binary.BigEndian.Uint16(v)))
	return nil
}

func decodeDOL(w io.Writer, v []byte) error {
	d, err := tlv.ParseDOL(v)
	if err != nil {
		return err
	}
	for _, e := range d {
		name := "unknown tag"
		if el, ok := tlv.Lookup(e.Tag); ok {
			name = el.Name
		}
		fmt.Fprintf(w, "%s %d bytes  %s\n", e.Tag, e.Len, name)
	}
	fmt.Fprintf(w, "%d bytes in all\n", d.Len())
	return nil
}

// n3 reads a numeric code of three digits in two bytes (0840).
func n3(v []byte) (int, error) {
	if len(v) != 2 {
		return 0, fmt.Errorf("a code n3 is 2 bytes (0840), not %d", len(v))
	}
	n := 0
	for _, d := range []byte{v[0] >> 4, v[0] & 0x0F, v[1] >> 4, v[1] & 0x0F} {
		if d > 9 {
			return 0, fmt.Errorf("%X is not four decimal digits", v)
		}
		n = n*10 + int(d)
	}
	return n, nil
}

func decodeCountry(w io.Writer, v []byte) error {
	n, err := n3(v)
	if err != nil {
		return err
	}
	r, err := language.EncodeM49(n)
	if err != nil || !r.IsCountry() {
		return fmt.Errorf("%03d is not an ISO 3166 country", n)
	}
	fmt.Fprintf(w, "%03d %s %s\n", n, r, display.English.Regions().Name(r))
	return nil
}

func decodeCurrency(w io.Writer, v []byte) error {
	n, err := n3(v)
	if err != nil {
		return err
	}
	c, err := termkit.LookupCurrency(uint16(n))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%03d %s, %d decimals\n", n, c, c.Exponent)
	return nil
}
