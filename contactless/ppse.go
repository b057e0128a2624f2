package contactless

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/emvkit/emvkit/tlv"
)

// PPSEName is the DF name of the Proximity Payment System Environment,
// "2PAY.SYS.DDF01" (Book B §3.3.2.1).
var PPSEName = []byte("2PAY.SYS.DDF01")

// MaxDirectoryEntries bounds the directory entries read from one PPSE; the
// entries after it are ignored. A PPSE of 256 bytes holds at most 28.
const MaxDirectoryEntries = 64

// DirectoryEntry is one Directory Entry (61) of the PPSE's FCI Issuer
// Discretionary Data (BF0C), Book B §3.3.2.3, Table 3-3.
type DirectoryEntry struct {
	// ADFName is the ADF Name 4F, 5 to 16 bytes.
	ADFName []byte
	// Label is the Application Label 50; empty when absent.
	Label string
	// Priority is the Application Priority Indicator 87's first byte; 0
	// when absent.
	Priority byte
	// KernelIdentifier is the Kernel Identifier 9F2A (1 to 8 bytes); nil
	// when absent.
	KernelIdentifier []byte
	// ExtendedSelection is the Extended Selection 9F29; nil when absent.
	ExtendedSelection []byte
}

// ErrPPSE reports a SELECT PPSE response the Entry Point cannot read
// ([ParsePPSE]); test with errors.Is.
var ErrPPSE = errors.New("contactless: PPSE")

