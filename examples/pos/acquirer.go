package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// authRequest is the authorisation request the terminal sends the
// acquirer, with the fields of an ISO 8583 0100 message a chip
// transaction carries.
type authRequest struct {
	MTI            string    // "0100"
	PAN            string    // field 2 (in clear: the acquirer needs it; printed masked)
	ProcessingCode string    // field 3: transaction type 9C and account types "0000"
	Amount         uint64    // field 4, minor units
	STAN           uint32    // field 11, System Trace Audit Number
	Time           time.Time // fields 12 and 13
	PANSequence    string    // field 23
	TerminalID     string    // field 41
	MerchantID     string    // field 42
	Currency       uint16    // field 49
	OnlinePIN      bool      // field 52 present (the enciphered PIN block; never printed)
	ICCData        []byte    // field 55: the data objects of emv.Field55Tags
	EntryMode      string    // field 22: 051 chip, 021 stripe, 801 stripe after a chip failure, 012 keyed
	Track2         []byte    // field 35, a swiped card's track 2 (printed masked)
	MaskedPAN      string    // a keyed void or completion: the original's card, as the journal has it

	// Network is the fields of a network management or reconciliation
	// message (0800, 0820, 0500) as they print.
	Network string

	// The transaction a void, refund or completion refers to (field 61
	// and 37/38 of the original).
	OriginalSTAN     uint32
	OriginalRRN      string
	OriginalAuthCode string
}

// String is the request as the terminal's log shows it: PAN masked, the
// PIN block absent, field 55 as the list of its tags.
func (r *authRequest) String() string {
	if r.Network != "" {
		return fmt.Sprintf("%s 11=%06d 41=%s 42=%s %s", r.MTI, r.STAN, r.TerminalID, r.MerchantID, r.Network)
	}
	tags := tagList(r.ICCData)
	pin := ""
	if r.OnlinePIN {
		pin = " 52=[PIN block]"
	}
	pan := r.MaskedPAN
	if r.PAN != "" {
		pan = tlv.MaskPAN(r.PAN)
	}
	s := fmt.Sprintf("%s 2=%s 3=%s 4=%012d 11=%06d 22=%s", r.MTI, pan, r.ProcessingCode, r.Amount, r.STAN, r.EntryMode)
	if r.PANSequence != "" {
		s += " 23=" + r.PANSequence
	}
	if r.Track2 != nil {
		s += " 35=" + tlv.MaskTrack2(r.Track2)
	}
	if r.OriginalRRN != "" {
		s += " 37=" + r.OriginalRRN
	}
	if r.OriginalAuthCode != "" {
		s += " 38=" + r.OriginalAuthCode
	}
	s += fmt.Sprintf(" 41=%s 49=%03d%s", r.TerminalID, r.Currency, pin)
	if r.ICCData != nil {
		s += fmt.Sprintf(" 55=[%d bytes:%s]", len(r.ICCData), tags)
	}
	if r.OriginalSTAN != 0 {
		s += fmt.Sprintf(" 61=%06d", r.OriginalSTAN)
	}
	return s
}

// authResponse is the acquirer's answer (ISO 8583 0110).
type authResponse struct {
	MTI          string  // "0210"
	RRN          string  // field 37, Retrieval Reference Number
	AuthCode     string  // field 38, authorisation code: approvals only
	ResponseCode string  // field 39: "00" approved
	Balance      *uint64 // field 54: a balance inquiry's available balance
	ICCData      []byte  // field 55: 91 Issuer Authentication Data, 8A, issuer scripts 71/72
}

func (r *authResponse) String() string {
	s := fmt.Sprintf("%s 37=%s", r.MTI, r.RRN)
	if r.AuthCode != "" {
		s += " 38=" + r.AuthCode
	}
	s += " 39=" + r.ResponseCode
	if r.Balance != nil {
		s += fmt.Sprintf(" 54=%012d", *r.Balance)
	}
	if r.ICCData != nil {
		s += fmt.Sprintf(" 55=[%d bytes:%s]", len(r.ICCData), tagList(r.ICCData))
	}
	return s
}

// tagList names the top-level tags of a field 55, each after a space.
func tagList(icc []byte) []byte {
	var tags []byte
	it := tlv.NewIter(icc)
	for it.Next() {
		tags = fmt.Appendf(tags, " %s", it.Tag())
	}
	return tags
}

