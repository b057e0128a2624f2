package emv_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tlv"
)

// mutatingCard passes each command to a virtual card and changes its
// answer as the fuzz input says: one operation byte per response, and
// its operands, read in order; once the input is used up the card
// answers truly.
type mutatingCard struct {
	card *emvtest.Card
	in   []byte
}

func (m *mutatingCard) next() (byte, bool) {
	if len(m.in) == 0 {
		return 0, false
	}
	b := m.in[0]
	m.in = m.in[1:]
	return b, true
}

func (m *mutatingCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	resp, err := m.card.Transmit(ctx, cmd)
	if err != nil {
		return nil, err
	}
	op, ok := m.next()
	if !ok {
		return resp, nil
	}
	resp = append([]byte(nil), resp...)
	switch op % 10 {
	case 0, 1, 2, 3: // unchanged
	case 4: // flip one byte
		if i, ok := m.next(); ok && len(resp) > 0 {
			resp[int(i)%len(resp)] ^= 0xFF
		}
	case 5: // cut short, even below the status word
		if i, ok := m.next(); ok {
			resp = resp[:int(i)%(len(resp)+1)]
		}
	case 6: // another status word, data kept
		a, _ := m.next()
		b, _ := m.next()
		if len(resp) >= 2 {
			resp[len(resp)-2], resp[len(resp)-1] = a, b
		}
	case 7: // another answer: two length bytes, then the answer (data and
		// status word); the seeds put a recorded card's answers here
		hi, _ := m.next()
		lo, _ := m.next()
		k := min(int(hi)<<8|int(lo), len(m.in))
		resp = append([]byte(nil), m.in[:k]...)
		m.in = m.in[k:]
	case 8: // grow a length byte
		if i, ok := m.next(); ok && len(resp) > 2 {
			resp[int(i)%(len(resp)-2)]++
		}
	case 9: // the card leaves
		return nil, apdu.ErrCardRemoved
	}
	return resp, nil
}

// hostileSeeds are the hostile cards of TestHostileCards as FuzzKernel
// inputs: the answers of the first commands kept ("0"), then an answer
// replaced ("7", two length bytes, the answer).
func hostileSeeds() [][]byte {
	replace := func(kept int, answer []byte) []byte {
		in := make([]byte, kept, kept+3+len(answer))
		in = append(in, 7, byte(len(answer)>>8), byte(len(answer)))
		return append(in, answer...)
	}
	withSW := func(data []byte, sw ...byte) []byte { return append(append([]byte(nil), data...), sw...) }
	big := make([]byte, 0xFFFD)
	var seeds [][]byte
	// 64 KiB to the first record read after GET PROCESSING OPTIONS, and
	// to every one of them.
	seeds = append(seeds, replace(5, withSW(big, 0x90, 0x00)))
	every := make([]byte, 5)
	for range 8 {
		every = append(every, replace(0, withSW(big[:4000], 0x90, 0x00))...)
	}
	seeds = append(seeds, every)
	// One byte over a short answer, to the first SELECT.
	seeds = append(seeds, replace(0, withSW(big[:257], 0x90, 0x00)))
	// 61xx for ever: GET RESPONSE rounds past the T=0 bound.
	endless := make([]byte, 5)
	for range 40 {
		endless = append(endless, 6, 0x61, 0x00)
	}
	seeds = append(seeds, endless)
	// A first GENERATE AC (after the 14 commands of a visa-cda head) whose
	// IAD is 33 bytes, over Annex A's 32.
	gac := tlv.AppendTLV(nil, 0x9F27, []byte{0x80})
	gac = tlv.AppendTLV(gac, 0x9F36, []byte{0x00, 0x11})
	gac = tlv.AppendTLV(gac, 0x9F26, make([]byte, 8))
	gac = tlv.AppendTLV(gac, 0x9F10, make([]byte, 33))
	seeds = append(seeds, replace(14, withSW(tlv.AppendTLV(nil, 0x77, gac), 0x90, 0x00)))
	return seeds
}

type kernelSeed struct {
	answers []byte
	amount  uint16
	scripts []byte
}

// kernelSeeds turns every session of testdata/sessions into a FuzzKernel
// input: each recorded answer as a "7 length answer" mutation, a removed
// card as "9"; the amount and issuer scripts of its kernel object.
// Sessions with the same answers give one seed.
func kernelSeeds(f *testing.F) []kernelSeed {
	var seeds []kernelSeed
	seen := map[string]bool{}
	for _, s := range fuzzseed.Sessions(f) {
		var in []byte
		for _, x := range s.Exchanges {
			if x.Response == nil {
				in = append(in, 9)
				break
			}
			in = append(in, 7, byte(len(x.Response)>>8), byte(len(x.Response)))
			in = append(in, x.Response...)
		}
		if seen[string(in)] {
			continue
		}
		seen[string(in)] = true
		var k emv.Recording
		if err := json.Unmarshal(s.Kernel, &k); err != nil {
			f.Fatal(err)
		}
		var scripts []byte
		if k.Host != nil {
			scripts, _ = hex.DecodeString(k.Host.Scripts)
		}
		seeds = append(seeds, kernelSeed{in, uint16(k.Transaction.Amount), scripts})
	}
	return seeds
}

// fuzzProfile is visa-cda with the smallest keys the virtual card allows,
// so that an iteration stays cheap.
func fuzzProfile() *emvtest.Profile {
	p := visaCDA()
	p.Keys = emvtest.Keys{Seed: "fuzz", CABits: 768, IssuerBits: 768, ICCBits: 768}
	return p
}
