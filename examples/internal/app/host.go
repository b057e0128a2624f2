package app

import (
	"context"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// IssuerHost sends authorisation requests to a virtual issuer, which
// checks the ARQC in the field-55 data and answers with an ARC, an ARPC
// and any issuer scripts (Book 3 §10.9).
type IssuerHost struct{ Issuer *emvtest.Issuer }

// Authorise forwards the request with its PAN and PAN Sequence Number.
func (h IssuerHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r, err := h.Issuer.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: Digits(req.PAN), PSN: Digits(req.PANSequence)})
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

// Digits returns the leading decimal digits of compressed numeric data
// (5A, 5F34): the digits before the first F pad.
func Digits(b []byte) string {
	s := make([]byte, 0, 2*len(b))
	for _, x := range b {
		for _, d := range [2]byte{x >> 4, x & 0x0F} {
			if d > 9 {
				return string(s)
			}
			s = append(s, '0'+d)
		}
	}
	return string(s)
}
