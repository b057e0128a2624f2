package termkit

import (
	"context"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// IssuerHost is the virtual issuer of package emv/emvtest as an
// [emv.Host]: it sends the request's field 55, PAN, PAN sequence number
// and online PIN block to the issuer, which checks the ARQC and the PIN
// and answers with an ARC, an ARPC and any issuer scripts (Book 3
// §10.9), read back by [emv.ParseHostResponse] as an acquirer's answer
// would be.
type IssuerHost struct{ Issuer *emvtest.Issuer }

var _ emv.Host = IssuerHost{}

// Authorise sends the request to the issuer.
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
	return emv.ParseHostResponse(string(r.ARC[:]), r.ICCData)
}

// FixedHost answers every authorisation with an ARC and no ARPC: "00"
// when Approve is set, else "05" (ISO 8583 do not honour).
type FixedHost struct{ Approve bool }

// Authorise answers.
func (h FixedHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	if h.Approve {
		return &emv.OnlineResponse{Approved: true, ARC: "00"}, nil
	}
	return &emv.OnlineResponse{ARC: "05"}, nil
}

// ResponseHost answers every authorisation with one answer, such as a
// real host's pasted from its log: field 55 of the answer, read by
// [emv.ParseHostResponse] (8A decides; 91, 71 and 72 go to the card).
type ResponseHost struct{ Response *emv.OnlineResponse }

// NewResponseHost reads a host's field 55 (and field 39, "" when the
// answer has only 8A).
func NewResponseHost(responseCode string, field55 []byte) (ResponseHost, error) {
	r, err := emv.ParseHostResponse(responseCode, field55)
	if err != nil {
		return ResponseHost{}, err
	}
	return ResponseHost{Response: r}, nil
}

// Authorise answers a copy of the response.
func (h ResponseHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r := *h.Response
	r.IssuerAuthData = append([]byte(nil), r.IssuerAuthData...)
	r.Scripts = append([]byte(nil), r.Scripts...)
	return &r, nil
}
