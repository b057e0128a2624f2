package emv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// Book 3 §10.9, §10.10: the acquirer's answer carries the ARC (8A), the
// Issuer Authentication Data (91) and the issuer scripts (71, 72) in
// field 55 and the decision in field 39.
func TestParseHostResponse(t *testing.T) {
	script71 := mustHex("710A9F180400000001860100")
	script72 := mustHex("720A9F180400000002860100")
	iad := mustHex("11223344556677883030")
	field55 := append(append(tlv.AppendTLV(tlv.AppendTLV(nil, 0x91, iad), 0x8A, []byte("00")), script71...), script72...)
	for _, tc := range []struct {
		name    string
		code    string
		field55 []byte
		want    *emv.OnlineResponse
		err     string
	}{
		{"approved with ARPC and scripts", "00", append(field55, mustHex("DF010101")...),
			&emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: iad, Scripts: append(append([]byte(nil), script71...), script72...)}, ""},
		{"declined, ARC from field 39", "05", nil, &emv.OnlineResponse{ARC: "05"}, ""},
		{"incorrect PIN", "55", tlv.AppendTLV(nil, 0x8A, []byte("55")), &emv.OnlineResponse{ARC: "55"}, ""},
		{"8A differs from field 39: the card gets 8A", "00", tlv.AppendTLV(nil, 0x8A, []byte("Y1")), &emv.OnlineResponse{Approved: true, ARC: "Y1"}, ""},
		{"no field 39: the decision of 8A", "", tlv.AppendTLV(nil, 0x8A, []byte("08")), &emv.OnlineResponse{Approved: true, ARC: "08"}, ""},
		{"partial approval", "10", nil, &emv.OnlineResponse{Approved: true, ARC: "10"}, ""},
		{"no decision at all", "", nil, nil, "emv: host response: no response code (field 39) and no 8A"},
		{"bad field 39", "0", nil, nil, `emv: host response: response code (field 39) "0" is not two alphanumeric characters`},
		{"8A of 3 bytes", "00", tlv.AppendTLV(nil, 0x8A, []byte("000")), nil, "emv: host response: 8A Authorisation Response Code of 3 bytes is not an 2"},
		{"91 of 7 bytes", "00", tlv.AppendTLV(nil, 0x91, make([]byte, 7)), nil, "emv: host response: 91 Issuer Authentication Data of 7 bytes, not 8 to 16"},
		{"91 twice", "00", tlv.AppendTLV(tlv.AppendTLV(nil, 0x91, iad), 0x91, iad), nil, "emv: host response: 91 twice in field 55"},
		{"8A twice", "00", tlv.AppendTLV(tlv.AppendTLV(nil, 0x8A, []byte("00")), 0x8A, []byte("05")), nil, "emv: host response: 8A twice in field 55"},
		{"too long", "00", make([]byte, 1000), nil, "emv: host response: field 55 of 1000 bytes, at most 999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := emv.ParseHostResponse(tc.code, tc.field55)
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				assert.ErrorIs(t, err, emv.ErrHostResponse)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := emv.ParseHostResponse("00", mustHex("9108112233"))
	var pe *tlv.ParseError
	assert.True(t, errors.As(err, &pe), "a field 55 that does not parse: %v", err)
}

// FuzzParseHostResponse: no field 55 panics; an answer read has an ARC of
// two alphanumeric characters, 91 of 8 to 16 bytes or none, and scripts
// that are whole 71/72 templates.
func FuzzParseHostResponse(f *testing.F) {
	f.Add("00", mustHex("910A112233445566778830308A023030710A9F180400000001860100"))
	f.Add("", mustHex("8A023035"))
	f.Add("05", []byte{})
	f.Add("00", []byte{0x72, 0x81})
	f.Fuzz(func(t *testing.T, code string, field55 []byte) {
		r, err := emv.ParseHostResponse(code, field55)
		if err != nil {
			if r != nil || !errors.Is(err, emv.ErrHostResponse) {
				t.Fatalf("error %v with response %v", err, r)
			}
			return
		}
		if len(r.ARC) != 2 || (len(r.IssuerAuthData) != 0 && (len(r.IssuerAuthData) < 8 || len(r.IssuerAuthData) > 16)) {
			t.Fatalf("bad response %+v", r)
		}
		// The kernel gets exactly the 91 value and the 71/72 templates of
		// the input, byte for byte (Book 3 §10.9, §10.10).
		var scripts, iad []byte
		it := tlv.NewIter(field55)
		for it.Next() {
			switch it.Tag() {
			case 0x71, 0x72:
				scripts = append(scripts, it.Raw()...)
			case 0x91:
				iad = it.Value()
			}
		}
		if !bytes.Equal(scripts, r.Scripts) || !bytes.Equal(iad, r.IssuerAuthData) {
			t.Fatalf("field 55 %X: scripts %X, 91 %X", field55, r.Scripts, r.IssuerAuthData)
		}
	})
}

// An acquirer's ISO 8583 answer: field 39 and field 55 to the kernel's
// online response.
func ExampleParseHostResponse() {
	field55 := mustHex("910A1122334455667788303072" + "0A9F180400000001860100" + "8A023030")
	r, err := emv.ParseHostResponse("00", field55)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("approved %t, ARC %s, 91 %X, scripts %X\n", r.Approved, r.ARC, r.IssuerAuthData, r.Scripts)
	// Output:
	// approved true, ARC 00, 91 11223344556677883030, scripts 720A9F180400000001860100
}

// A Result marshals as a terminal developer reads it: TVR, TSI, CVM
// Results, AC and the AID in hex, the PAN masked; and it prints its AID
// and CVM Results in hex.
func ExampleResult_MarshalJSON() {
	card := emvtest.NewCard(emvtest.VisaCDA())
	floor := uint64(5000)
	cfg := &emv.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2,
		Applications: []emv.Application{{AID: []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}}},
		AppParams:    emv.AppParams{FloorLimit: &floor},
		CAKeys:       card.KeyStore(),
		Time:         func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Type: emv.Purchase, Amount: 1999}, &emv.Terminal{PINPad: typedPIN("1234")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.AID, res.CVMResults)
	b, _ := json.Marshal(res)
	var j map[string]any
	_ = json.Unmarshal(b, &j)
	for _, k := range []string{"outcome", "aid", "pan", "amount", "tvr", "tsi", "cvm_results", "cid", "apdu_count"} {
		fmt.Printf("%s: %v\n", k, j[k])
	}
	fmt.Println("ac in hex:", len(j["ac"].(string)) == 16)
	// Output:
	// A0000000031010 440302 (Enciphered PIN verification performed by ICC; If terminal supports the CVM; successful)
	// outcome: approved
	// aid: A0000000031010
	// pan: 476173******0119
	// amount: 1999
	// tvr: 0000000000
	// tsi: E800
	// cvm_results: 440302
	// cid: 40
	// apdu_count: 15
	// ac in hex: true
}
