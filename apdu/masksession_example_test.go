package apdu_test

import (
	"fmt"

	"github.com/emvkit/emvkit/apdu"
)

// A session recorded from a real card, masked for sharing: the PAN and
// track 2 get one stand-in wherever they occur, first six and last four
// digits kept.
func ExampleSession_Masked() {
	record := []byte{0x70, 0x0A, 0x5A, 0x08, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19, 0x90, 0x00}
	s := &apdu.Session{Source: "a reader", Proves: "a read", Exchanges: []apdu.SessionExchange{
		{Command: []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}, Response: record},
	}}
	fmt.Printf("%X\n", s.Masked().Exchanges[0].Response)
	// Output:
	// 700A5A0847617300000001199000
}
