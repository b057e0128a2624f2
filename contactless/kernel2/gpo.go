package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Application Interchange Profile bits Kernel 2 reads (Book C-2 Annex A).
const (
	aip1OnDeviceCVM     = 0x02 // byte 1 b2: on device cardholder verification supported
	aip1CDA             = 0x01 // byte 1 b1: CDA supported
	aip1CVMSupported    = 0x10 // byte 1 b5: cardholder verification is supported
	aip2EMVMode         = 0x80 // byte 2 b8: EMV mode supported
	aip2RelayResistance = 0x01 // byte 2 b1: relay resistance protocol supported
)

// magstripeAFLEntry is the AFL entry of the mag-stripe data a card lists
// first for a reader in mag-stripe mode: SFI 1, record 1, no record for
// ODA (Book C-2 S3.30 to S3.32: in EMV mode, with mag-stripe mode allowed,
// the kernel leaves it out of the Active AFL).
var magstripeAFLEntry = [4]byte{0x08, 0x01, 0x01, 0x00}

// waitingForGPOResponse is State 3, Waiting for GPO Response (Book C-2
// State 3). The signals:
//
//   - the link failed (L1RSP): the kernel stops with the link's error;
//   - SW other than 9000: Select Next at Start C, L2 STATUS
//     BYTES, the Entry Point tries the next combination;
//   - a response that is not one template 77 or 80 or holds a data object
//     twice: End Application, L2 PARSING ERROR;
//   - no AIP or no AFL: End Application, L2 CARD DATA MISSING; an
//     AIP other than 2 bytes or an AFL not a multiple of 4: L2 CARD DATA
//     ERROR;
//   - an AIP without EMV mode (byte 2 b8) or a Kernel Configuration
//     without it: mag-stripe mode (State 7, see startMagstripeMode), unless
//     the Kernel Configuration forbids mag-stripe mode too (b8): End
//     Application, L2 MAGSTRIPE NOT SUPPORTED.
//
// In EMV mode the Active AFL is the AFL without a first entry 08010100
// . When both the card (AIP byte 2 b1) and the reader (Kernel
// Configuration b5) support relay resistance, the kernel sends EXCHANGE
// RELAY RESISTANCE DATA with the Unpredictable Number as the Terminal Relay
// Resistance Entropy and waits in State R1; otherwise the
// TVR says "relay resistance protocol not performed" (byte 5 b2-1 01) when
// the reader supports it and the card does not, and keeps 00 ("not
// supported") when the reader does not.
func waitingForGPOResponse(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	if sig.r.SW != apdu.SWOK {
		s.errInd.statusBytes(sig.r.SW)
		return s.done(s.selectNext())
	}
	t, v, err := tlv.Single(sig.r.Data)
	if err != nil {
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	switch t {
	case 0x77:
		if err := s.card.addTemplate(v); err != nil {
			s.errInd.l2 = l2ParsingError
			return s.done(s.endApplication())
		}
	case 0x80:
		if len(v) < 2 {
			s.errInd.l2 = l2ParsingError
			return s.done(s.endApplication())
		}
		_ = s.card.add(0x82, v[:2])
		_ = s.card.add(0x94, v[2:])
	default:
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	aip, okAIP := s.card.get(0x82)
	afl, okAFL := s.card.get(0x94)
	switch {
	case !okAIP || !okAFL:
		s.errInd.l2 = l2CardDataMissing
		return s.done(s.endApplication())
	case len(aip) != 2 || len(afl)%4 != 0:
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	if aip[1]&aip2EMVMode == 0 || s.cfg.KernelConfiguration&KernelConfigEMVNotSupported != 0 {
		if s.cfg.KernelConfiguration&KernelConfigMagstripeNotSupported != 0 {
			s.errInd.l2 = l2MagstripeNotSupported
			return s.done(s.endApplication())
		}
		return s.startMagstripeMode(afl)
	}
	s.afl = afl
	if len(afl) >= 4 && [4]byte(afl[:4]) == magstripeAFLEntry && s.cfg.KernelConfiguration&KernelConfigMagstripeNotSupported == 0 {
		s.afl = afl[4:]
	}
	if !s.checkAFL() {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	switch {
	case aip[1]&aip2RelayResistance != 0 && s.cfg.KernelConfiguration&KernelConfigRelayResistance != 0:
		s.rrp.terminalEntropy = s.un
		s.send(exchangeRelayResistanceData(s.rrp.terminalEntropy[:]))
		return waitingForExchangeRelayResistanceDataResponse
	case s.cfg.KernelConfiguration&KernelConfigRelayResistance != 0:
		s.tvr[4] &^= tvrRRPMask
		s.tvr.Set(tvr.RelayResistanceNotPerformed)
	}
	return s.readFirstRecord()
}