// ParsePPSE reads the directory entries of a SELECT PPSE response's data
// (without the status word): the FCI Template 6F, its FCI Proprietary
// Template A5, the FCI Issuer Discretionary Data BF0C and in it the
// Directory Entries 61 (Book B §3.3.2.3). The FCI must be well-formed
// BER-TLV and hold A5 and BF0C; an error wraps [ErrPPSE]. Entries without
// a valid ADF Name (4F of 5 to 16 bytes) are skipped (Book B §3.3.2.4), as
// are the entries after [MaxDirectoryEntries]. The slices of the entries
// are sub-slices of fci.
func ParsePPSE(fci []byte) ([]DirectoryEntry, error) {
	tag, v, err := tlv.Single(fci)
	if err != nil {
		return nil, fmt.Errorf("%w: FCI: %w", ErrPPSE, err)
	}
	if tag != 0x6F {
		return nil, fmt.Errorf("%w: FCI template is %s, not 6F", ErrPPSE, tag)
	}
	a5, err := child(v, 0xA5)
	if err != nil {
		return nil, err
	}
	bf0c, err := child(a5, 0xBF0C)
	if err != nil {
		return nil, err
	}
	out := make([]DirectoryEntry, 0, 4) // a card offers a few applications
	it := tlv.NewIter(bf0c)
	for it.Next() {
		if it.Tag() != 0x61 {
			continue
		}
		if len(out) == MaxDirectoryEntries {
			break
		}
		if e, ok := directoryEntry(it.Value()); ok {
			out = append(out, e)
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("%w: FCI Issuer Discretionary Data: %w", ErrPPSE, err)
	}
	return out, nil
}

// child returns the value of the template t at the top level of b, which
// must be well-formed.
func child(b []byte, t tlv.Tag) ([]byte, error) {
	it := tlv.NewIter(b)
	for it.Next() {
		if it.Tag() == t {
			return it.Value(), nil
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("%w: in the template of %s: %w", ErrPPSE, t, err)
	}
	return nil, fmt.Errorf("%w: no %s", ErrPPSE, t)
}

// directoryEntry reads one Directory Entry; ok is false when it has no
// valid ADF Name or is not well-formed.
func directoryEntry(b []byte) (DirectoryEntry, bool) {
	var e DirectoryEntry
	it := tlv.NewIter(b)
	for it.Next() {
		v := it.Value()
		switch it.Tag() {
		case 0x4F:
			if e.ADFName == nil {
				e.ADFName = v
			}
		case 0x50:
			e.Label = string(v)
		case 0x87:
			if len(v) > 0 {
				e.Priority = v[0]
			}
		case 0x9F2A:
			e.KernelIdentifier = v
		case 0x9F29:
			e.ExtendedSelection = v
		}
	}
	if it.Err() != nil || len(e.ADFName) < 5 || len(e.ADFName) > 16 {
		return DirectoryEntry{}, false
	}
	return e, true
}

// defaultKernels is the kernel the Entry Point takes for an AID whose
// directory entry names none, by the AID's RID (Book B §3.3.2.5, Table
// 3-6).
var defaultKernels = map[string]KernelID{
	"\xA0\x00\x00\x00\x04": Kernel2, // Mastercard
	"\xA0\x00\x00\x00\x03": Kernel3, // Visa
	"\xA0\x00\x00\x00\x25": Kernel4, // American Express
	"\xA0\x00\x00\x00\x65": Kernel5, // JCB
	"\xA0\x00\x00\x01\x52": Kernel6, // Discover
	"\xA0\x00\x00\x03\x33": Kernel7, // UnionPay
}

// requestedKernel returns the Requested Kernel ID of a directory entry
// (Book B §3.3.2.5): the kernel and, for a domestic kernel, its Extended
// Kernel ID. ok is false when the entry names no kernel the Entry Point
// can match.
//
//   - 9F2A absent, empty, or with a first byte of 00 (no kernel has that
//     number): the default kernel of the AID's RID; an unknown RID names
//     none. Reading 00 as "absent" is this package's choice: the book
//     gives the value no meaning, and the lenient reading lets such a
//     card still be served by its scheme's kernel.
//   - byte 1 bits 8-7 00b (an EMVCo kernel): byte 1 is the Kernel ID; any
//     further bytes are not part of it.
//   - bits 8-7 10b or 11b (a domestic kernel, EMVCo or proprietary
//     format): byte 1 and the Extended Kernel ID in bytes 2 and 3, so the
//     entry needs three bytes or is ignored.
//   - bits 8-7 01b: RFU; the entry is ignored.
func requestedKernel(e *DirectoryEntry) (id KernelID, ext []byte, ok bool) {
	k := e.KernelIdentifier
	if len(k) == 0 || k[0] == 0x00 {
		if len(e.ADFName) < 5 {
			return 0, nil, false
		}
		id, ok := defaultKernels[string(e.ADFName[:5])]
		return id, nil, ok
	}
	switch k[0] >> 6 {
	case 0b00:
		return KernelID(k[0]), nil, true
	case 0b10, 0b11:
		if len(k) < 3 {
			return 0, nil, false
		}
		return KernelID(k[0]), k[1:3], true
	}
	return 0, nil, false
}

// candidate is one entry of the Candidate List (Book B §3.3.2.5): the
// combination, its indicators and the entry's place in the directory.
type candidate struct {
	comb  Combination
	ind   Indicators
	index int
}

// buildCandidates matches the directory entries against the combinations
// in effect (Book B §3.3.2.5) and returns the Candidate List in the order
// of final combination selection (Book B §3.3.3). An entry becomes a
// candidate when a combination in effect has an AID that is the entry's
// ADF Name or its beginning (Book B always selects partially), the same
// Requested Kernel ID, a kernel the reader has (registered), and no
// Contactless Application Not Allowed indicator. When several
// combinations match one entry, the first in the configuration's order
// serves it: one entry is one candidate.
func buildCandidates(entries []DirectoryEntry, pre []Preprocessed, has func(KernelID) bool) []candidate {
	out := make([]candidate, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		id, ext, ok := requestedKernel(e)
		if !ok || !has(id) {
			continue
		}
		for _, p := range pre {
			cc := p.Config
			if cc.Kernel != id || !bytes.HasPrefix(e.ADFName, cc.AID) ||
				p.Indicators.ContactlessApplicationNotAllowed ||
				(len(cc.ExtendedKernelID) > 0 && !bytes.Equal(cc.ExtendedKernelID, ext)) {
				continue
			}
			// §3.3.2.6: with Extended Selection supported by the
			// combination and present in the entry, the name selected
			// is the ADF Name followed by the Extended Selection.
			aid := append([]byte(nil), e.ADFName...)
			if cc.ExtendedSelectionSupport && len(e.ExtendedSelection) > 0 && len(aid)+len(e.ExtendedSelection) <= maxSelectName {
				aid = append(aid, e.ExtendedSelection...)
			}
			var kid []byte
			if e.KernelIdentifier != nil {
				kid = append([]byte{}, e.KernelIdentifier...)
			}
			out = append(out, candidate{
				comb: Combination{AID: aid, Kernel: id, KernelIdentifier: kid, Label: e.Label,
					Priority: e.Priority, Config: cc},
				ind:   p.Indicators,
				index: i,
			})
			break
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int { return rank(a.comb.Priority) - rank(b.comb.Priority) })
	return out
}

// maxSelectName bounds the DF name of the final SELECT: the data field of
// a short command.
const maxSelectName = 255

// rank orders by Application Priority Indicator (Book B §3.3.3.2): bits
// 4-1 from 1, the highest priority, to 15; 0 (or no indicator) is no
// priority and comes after every priority. Equal ranks keep the
// directory's order. Bit 8 (cardholder confirmation) has no meaning in
// contactless and is ignored.
func rank(p byte) int {
	if v := int(p & 0x0F); v != 0 {
		return v
	}
	return 16
}
