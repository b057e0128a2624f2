package tlv

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Describe writes the data objects in b to w as an indented tree, one object
// per line: tag, name from the dictionary, value length in brackets and the
// value decoded by its format (numbers as digits, dates YYMMDD with the date
// spelt out, text quoted, anything else in hex). Templates list their
// children one level deeper; Data Object Lists (PDOL, CDOL1, ...) are
// followed by their entries, one "- tag name [length]" line each.
//
// Cardholder data is masked: the PAN (5A) and the PAN inside track data
// (57, 9F6B, 56) keep their first 6 and last 4 digits, and the rest of the
// track data, the cardholder name (5F20, 9F0B), the UnionPay Cardholder
// ID Number (9F61, the number of the cardholder's identity document) and
// discretionary data (9F1F, 9F20, DF812A, DF812B) are shown as
// "(masked)". Transaction PIN Data
// (99) is never shown.
//
// Malformed input is described up to the bad object, followed by a line
// "error: ..." and the [*ParseError] is returned. Nesting deeper than
// [MaxDepth] is an error, as in [Parse]. An error from w is returned as is.
func Describe(w io.Writer, b []byte) error {
	return describe(w, b, false)
}

// DescribeUnmasked is [Describe] without masking cardholder data, for test
// cards and for people entitled to see the PAN. PIN data stays hidden.
func DescribeUnmasked(w io.Writer, b []byte) error {
	return describe(w, b, true)
}

func describe(w io.Writer, b []byte, unmasked bool) error {
	p := printer{w: w, unmasked: unmasked}
	err := p.level(NewIter(b), 0)
	if p.werr != nil {
		return p.werr
	}
	if err != nil {
		p.printf("error: %v\n", err)
		if p.werr != nil {
			return p.werr
		}
	}
	return err
}

type printer struct {
	w        io.Writer
	unmasked bool
	werr     error // first error from w; later writes are skipped
}

func (p *printer) printf(format string, args ...any) {
	if p.werr == nil {
		_, p.werr = fmt.Fprintf(p.w, format, args...)
	}
}

// level describes one level of objects and, depth first, their children.
func (p *printer) level(it Iter, depth int) error {
	indent := strings.Repeat("  ", depth)
	for it.Next() {
		tag, v := it.Tag(), it.Value()
		el, known := Lookup(tag)
		name := elementName(el, known)
		if tag.Constructed() {
			if depth >= MaxDepth {
				return &ParseError{Offset: it.Offset(), Tag: tag, Err: ErrTooDeep}
			}
			p.printf("%s%s %s [%d]\n", indent, tag, name, len(v))
			if err := p.level(it.Children(), depth+1); err != nil {
				return err
			}
			continue
		}
		p.printf("%s%s %s [%d]: %s\n", indent, tag, name, len(v), p.value(el, known, tag, v))
		if isDOL(tag) {
			p.dol(indent+"  ", v)
		}
		if p.werr != nil {
			return nil
		}
	}
	return it.Err()
}

// elementName is the name a description shows for a [Lookup] result.
func elementName(el Element, known bool) string {
	if !known {
		return "(unknown tag)"
	}
	return el.Name
}

// isDOL reports whether tag's value is a Data Object List (Book 3 §5.4 and
// Annex A1: PDOL, CDOL1, CDOL2, DDOL, TDOL, Log Format; Book C-2: Default
// UDOL; UICS: the Load Log Format of electronic cash).
func isDOL(t Tag) bool {
	switch t {
	case 0x9F38, 0x8C, 0x8D, 0x9F49, 0x97, 0x9F4F, 0xDF811A, 0xDF4F:
		return true
	}
	return false
}

// dol lists the entries of a DOL under its line, one per line with the
// length asked for; a DOL that does not parse is left as hex.
func (p *printer) dol(indent string, v []byte) {
	d, err := ParseDOL(v)
	if err != nil {
		return
	}
	for _, e := range d {
		p.printf("%s- %s %s [%d]\n", indent, e.Tag, elementName(Lookup(e.Tag)), e.Len)
	}
}

// Tags whose n value is a date YYMMDD (Book 3 Annex A1).
func isDate(t Tag) bool { return t == 0x5F24 || t == 0x5F25 || t == 0x9A }

// value renders one primitive value for a person to read.
func (p *printer) value(el Element, known bool, tag Tag, v []byte) string {
	if len(v) == 0 {
		return "(empty)"
	}
	if tag == 0x99 {
		return "(PIN data not shown)"
	}
	if el.Sensitive {
		switch tag {
		case 0x5A:
			d, ok := cnDigits(v)
			if !ok {
				break
			}
			if p.unmasked {
				return d
			}
			return MaskPAN(d)
		case 0x57, 0x9F6B:
			return track2(v, p.unmasked)
		case 0x56:
			return track1(v, p.unmasked)
		}
		if !p.unmasked {
			return "(masked)"
		}
	}
	if !known {
		return hexUpper(v)
	}
	switch el.Format {
	case FormatN:
		d, ok := nDigits(v)
		if !ok {
			return hexUpper(v) + " (not numeric)"
		}
		switch {
		case isDate(tag) && len(d) == 6:
			if s, ok := spellDate(d); ok {
				return d + " (" + s + ")"
			}
			return d + " (not a date)"
		case tag == 0x9F21 && len(d) == 6:
			return d + " (" + d[0:2] + ":" + d[2:4] + ":" + d[4:6] + ")"
		}
		return d
	case FormatCN:
		if d, ok := cnDigits(v); ok {
			return d
		}
	case FormatA, FormatAN, FormatANS:
		if isText(v) {
			return `"` + string(v) + `"`
		}
	}
	return hexUpper(v)
}

