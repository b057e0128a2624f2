package emv

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Issuer Action Codes missing from the card take these values
// (Book 3 §10.7): denial all zeros, online and default all ones.
var (
	iacDenialAbsent  = tvr.TVR{}
	iacOnlineAbsent  = tvr.TVR{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	iacDefaultAbsent = tvr.TVR{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
)

// actionCodes returns the TAC and IAC for one check: the terminal's (zero
// when unset) and the card's (the absent default when the card has none
// or it is not five bytes).
func (s *transactionState) actionCodes(tac *tvr.TVR, iacTag tlv.Tag, absent tvr.TVR) (t, i tvr.TVR) {
	if tac != nil {
		t = *tac
	}
	i = absent
	if v, ok := s.cardData.get(iacTag); ok && len(v) == 5 {
		i = tvr.TVR(v)
	}
	return t, i
}

// matches reports whether a TVR bit set is also set in the TAC or the IAC.
func matches(v, tac, iac tvr.TVR) bool {
	for k := range v {
		if v[k]&(tac[k]|iac[k]) != 0 {
			return true
		}
	}
	return false
}

func (s *transactionState) denialCheck() bool {
	t, i := s.actionCodes(s.params.TACDenial, 0x9F0E, iacDenialAbsent)
	return matches(s.res.TVR, t, i)
}

func (s *transactionState) onlineCheck() bool {
	t, i := s.actionCodes(s.params.TACOnline, 0x9F0F, iacOnlineAbsent)
	return matches(s.res.TVR, t, i)
}

func (s *transactionState) defaultCheck() bool {
	t, i := s.actionCodes(s.params.TACDefault, 0x9F0D, iacDefaultAbsent)
	return matches(s.res.TVR, t, i)
}

// analyseTerminalActions decides which cryptogram to ask for (Book 3 §10.7)
// and sends the first GENERATE AC: AAC if the denial codes match a TVR
// bit; for an online-only terminal ARQC; for a terminal that can go both
// ways ARQC if the online codes match, else TC; for an offline-only
// terminal AAC if the default codes match, else TC. CDA is requested with
// a TC or an ARQC when CDA was selected and has not failed (Book 2
// §6.6).
func (s *transactionState) analyseTerminalActions() error {
	s.step = StepTerminalActionAnalysis
	var want byte
	switch {
	case s.denialCheck():
		want = apdu.RefAAC
	case s.cfg.onlineOnly():
		// An online-only terminal asks for an ARQC whenever it does not
		// decline (Book 3 §10.7).
		want = apdu.RefARQC
	case s.cfg.OnlineCapable():
		want = apdu.RefTC
		if s.onlineCheck() {
			want = apdu.RefARQC
		}
	default:
		want = apdu.RefTC
		if s.defaultCheck() {
			want = apdu.RefAAC
		}
	}
	cdol1, err := s.cardDOL(0x8C)
	if err != nil {
		return err
	}
	cdol1Data, err := s.dolData(cdol1)
	if err != nil {
		return err
	}
	p1 := want
	if s.oda.method == CDA && !s.oda.failed && want != apdu.RefAAC {
		p1 |= apdu.RefCDA
	}
	if s.oda.method == XDA && want != apdu.RefAAC {
		// An XDA signature is asked for even when the key chain has
		// failed: the command must not reveal when the keys were
		// recovered (Book 4 §6.3.2.2.2), and the card signs a TC or an
		// ARQC only (Book 2 §12.5.1).
		p1 |= refXDA
	}
	// Book 3 Annex C6: card risk management is performed by the card on
	// the first GENERATE AC.
	s.setTSI(tvr.CardRiskManagementPerformed)
	r, err := s.generateAC(p1, cdol1Data)
	if err != nil {
		return err
	}
	s.first = r
	return nil
}

// cardDOL parses a DOL the card holds (CDOL1 8C, CDOL2 8D, TDOL 97).
func (s *transactionState) cardDOL(t tlv.Tag) (tlv.DOL, error) {
	d, err := s.parseDOL(s.cardData.val(t))
	if err != nil {
		return nil, s.failData(t.String(), err)
	}
	return d, nil
}

// dolData builds a CDOL's data, computing the TC Hash Value 98 first when
// the CDOL asks for it (Book 3 §5.4, §9.2.2).
func (s *transactionState) dolData(dol tlv.DOL) ([]byte, error) {
	if dolHas(dol, 0x98) {
		tdol, ok := s.cardData.get(0x97)
		if !ok {
			tdol = s.params.DefaultTDOL
			if tdol != nil {
				s.setTVR(tvr.DefaultTDOLUsed)
			}
		}
		td, err := tlv.ParseDOL(tdol)
		if err != nil {
			return nil, s.failData("TDOL 97", err)
		}
		h := sha1.Sum(td.Build(s.room(), s.get)) // hashed, not kept
		s.termData.set(0x98, s.bytesOf(h[:]...))
	}
	data := s.keep(dol.Build(s.room(), s.get))
	if len(data) > 255 {
		return nil, s.failData(fmt.Sprintf("CDOL data of %d bytes does not fit a command", len(data)), nil)
	}
	return data, nil
}

// acResponse is a GENERATE AC response (Book 3 §6.5.5.4).
type acResponse struct {
	cid        byte
	atc, ac    []byte
	iad, sdad  []byte
	format2    bool
	raw        []byte // the response data, for the CDA transaction data hash
	p1         byte
	commandDOL []byte
}

// newACResponse returns room for a GENERATE AC response: the state's own
// for the two a transaction sends, a new one after them.
func (s *transactionState) newACResponse() *acResponse {
	if s.acUsed < len(s.acs) {
		s.acUsed++
		return &s.acs[s.acUsed-1]
	}
	return new(acResponse)
}

// cryptogramType returns the CID's cryptogram bits: AAC, TC or ARQC.
func (r *acResponse) cryptogramType() byte { return r.cid & 0xC0 }

// generateAC sends GENERATE AC and parses its answer: format 1 (80) or
// format 2 (77 with 9F27, 9F36 and 9F26, or 9F4B in place of 9F26 for
// CDA). A malformed answer terminates the transaction.
func (s *transactionState) generateAC(p1 byte, data []byte) (*acResponse, error) {
	c := apdu.GenerateAC(p1, data)
	body, err := s.transmitOK(c)
	if err != nil {
		return nil, err
	}
	tag, v, err := tlv.Single(body)
	if err != nil {
		return nil, s.failData("GENERATE AC response", err)
	}
	r := s.newACResponse()
	*r = acResponse{raw: body, p1: p1, commandDOL: data}
	switch tag {
	case 0x80:
		if len(v) < 11 || len(v) > 43 {
			return nil, s.failData(fmt.Sprintf("format 1 GENERATE AC response of %d bytes", len(v)), nil)
		}
		r.cid, r.atc, r.ac = v[0], v[1:3], v[3:11]
		if len(v) > 11 {
			r.iad = v[11:]
		}
	case 0x77:
		r.format2 = true
		var cid []byte
		it := tlv.NewIter(v)
		for it.Next() {
			switch it.Tag() {
			case 0x9F27:
				cid = it.Value()
			case 0x9F36:
				r.atc = it.Value()
			case 0x9F26:
				r.ac = it.Value()
			case 0x9F10:
				r.iad = it.Value()
			case 0x9F4B:
				r.sdad = it.Value()
			}
		}
		if err := it.Err(); err != nil {
			return nil, s.failData("GENERATE AC response", err)
		}
		// Without a CDA signature request the cryptogram itself must be
		// there; with one it may come inside the signature (Book 3
		// §6.5.5.4).
		needAC := r.sdad == nil || p1&apdu.RefCDA == 0
		if len(cid) != 1 || len(r.atc) != 2 || (needAC && len(r.ac) != 8) || (r.ac != nil && len(r.ac) != 8) {
			return nil, s.fail("GENERATE AC response lacks 9F27, 9F36 or 9F26", ErrMissingData)
		}
		// The IAD goes to the host in field 55: Book 3 Annex A gives it
		// at most 32 bytes, as format 1 does (see forwardedTags).
		if err := checkLength(0x9F10, r.iad); r.iad != nil && err != nil {
			return nil, s.failData("GENERATE AC response", err)
		}
		r.cid = cid[0]
	default:
		return nil, s.failData(fmt.Sprintf("GENERATE AC answered template %s", tag), nil)
	}
	if r.cryptogramType() == 0xC0 {
		return nil, s.failData(fmt.Sprintf("CID %02X names no cryptogram", r.cid), nil)
	}
	// Book 3 §9.3: the card may answer with the cryptogram asked for or
	// one lower (TC > ARQC > AAC), never a higher one.
	if rank(r.cryptogramType()) > rank(p1&0xC0) {
		return nil, s.failData(fmt.Sprintf("card answered %s to a request for %s", cryptogramName(r.cryptogramType()), cryptogramName(p1&0xC0)), nil)
	}
	s.keepAC(r)
	return r, nil
}

func rank(t byte) int {
	switch t {
	case cidTC:
		return 2
	case cidARQC:
		return 1
	}
	return 0
}

func cryptogramName(t byte) string {
	switch t {
	case cidTC:
		return "TC"
	case cidARQC:
		return "ARQC"
	case cidAAC:
		return "AAC"
	}
	return fmt.Sprintf("%02X", t)
}

// keepAC records the cryptogram and its companions for the result and
// for the CDOL2 and field 55.
func (s *transactionState) keepAC(r *acResponse) {
	s.res.CID = r.cid
	s.res.ATC = r.atc
	s.res.AC = r.ac
	s.res.IAD = r.iad
	s.cardData.set(0x9F27, s.bytesOf(r.cid))
	s.cardData.set(0x9F36, r.atc)
	if r.ac != nil {
		s.cardData.set(0x9F26, r.ac)
	}
	if r.iad != nil {
		s.cardData.set(0x9F10, r.iad)
	}
	if r.cid&0x08 != 0 {
		s.res.Advice = true
	}
}

// analyseCardActions reads the card's decision at the first GENERATE AC
// (Book 3 §10.8): CDA first if it was asked for, then AAC declines, TC
// approves, ARQC goes online.
func (s *transactionState) analyseCardActions() error {
	s.step = StepCardActionAnalysis
	r := s.first
	if s.oda.method == XDA {
		if done, err := s.checkXDAFirst(r); done || err != nil {
			return err
		}
	}
	if r.p1&apdu.RefCDA != 0 && r.cryptogramType() != cidAAC {
		if err := s.verifyCDA(r); err != nil {
			// Book 2 §6.6.2: CDA failed: a TC is not accepted, an ARQC is
			// followed by a second GENERATE AC asking for an AAC. Either
			// way the terminal declines offline, and its ARC for that is
			// Z1 (Book 4 Annex A6), which the CDOL2 carries in 8A.
			s.odaFailed(err)
			if r.cryptogramType() == cidARQC {
				s.decision = apdu.RefAAC
				s.skipOnline = true
				s.setARC("Z1")
				return nil
			}
			s.res.Outcome = Declined
			s.setARC("Z1")
			return errStop
		}
	}
	if r.cid&0x07 == 0x01 {
		// Reason code "service not allowed" (Book 3 §6.5.5.4).
		s.show(MsgNotAccepted)
	}
	switch r.cryptogramType() {
	case cidAAC:
		s.res.Outcome = Declined
		s.setARC("Z1")
		return errStop
	case cidTC:
		s.res.Outcome = Approved
		s.setARC("Y1")
		return errStop
	}
	return nil // ARQC: online processing
}

func (s *transactionState) setARC(a string) {
	s.arc = [2]byte{a[0], a[1]}
	s.res.ARC = a
}

// processOnline sends the authorisation request to the host and processes
// the answer (Book 3 §10.9): the ARC, issuer authentication by EXTERNAL
// AUTHENTICATE when the AIP says the card supports it, and the scripts.
// Unable to go online, the default action analysis decides (§10.7).
func (s *transactionState) processOnline() error {
	s.step = StepOnlineProcessing
	if s.skipOnline {
		return nil
	}
	// The request holds copies: the host may keep it and change what it
	// got without changing the transaction (iccData builds a new slice).
	// One allocation holds the request, its card numbers and (for the
	// usual lengths) the copies.
	var c [4][]byte
	box := &requestBox{}
	cloneAllInto(box.buf[:], c[:], s.cardData.val(0x5A), s.cardData.val(0x57), s.res.AID, s.cardData.val(0x5F34))
	req := box.request(s.txn, c[0], c[1])
	req.AID, req.PANSequence = c[2], c[3]
	req.ICCData = s.iccData()
	req.OnlinePIN = !s.cvm.OnlinePIN.IsZero()
	req.OnlinePINBlock = s.cvm.OnlinePIN
	req.OnlineBiometric = s.cvm.OnlineBiometric
	resp, err := s.term.authorise(s.ctx, req)
	if errors.Is(err, ErrHostAbandoned) {
		return s.fail("host gave no answer before the context ended", err)
	}
	if cerr := s.ctx.Err(); cerr != nil {
		return s.fail("context ended while online", cerr)
	}
	if errors.Is(err, ErrCancelled) {
		return s.fail("terminal cancelled while online", err)
	}
	if err != nil || resp == nil {
		s.unableToGoOnline()
		return nil
	}
	if why := invalidHostAnswer(resp); why != "" {
		// An answer without a usable ARC or with Issuer Authentication
		// Data of a length Book 3 Annex A does not allow is not an
		// authorisation response the terminal can act on: nothing of it
		// (decision, ARC, 91, scripts) reaches the card. The books give
		// one way on for a transaction whose online authorisation did
		// not complete: unable to go online (Book 3 §10.9, Book 4 §6.3.8),
		// the default action analysis of Book 3 §10.7 and the second
		// GENERATE AC with the terminal's own ARC, Y3 or Z3 (Book 4
		// Annex A6). The host's decision is not taken: approving on an
		// answer that cannot be read would be worse than deciding as if
		// it never came.
		s.log.LogAttrs(s.ctx, slog.LevelWarn, "emv: invalid host answer, handled as unable to go online", slog.String("reason", why))
		s.unableToGoOnline()
		return nil
	}
	s.setARC(resp.ARC)
	s.decision = apdu.RefAAC
	if resp.Approved {
		s.decision = apdu.RefTC
	}
	// The answer's byte strings are copied before the next command: a
	// host may reuse its buffers once it has answered.
	// Scripts longer than the terminal takes are not copied whole: none
	// of them is performed (Book 3 §10.10, processIssuerScripts), so only
	// their skeleton is kept for the results, and a host's megabytes are
	// not held.
	var kept [2][]byte // the scripts and the Issuer Authentication Data, one allocation
	if len(resp.Scripts) > maxScriptBytes {
		s.scriptsTooLong = true
		s.scripts = scriptSkeleton(resp.Scripts)
		kept[1] = bytes.Clone(resp.IssuerAuthData)
	} else {
		cloneAll(kept[:], resp.Scripts, resp.IssuerAuthData)
		s.scripts = kept[0]
	}
	if ia := kept[1]; len(ia) > 0 {
		s.termData.set(0x91, ia)
		if s.aip[0]&0x04 != 0 {
			// Book 3 §10.9: issuer authentication by EXTERNAL
			// AUTHENTICATE, once.
			r, err := s.transmit(apdu.ExternalAuthenticate(ia))
			if err != nil {
				return err
			}
			s.setTSI(tvr.IssuerAuthenticationPerformed)
			if r.SW != apdu.SWOK {
				s.setTVR(tvr.IssuerAuthenticationFailed)
			}
		}
	}
	return nil
}

// unableToGoOnline decides the second GENERATE AC of a transaction that
// could not be authorised online: Book 3 §10.7 default action analysis,
// AAC with ARC Z3 when the default codes match, else TC with Y3
// (Book 4 Annex A6).
func (s *transactionState) unableToGoOnline() {
	s.unableOnline = true
	// After an XDA failure the transaction is declined (Book 4
	// §6.3.2.2.4).
	if s.defaultCheck() || s.oda.method == XDA && s.oda.failed {
		s.decision = apdu.RefAAC
		s.setARC("Z3")
	} else {
		s.decision = apdu.RefTC
		s.setARC("Y3")
	}
}

// invalidHostAnswer says what makes the issuer's answer unusable, or ""
// when nothing does: the Authorisation Response Code 8A is exactly two
// alphanumeric characters (Book 3 Annex A: an 2; §4.3: an is a-z, A-Z,
// 0-9), and Issuer Authentication Data 91, when present, is 8 to 16 bytes
// (Book 3 Annex A: b 8-16).
func invalidHostAnswer(r *OnlineResponse) string {
	if !isAlphanumeric(r.ARC, 2) {
		return fmt.Sprintf("Authorisation Response Code of %d bytes %q is not an 2", len(r.ARC), r.ARC)
	}
	if n := len(r.IssuerAuthData); n > 0 && (n < 8 || n > 16) {
		return fmt.Sprintf("Issuer Authentication Data of %d bytes, not 8 to 16", n)
	}
	return ""
}

// isAlphanumeric reports whether s is n characters of format an.
func isAlphanumeric(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// complete finishes an online or unable-to-go-online transaction with the
// second GENERATE AC (Book 3 §10.11): TC to accept, AAC to decline; CDA
// asked for with a TC when CDA was selected and has not failed.
func (s *transactionState) complete() error {
	s.step = StepCompletion
	if s.oda.xdaTCOnline {
		// Book 4 §6.3.2.2.4: the card's TC went online after an XDA
		// failure; no second GENERATE AC, the response code decides.
		switch {
		case s.unableOnline:
			s.res.Outcome = DeclinedUnableOnline
		case s.decision == apdu.RefTC:
			s.res.Outcome = OnlineApproved
		default:
			s.res.Outcome = OnlineDeclined
		}
		return nil
	}
	cdol2, err := s.cardDOL(0x8D)
	if err != nil {
		return err
	}
	data, err := s.dolData(cdol2)
	if err != nil {
		return err
	}
	p1 := s.decision
	cda := s.oda.method == CDA && !s.oda.failed && p1 == apdu.RefTC
	if cda {
		p1 |= apdu.RefCDA
	}
	// XDA is asked for with a TC whether or not it failed on the first
	// GENERATE AC, and verified only if it did not (Book 4 §6.3.2.2.4).
	xda := s.oda.method == XDA && p1 == apdu.RefTC
	if xda {
		p1 |= refXDA
	}
	r, err := s.generateAC(p1, data)
	if err != nil {
		return err
	}
	if r.cryptogramType() == cidARQC {
		return s.failData("second GENERATE AC answered ARQC", nil)
	}
	approved := r.cryptogramType() == cidTC
	if cda && approved {
		if err := s.verifyCDA(r); err != nil {
			s.odaFailed(err)
			approved = false
		}
	}
	if xda && approved && !s.oda.failed {
		approved = s.verifyXDASecond(r)
	}
	switch {
	case s.skipOnline:
		s.res.Outcome = Declined
	case s.unableOnline && approved:
		s.res.Outcome = ApprovedUnableOnline
	case s.unableOnline:
		s.res.Outcome = DeclinedUnableOnline
	case approved:
		s.res.Outcome = OnlineApproved
	default:
		s.res.Outcome = OnlineDeclined
	}
	return nil
}

// dolHas reports whether dol asks for tag t.
func dolHas(dol tlv.DOL, t tlv.Tag) bool {
	for _, e := range dol {
		if e.Tag == t {
			return true
		}
	}
	return false
}