// acquirer is a simulated acquirer: it routes each request to the
// virtual issuer of the card (by PAN) and answers with the issuer's
// response code and field 55. A card it knows no issuer for cannot be
// authorised: the terminal is then unable to go online.
type acquirer struct {
	issuers map[string]*emvtest.Issuer // by PAN
}

var errNoIssuer = errors.New("acquirer: no route to the card's issuer")

func (a *acquirer) authorise(ctx context.Context, req *authRequest) (*authResponse, error) {
	if req.Network != "" {
		return &authResponse{MTI: responseMTI(req.MTI), RRN: rrn(req), ResponseCode: "00"}, nil
	}
	if req.ICCData == nil || req.MTI == "0220" || req.MTI == "0400" {
		// Nothing for the issuer to check: no chip data, an advice or a
		// reversal.
		return a.standIn(req), nil
	}
	iss := a.issuers[req.PAN]
	if iss == nil {
		iss = a.issuers[""] // the issuer of every card (-issuer-mk)
	}
	if iss == nil {
		return nil, errNoIssuer
	}
	r, err := iss.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: req.PAN, PSN: req.PANSequence})
	if err != nil {
		return nil, err
	}
	resp := &authResponse{MTI: responseMTI(req.MTI), RRN: rrn(req), ResponseCode: string(r.ARC[:]), ICCData: r.ICCData}
	if resp.ResponseCode == "00" {
		resp.AuthCode = authCode(req)
		if req.ProcessingCode[:2] == "31" {
			b := uint64(virtualBalance)
			resp.Balance = &b
		}
	}
	return resp, nil
}

// virtualBalance is the available balance the virtual issuers report to a
// balance inquiry: 8888.88.
const virtualBalance = 888888

// standIn answers what carries no chip data: a swipe of a card the
// acquirer has an issuer for is approved (14 invalid card number
// otherwise); a void or a completion is approved when it names an
// original this acquirer approved: the authorisation code must be the
// one it gave to the original's STAN (25 original not found otherwise).
func (a *acquirer) standIn(req *authRequest) *authResponse {
	resp := &authResponse{MTI: responseMTI(req.MTI), RRN: rrn(req), ResponseCode: "00"}
	switch {
	case req.OriginalSTAN != 0 && req.OriginalAuthCode != "" && req.OriginalAuthCode != authCode(&authRequest{STAN: req.OriginalSTAN}):
		// An original approved offline has no authorisation code: the
		// acquirer knows it from the terminal's batch upload.
		resp.ResponseCode = "25"
	case req.OriginalSTAN == 0 && a.issuers[req.PAN] == nil && a.issuers[""] == nil:
		resp.ResponseCode = "14"
	}
	if resp.ResponseCode == "00" && req.MTI != "0400" {
		resp.AuthCode = authCode(req)
		if req.ProcessingCode[:2] == "31" {
			b := uint64(virtualBalance)
			resp.Balance = &b
		}
	}
	return resp
}

// responseMTI is the answer's message type: the request's, plus 10.
func responseMTI(mti string) string { return mti[:2] + string(mti[2]+1) + mti[3:] }

// rrn is the acquirer's Retrieval Reference Number (field 37, an 12):
// the date as YYMMDD and the terminal's STAN.
func rrn(req *authRequest) string { return req.Time.Format("060102") + fmt.Sprintf("%06d", req.STAN) }

// authCode is the virtual acquirer's authorisation code (field 38, an 6),
// derived from the STAN so that a day replays the same.
func authCode(req *authRequest) string {
	return fmt.Sprintf("%06d", (uint64(req.STAN)*7919+104729)%1000000)
}

// request builds the 0100 message from what the kernel hands the host.
func (a *acquirer) request(cfg *emv.Config, req *emv.OnlineRequest, stan uint32) *authRequest {
	return &authRequest{
		MTI:            "0200",
		PAN:            tlv.Digits(req.PAN()),
		ProcessingCode: fmt.Sprintf("%02X0000", byte(req.Transaction.Type)),
		Amount:         req.Transaction.Amount,
		STAN:           stan,
		Time:           req.Transaction.Time,
		PANSequence:    tlv.Digits(req.PANSequence),
		TerminalID:     cfg.TerminalID,
		MerchantID:     cfg.MerchantID,
		Currency:       cfg.Currency,
		OnlinePIN:      req.OnlinePIN,
		ICCData:        req.ICCData,
	}
}
