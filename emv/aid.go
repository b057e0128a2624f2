package emv

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// AID is an Application Identifier: the DF Name 84 of a selected
// application, or 4F of a directory entry (5 to 16 bytes, Book 1
// §12.2.1). It prints in upper-case hex, as a terminal developer reads
// it, under every verb but %x (lower case), and marshals as hex.
type AID []byte

// String returns the AID in upper-case hex: "A0000000031010".
func (a AID) String() string { return strings.ToUpper(hex.EncodeToString(a)) }

// Format writes the AID in hex: lower case for %x, upper case otherwise.
func (a AID) Format(f fmt.State, verb rune) {
	s := a.String()
	if verb == 'x' {
		s = strings.ToLower(s)
	}
	_, _ = f.Write([]byte(s))
}

// MarshalText returns the AID in upper-case hex.
func (a AID) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an AID in hex.
func (a *AID) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("emv: AID %q is not hex", b)
	}
	*a = v
	return nil
}