// MaskPAN masks the digits of a PAN for display, keeping the first 6 and
// the last 4 (PCI DSS 3.4) when the PAN is long enough for that to hide
// something; a PAN of 10 digits or fewer is masked entirely.
func MaskPAN(pan string) string {
	if len(pan) <= 10 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

// MaskID masks the number of a cardholder's identity document (the
// UnionPay Cardholder ID Number 9F61, an 1-40) for a receipt or a screen:
// only the last four characters stay, and only when the number has more
// than eight, so that neither the region nor the birth date of a Chinese
// resident ID (GB 11643: 6 + 8 + 4 characters) can be read.
func MaskID(id string) string {
	if len(id) <= 8 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// MaskTrack2 renders Track 2 Equivalent Data (57, Book 3 Annex A1) for a
// person as [Describe] does: the PAN masked by [MaskPAN], the separator D,
// and a '*' for each digit after it; data without a separator shows as
// "(masked)".
func MaskTrack2(v []byte) string { return track2(v, false) }

// track2 renders Track 2 Equivalent Data (Book 3 Annex A1: PAN, separator
// D, expiry YYMM, service code, discretionary data, F pad). Masked, only the
// masked PAN and the separator remain.
func track2(v []byte, unmasked bool) string {
	s := strings.TrimSuffix(hexUpper(v), "F")
	if unmasked {
		return s
	}
	pan, rest, found := strings.Cut(s, "D")
	if !found {
		return "(masked)"
	}
	return MaskPAN(pan) + "D" + strings.Repeat("*", len(rest))
}

// track1 renders Track 1 Data (ISO/IEC 7813 format B: "B" PAN "^" name "^"
// expiry, service code, discretionary data). Masked, only the format code,
// the masked PAN and the separators remain.
func track1(v []byte, unmasked bool) string {
	if !isText(v) {
		if unmasked {
			return hexUpper(v)
		}
		return "(masked)"
	}
	s := string(v)
	if unmasked {
		return `"` + s + `"`
	}
	first, rest, found := strings.Cut(s, "^")
	if !found || first == "" {
		return "(masked)"
	}
	var b strings.Builder
	b.WriteString(`"`)
	b.WriteString(first[:1])
	b.WriteString(MaskPAN(first[1:]))
	b.WriteString("^")
	for _, r := range rest {
		if r == '^' {
			b.WriteByte('^')
		} else {
			b.WriteByte('*')
		}
	}
	b.WriteString(`"`)
	return b.String()
}

// nDigits decodes format n (Book 3 §4.3): BCD digits, two per byte.
func nDigits(v []byte) (string, bool) {
	var b strings.Builder
	b.Grow(2 * len(v))
	for _, c := range v {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return "", false
		}
		b.WriteByte('0' + hi)
		b.WriteByte('0' + lo)
	}
	return b.String(), true
}

// Digits returns the leading decimal digits of a numeric (n) or compressed
// numeric (cn) value, stopping at the first nibble that is not a digit: the
// F padding of cn (Book 3 §4.3). It never fails; a value that starts with a
// non-digit gives "". The PAN (5A) reads as Digits(v).
func Digits(v []byte) string {
	s := make([]byte, 0, 2*len(v))
	for _, c := range v {
		for _, d := range [2]byte{c >> 4, c & 0x0F} {
			if d > 9 {
				return string(s)
			}
			s = append(s, '0'+d)
		}
	}
	return string(s)
}

// cnDigits decodes format cn (Book 3 §4.3): BCD digits left-justified and
// padded on the right with F nibbles; a digit after a pad nibble is invalid.
func cnDigits(v []byte) (string, bool) {
	var b strings.Builder
	b.Grow(2 * len(v))
	pad := false
	for _, c := range v {
		for _, d := range [2]byte{c >> 4, c & 0x0F} {
			switch {
			case d == 0x0F:
				pad = true
			case d > 9 || pad:
				return "", false
			default:
				b.WriteByte('0' + d)
			}
		}
	}
	return b.String(), true
}

// spellDate turns YYMMDD into YYYY-MM-DD. Years 00-49 are 20YY and 50-99
// are 19YY (Book 4 §6.7, Date Management). It reports false for an
// impossible month or day.
func spellDate(d string) (string, bool) {
	yy := int(d[0]-'0')*10 + int(d[1]-'0')
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return "", false
	}
	century := "20"
	if yy >= 50 {
		century = "19"
	}
	return century + d[0:2] + "-" + d[2:4] + "-" + d[4:6], true
}

// isText reports whether v is printable ASCII, as a, an and ans values are
// in practice (ans may also hold ISO/IEC 8859 characters, shown in hex).
func isText(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

func hexUpper(v []byte) string { return strings.ToUpper(hex.EncodeToString(v)) }
