package emv

import (
	"context"

	"github.com/emvkit/emvkit/cvm"
)

// verifyCardholder performs cardholder verification (Book 3 §10.5) through
// package cvm, which walks the CVM List with the terminal's PIN pad, and
// takes its CVM Results and TVR/TSI bits.
func (s *transactionState) verifyCardholder() error {
	s.step = StepCardholderVerification
	caps := s.cfg.capabilities()
	in := cvm.Input{
		AIP:                  s.aip,
		CVMList:              s.cardData.val(0x8E),
		ApplicationCurrency:  s.cardData.val(0x9F42),
		PAN:                  s.clone(s.cardData.val(0x5A)), // the PIN pad gets it; a copy
		TerminalCapabilities: caps,
		TerminalType:         s.cfg.terminalType(),
		TransactionType:      byte(s.txn.Type),
		Amount:               s.txn.Amount,
		TransactionCurrency:  [2]byte(s.termData.val(0x5F2A)),
		PINPad:               s.term.pinPad(),
		Biometric:            s.term.terminal().Biometric,
		BypassAllPINCVMs:     s.cfg.BypassAllPINCVMs,
		Rand:                 s.cfg.rand(),
		Logger:               s.cfg.Logger,
	}
	if caps[1]&cvm.CapEncipheredPINOffline != 0 && s.listHasEncipheredPIN(in.CVMList) {
		// Book 2 §7.1: the ICC PIN Encipherment key, or the ICC key. A
		// key that cannot be recovered leaves offline enciphered PIN
		// unsuccessful (cvm sees no key). Without a PIN Encipherment
		// certificate (9F2D) it is the ICC key, which DDA or CDA has
		// already recovered with the same checks: it is not recovered
		// twice.
		if s.oda.method == XDA {
			// The card answered with the ECC methods (Book 3 §10.3 note):
			// its 9F2D is the ICC ECC key for ODE, and the PIN is
			// enciphered by Book 2 §13.2.
			if iccd, err := s.staticDataToAuthenticate(); err == nil {
				if k, err := s.verifier().ECCPINKey(s.odaCardData(), iccd); err == nil {
					in.ECCPINKey = k
				}
			}
		} else if s.oda.icc != nil && len(s.cardData.val(0x9F2D)) == 0 {
			in.PINKey = &s.oda.icc.PublicKey
		} else if static, err := s.staticDataToAuthenticate(); err == nil {
			// The keys live in the recycled store until release; cvm
			// uses the key only while it performs.
			s.pinKeysUsed = true
			if k, err := s.verifier().PINKeyIn(&s.pinKeys, s.odaCardData(), static); err == nil {
				in.PINKey = &k.PublicKey
			}
		}
	}
	r, err := cvm.Perform(s.ctx, cardLink{s}, in)
	// What was done stays in the TVR and TSI even if the step stopped.
	s.cvm = r
	s.res.CVMResults = r.Results
	for k := range s.res.TVR {
		s.res.TVR[k] |= r.TVR[k]
	}
	for k := range s.res.TSI {
		s.res.TSI[k] |= r.TSI[k]
	}
	s.res.SignatureRequired = r.SignatureRequired
	if s.err != nil {
		return s.err
	}
	if err != nil {
		return s.fail("", err)
	}
	if r.Results.Outcome() == cvm.Successful {
		switch r.Results.Code() {
		case cvm.PlaintextPINByICC, cvm.PlaintextPINByICCAndSignature, cvm.EncipheredPINByICC, cvm.EncipheredPINByICCAndSignature:
			s.show(MsgPINOK) // Book 4 §11.2
		}
	}
	return nil
}

func (s *transactionState) listHasEncipheredPIN(list []byte) bool {
	return cvm.ListHasCode(list, cvm.EncipheredPINByICC, cvm.EncipheredPINByICCAndSignature)
}

// cardLink lets cvm send its commands through the kernel's card path, so
// they are bounded, recorded (VERIFY redacted) and stop at the first
// fatal error like every other command.
type cardLink struct{ s *transactionState }

func (c cardLink) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	return c.s.send(ctx, command, "cardholder verification")
}
