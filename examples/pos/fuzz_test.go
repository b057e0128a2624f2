package main

import (
	"bytes"
	"testing"

	"github.com/emvkit/emvkit/tlv"
)

// FuzzOnlineResponse: any field 55 of an acquirer's answer either is
// refused or gives the kernel exactly its 91 value and its 71/72
// templates, byte for byte (Book 3 §10.9, §10.10); never a panic.
func FuzzOnlineResponse(f *testing.F) {
	f.Add("00", []byte{0x91, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, '0', '0', 0x8A, 0x02, '0', '0', 0x72, 0x03, 0x86, 0x01, 0x00})
	f.Add("05", []byte{0x8A, 0x02, '0', '5'})
	f.Add("00", []byte{0x72, 0x81})
	f.Fuzz(func(t *testing.T, code string, field55 []byte) {
		r, err := onlineResponse(&authResponse{MTI: "0110", ResponseCode: code, ICCData: field55})
		if err != nil {
			if r != nil {
				t.Fatal("a response with an error")
			}
			return
		}
		if r.Approved != (code == "00") {
			t.Fatalf("approved %v for response code %q", r.Approved, code)
		}
		var scripts []byte
		var iad []byte
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
