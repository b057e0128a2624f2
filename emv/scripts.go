package emv

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Bounds on issuer scripts (Book 3 §10.10 asks a terminal to take at
// least 128 bytes of scripts; these are well above).
const (
	maxScriptBytes    = 1024 // all scripts of one response together
	maxScripts        = 16
	maxScriptCommands = 32 // commands in one script
)

// processIssuerScripts sends the commands of the issuer scripts with the
// given template tag to the card (Book 3 §10.10): 71 before the final
// GENERATE AC, 72 after it. Each script's commands go in order until one
// is answered with anything but 90xx, 62xx or 63xx; the script then fails
// there. Results go to 9F5B: a result nibble (0 not performed, 1 failed,
// 2 successful), the failing command's sequence number (F from 15 on) and
// the script identifier 9F18 (zeros if absent). A failed, unparsable or
// unperformed script sets the TVR bit of its own template: "before final
// GENERATE AC" for 71, "after" for 72.
func (s *transactionState) processIssuerScripts(template tlv.Tag) error {
	s.step = StepIssuerScripts
	if len(s.scripts) == 0 {
		return nil
	}
	failBit := tvr.ScriptFailedBeforeFinalGenerateAC
	if template == 0x72 {
		failBit = tvr.ScriptFailedAfterFinalGenerateAC
	}
	// More script than the terminal takes: none of it is performed, and
	// each script, of either template, gets its "not performed" result
	// and the bit of its template. The terminal's choice where the books
	// leave it open: all or nothing, so the card never receives a part of
	// what the issuer sent as one response. An answer over the bound was
	// kept only as its skeleton (scriptSkeleton).
	tooLong := s.scriptsTooLong || scriptBytes(s.scripts) > maxScriptBytes
	it := tlv.NewIter(s.scripts)
	for it.Next() {
		if it.Tag() != template {
			continue
		}
		if s.scriptsRun == maxScripts {
			s.setTVR(failBit)
			break
		}
		s.scriptsRun++
		if err := s.runScript(it.Value(), failBit, !tooLong); err != nil {
			return err
		}
	}
	if it.Err() != nil {
		// The rest of the scripts cannot be read: not performed.
		s.setTVR(failBit)
	}
	return nil
}

// scriptBytes is the length of the issuer script templates 71 and 72 in
// the host's answer, each counted with its tag and length as the issuer
// encoded them, up to the first element that cannot be read.
func scriptBytes(b []byte) int {
	n := 0
	it := tlv.NewIter(b)
	for it.Next() {
		if t := it.Tag(); t == 0x71 || t == 0x72 {
			n += len(it.Raw())
		}
	}
	return n
}

// scriptSkeleton keeps, of a host answer too long to keep whole, what
// the "not performed" results need: each template 71 or 72 with only its
// Script Identifier 9F18, for at most maxScripts+1 templates, up to the
// first element that cannot be read. It is at most a few hundred bytes
// whatever the host sent.
func scriptSkeleton(b []byte) []byte {
	var out []byte
	n := 0
	it := tlv.NewIter(b)
	for it.Next() && n <= maxScripts {
		t := it.Tag()
		if t != 0x71 && t != 0x72 {
			continue
		}
		n++
		var inner []byte
		in := tlv.NewIter(it.Value())
		for in.Next() {
			if in.Tag() == 0x9F18 {
				if v := in.Value(); len(v) <= 4 {
					inner = tlv.AppendTLV(inner, 0x9F18, v)
				} else {
					// Kept malformed so that its script is still
					// reported; its bytes are not kept.
					inner = tlv.AppendTLV(inner, 0x9F18, make([]byte, 5))
				}
				break
			}
		}
		out = tlv.AppendTLV(out, t, inner)
	}
	return out
}

// runScript performs one script's commands, or with perform false only
// records that it was not performed.
func (s *transactionState) runScript(v []byte, failBit tvr.Bit, perform bool) error {
	var id [4]byte
	var room [4]apdu.Command // a script carries a command or two
	cmds := room[:0]
	ok := perform
	it := tlv.NewIter(v)
	for it.Next() {
		switch it.Tag() {
		case 0x9F18:
			if len(it.Value()) == 4 {
				copy(id[:], it.Value())
			} else {
				ok = false
			}
		case 0x86:
			c, err := apdu.ParseCommand(it.Value())
			if err != nil || len(cmds) == maxScriptCommands {
				ok = false
				continue
			}
			cmds = append(cmds, c)
		}
	}
	if it.Err() != nil || len(cmds) == 0 {
		ok = false
	}
	result := byte(0x00) // not performed
	if ok {
		result = 0x20 // successful, unless a command fails
		s.setTSI(tvr.ScriptProcessingPerformed)
		for i, c := range cmds {
			r, err := s.transmit(c)
			if err != nil {
				return err
			}
			if sw1 := r.SW.SW1(); sw1 != 0x90 && sw1 != 0x62 && sw1 != 0x63 {
				seq := byte(min(i+1, 15))
				result = 0x10 | seq
				break
			}
		}
	}
	if result != 0x20 {
		s.setTVR(failBit)
	}
	if s.res.ScriptResults == nil {
		s.res.ScriptResults = s.scriptResults[:0]
	}
	s.res.ScriptResults = append(s.res.ScriptResults, result, id[0], id[1], id[2], id[3])
	return nil
}
