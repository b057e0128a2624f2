package tlv_test

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/emvkit/emvkit/tlv"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Reading a GET PROCESSING OPTIONS response (format 2) without allocating:
// the values are sub-slices of the response.
func Example_iter() {
	resp := mustHex("7716820259809410080101001001010118010200200102009000")
	tag, body, err := tlv.Single(resp[:len(resp)-2]) // without SW1 SW2
	if err != nil || tag != 0x77 {
		fmt.Println("not a format 2 response:", err)
		return
	}
	it := tlv.NewIter(body)
	for it.Next() {
		fmt.Printf("%s % X\n", it.Tag(), it.Value())
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 82 59 80
	// 94 08 01 01 00 10 01 01 01 18 01 02 00 20 01 02 00
}

// Decoding a SELECT answer into a tree (one allocation, no pointers in it)
// and reading it: a search through every level, then one template's
// children in order.
func ExampleParse() {
	fci := mustHex("6F1C8407A0000000041010A511500F505043204D43442030342020763230")
	t, err := tlv.Parse(fci)
	if err != nil {
		fmt.Println(err)
		return
	}
	if label, ok := t.Find(0x50); ok {
		fmt.Printf("label %q at offset %d\n", label.Value(), label.Offset())
	}
	for o := range t.All() {
		for c := range o.Children().All() {
			fmt.Printf("%s in %s: %d bytes\n", c.Tag(), o.Tag(), len(c.Value()))
		}
	}
	// Output:
	// label "PPC MCD 04  v20" at offset 13
	// 84 in 6F: 7 bytes
	// A5 in 6F: 17 bytes
}

// A malformed response gives a *ParseError saying what and where.
func Example_parseError() {
	_, err := tlv.Parse(mustHex("5A88FFFFFFFFFFFFFFFF"))
	fmt.Println(err)
	// Output:
	// tlv: tag 5A at offset 0: length field longer than 3 bytes
}

// Building the CDOL1 data of a GENERATE AC (Book 3 §5.4): the amount is
// padded on the left (format n), the unpredictable number cut on the right
// (format b), the data the terminal lacks filled with zeros.
func ExampleDOL_Build() {
	cdol1, err := tlv.ParseDOL(mustHex("9F02069F1A0295059F3703"))
	if err != nil {
		fmt.Println(err)
		return
	}
	have := map[tlv.Tag][]byte{
		0x9F02: mustHex("1000"),     // 10.00
		0x9F37: mustHex("DEADBEEF"), // 4 bytes, 3 asked for
		0x9F1A: mustHex("0056"),
	}
	data := cdol1.Build(make([]byte, 0, 64), func(t tlv.Tag) ([]byte, bool) {
		v, ok := have[t]
		return v, ok
	})
	fmt.Printf("%d bytes: % X\n", cdol1.Len(), data)
	// Output:
	// 16 bytes: 00 00 00 00 10 00 00 56 00 00 00 00 00 DE AD BE
}

// Cutting the CDOL1 data sent to the card back into data elements.
func ExampleDOL_Split() {
	cdol1, _ := tlv.ParseDOL(mustHex("9F02069F1A029F3704"))
	l, err := cdol1.Split(mustHex("000000001000005612345678"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range l {
		e, _ := tlv.Lookup(o.Tag)
		fmt.Printf("%s %s: % X\n", o.Tag, e.Name, o.Value)
	}
	// Output:
	// 9F02 Amount, Authorised (Numeric): 00 00 00 00 10 00
	// 9F1A Terminal Country Code: 00 56
	// 9F37 Unpredictable Number: 12 34 56 78
}

// Printing a READ RECORD response for a person: the PAN is masked.
func ExampleDescribe() {
	record := mustHex("70145A0854133300896000445F24031412315F340101")
	if err := tlv.Describe(os.Stdout, record); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 70 READ RECORD Response Message Template [20]
	//   5A Application Primary Account Number (PAN) [8]: 541333******0044
	//   5F24 Application Expiration Date [3]: 141231 (2014-12-31)
	//   5F34 Application PAN Sequence Number [1]: 01
}

func ExampleLookup() {
	e, ok := tlv.Lookup(0x9F02)
	fmt.Println(ok, e.Name, e.Format, e.MinLen, e.Source)
	// Output:
	// true Amount, Authorised (Numeric) n 6 Terminal
}
