package app

import (
	"context"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// IssuerHost sends authorisation requests to a virtual issuer, which
// checks the ARQC in the field-55 data and answers with an ARC, an ARPC
// and any issuer scripts (Book 3 §10.9).
type IssuerHost struct{ Issuer *emvtest.Issuer }

// Authorise forwards the request with its PAN and PAN Sequence Number.
func (h IssuerHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	ar := &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: tlv.Digits(req.PAN()), PSN: tlv.Digits(req.PANSequence)}
	if !req.OnlinePINBlock.IsZero() {
		ar.PINBlock, ar.PINFormat = req.OnlinePINBlock.Bytes(), req.OnlinePINBlock.BlockFormat()
		defer clear(ar.PINBlock)
	}
	r, err := h.Issuer.Authorise(ctx, ar)
	if err != nil {
		return nil, err
	}
	return &emv.OnlineResponse{Approved: r.Approved, ARC: string(r.ARC[:]), IssuerAuthData: r.IssuerAuthenticationData, Scripts: r.Scripts}, nil
}

// FixedHost answers every authorisation with an ARC and no ARPC: "00"
// when Approve is set, else "05".
type FixedHost struct{ Approve bool }

// Authorise answers.
func (h FixedHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	if h.Approve {
		return &emv.OnlineResponse{Approved: true, ARC: "00"}, nil
	}
	return &emv.OnlineResponse{ARC: "05"}, nil
}
