package apdu

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Masked returns a copy of s with the cardholder data of a real card
// replaced by stand-ins, for a recording that is to be shared or kept:
// every value of 5A (Application PAN), 57 and 9F6B (track 2), 56, 9F1F,
// 9F20 (track 1 and the discretionary data), 5F20 and 9F0B (cardholder
// name) found in a response is replaced, wherever its bytes occur in the
// session (commands, responses, and the kernel's header, where it
// appears in hex or as digits), by one stand-in of the same length, so
// the masking is consistent across the file:
//
//   - the PAN keeps its first six and last four digits (PCI DSS 3.4, as
//     [MaskPAN]); the digits between become 0;
//   - track 2 keeps the masked PAN, the separator D, the expiry date and
//     the service code; the discretionary data becomes 0;
//   - track 1 data and the cardholder name become 'X' (0x58) throughout.
//
// The stand-ins keep the data well formed, so a masked session replays
// as far as its bytes allow; but the issuer signed the real PAN and track
// 2 (Book 2 §5.4, §6.4: the static data to be authenticated), so a masked
// recording cannot replay offline data authentication: SDA, DDA and CDA
// fail on it, and its recorded outcome no longer follows. Record in clear
// (kept private) for a test that replays; mask for a file a person reads.
func (s *Session) Masked() *Session {
	subs := map[string][]byte{}
	for _, e := range s.Exchanges {
		data := e.Response
		if len(data) >= 2 {
			data = data[:len(data)-2]
		}
		collectSensitive(data, 0, subs)
	}
	// Longer values first: track 2 holds the PAN.
	orig := make([]string, 0, len(subs))
	for k := range subs {
		orig = append(orig, k)
	}
	sort.Slice(orig, func(i, j int) bool {
		if len(orig[i]) != len(orig[j]) {
			return len(orig[i]) > len(orig[j])
		}
		return orig[i] < orig[j]
	})
	replace := func(b []byte) []byte {
		b = bytes.Clone(b)
		for _, o := range orig {
			b = bytes.ReplaceAll(b, []byte(o), subs[o])
		}
		return b
	}
	out := &Session{Source: s.Source, Proves: s.Proves}
	for _, e := range s.Exchanges {
		out.Exchanges = append(out.Exchanges, SessionExchange{
			Command: replace(e.Command), Response: replace(e.Response), Error: e.Error, Note: e.Note,
		})
	}
	if len(s.Kernel) > 0 {
		k := string(s.Kernel)
		for _, o := range orig {
			from, to := []byte(o), subs[o]
			for _, f := range []func([]byte) string{upperHex, lowerHex, digitsOf} {
				if a, b := f(from), f(to); len(a) >= 8 {
					k = strings.ReplaceAll(k, a, b)
				}
			}
			if printable(from) {
				if a, err := json.Marshal(string(from)); err == nil {
					b, _ := json.Marshal(string(to))
					k = strings.ReplaceAll(k, string(a[1:len(a)-1]), string(b[1:len(b)-1]))
				}
			}
		}
		out.Kernel = json.RawMessage(k)
	}
	return out
}

// collectSensitive walks b as BER-TLV (as [MaskPAN] does) and records a
// stand-in for each cardholder value it finds.
func collectSensitive(b []byte, depth int, subs map[string][]byte) {
	off := 0
	for off < len(b) {
		if b[off] == 0x00 || b[off] == 0xFF {
			off++
			continue
		}
		tag, hdr, n, ok := maskHeader(b[off:])
		if !ok {
			return
		}
		val := b[off+hdr : off+hdr+n]
		switch {
		case b[off]&0x20 != 0:
			if depth < maskDepth {
				collectSensitive(val, depth+1, subs)
			}
		case len(val) == 0:
		case tag == 0x5A:
			subs[string(val)] = standInDigits(val, false)
		case tag == 0x57 || tag == 0x9F6B:
			subs[string(val)] = standInDigits(val, true)
		case tag == 0x56 || tag == 0x9F1F || tag == 0x9F20 || tag == 0x5F20 || tag == 0x9F0B:
			subs[string(val)] = bytes.Repeat([]byte{'X'}, len(val))
		}
		off += hdr + n
	}
}

// standInDigits is the stand-in of a PAN (cn, F padded) or a track 2
// (PAN, D, YYMM, service code, discretionary data, F pad): the digits
// [maskDigits] hides become 0, except the expiry date and service code
// of track 2, which a person reading the file needs and which identify
// no one.
func standInDigits(val []byte, track2 bool) []byte {
	nib := make([]byte, 0, 2*len(val))
	for _, c := range val {
		nib = append(nib, c>>4, c&0x0F)
	}
	pad := len(nib)
	for pad > 0 && nib[pad-1] == 0x0F {
		pad--
	}
	pan := pad
	if track2 {
		pan = -1
		for i, d := range nib[:pad] {
			if d == 0x0D {
				pan = i
				break
			}
		}
		if pan < 0 { // no separator: nothing can be kept
			pan = pad
		}
	}
	for i := range nib[:pad] {
		switch {
		case i == pan && track2:
		case i < pan && pan > 10 && (i < 6 || i >= pan-4):
		case i > pan && i <= pan+7: // YYMM and the service code
		default:
			nib[i] = 0
		}
	}
	out := make([]byte, len(val))
	for i := range out {
		out[i] = nib[2*i]<<4 | nib[2*i+1]
	}
	return out
}

func upperHex(b []byte) string {
	var sb strings.Builder
	writeHex(&sb, b)
	return sb.String()
}

func lowerHex(b []byte) string { return strings.ToLower(upperHex(b)) }

// digitsOf is a PAN's digits as the kernel's header writes them: the hex
// without the F pad.
func digitsOf(b []byte) string { return strings.TrimRight(upperHex(b), "F") }

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return len(b) > 0
}
