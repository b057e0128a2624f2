package oda_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/emvkit/emvkit/oda"
)

// Load the terminal's CA public keys; every check value is verified.
func ExampleLoadKeyStore() {
	f, err := os.Open("testdata/capk.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	keys, err := oda.LoadKeyStore(f)
	if err != nil {
		panic(err)
	}
	k, ok := keys.Key([]byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, 0xF1)
	fmt.Println(ok, k)

	// Keys whose check value does not match are refused: this file lists
	// Mastercard test keys FB, FC and FD with exponent 02 where their
	// check values were computed with 03.
	bad, err := os.Open("testdata/capk_bad.json")
	if err != nil {
		panic(err)
	}
	defer bad.Close()
	_, err = oda.LoadKeyStore(bad)
	fmt.Println(strings.Split(err.Error(), ": computed")[0])
	fmt.Println(errors.Is(err, oda.ErrCheckValue))
	// Output:
	// true A000000004/F1 (1408 bits)
	// oda: CA public key A000000004/FB: check value mismatch
	// true
}

// The kernel maps a failure to TVR byte 1 by its method, adding "ICC data
// missing" when a data object was absent.
func ExampleError() {
	v := &oda.Verifier{Keys: oda.NewKeyStore()}
	_, err := v.SDA(&oda.CardData{AID: []byte{0xA0, 0, 0, 0, 3}, CAKeyIndex: []byte{0x94}}, nil)
	fmt.Println(err)
	var e *oda.Error
	if errors.As(err, &e) {
		fmt.Println(e.Method, e.Check, errors.Is(err, oda.ErrMissingData))
	}
	// Output:
	// oda: SDA: issuer certificate: data missing
	// SDA issuer certificate true
}
