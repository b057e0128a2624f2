package kerneltest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// H decodes hex (spaces allowed); it panics on bad hex, which is a test's
// own typing error.
func H(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Hex writes bytes as upper-case hex.
func Hex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// BCDAmount writes an amount as n12.
func BCDAmount(v uint64) []byte { return H(fmt.Sprintf("%012d", v)) }

// TerminalData is the Entry Point's terminal data of a tap (Book B
// §3.4.1.1): the reader's own (base, hex), then the transaction's (9F02,
// 9F03, 9C, 9A, 9F21 10:30:00), then the TTQ (9F66).
func TerminalData(base string, amount, other uint64, typ byte, date, ttq string) []byte {
	td := H(base)
	td = tlv.AppendTLV(td, 0x9F02, BCDAmount(amount))
	td = tlv.AppendTLV(td, 0x9F03, BCDAmount(other))
	td = tlv.AppendTLV(td, 0x9C, []byte{typ})
	td = tlv.AppendTLV(td, 0x9A, H(date))
	td = tlv.AppendTLV(td, 0x9F21, H("103000"))
	return tlv.AppendTLV(td, 0x9F66, H(ttq))
}

// Tag is the value of the first object with the tag in b, in hex, or
// "absent".
func Tag(t testing.TB, b []byte, tg tlv.Tag) string {
	t.Helper()
	v, ok := tlv.Find(b, tg)
	if !ok {
		return "absent"
	}
	return Hex(v)
}

// Headers lists the commands recorded as CLA INS P1 P2 in hex.
func Headers(rec *apdu.Recorder) []string {
	var out []string
	for _, e := range rec.Entries() {
		out = append(out, Hex(e.Command[:4]))
	}
	return out
}

// UIStrings writes UI requests as their String, an empty list for none.
func UIStrings(u []contactless.UIRequest) []string {
	out := []string{}
	for _, r := range u {
		out = append(out, r.String())
	}
	return out
}

// ReadSession reads a recorded session and its kernel header, of type
// Header, whose unknown keys are an error.
func ReadSession[Header any](t testing.TB, path string) (*apdu.Session, *Header) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	s, err := apdu.ReadSession(f)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(s.Kernel))
	dec.DisallowUnknownFields()
	var hd Header
	require.NoError(t, dec.Decode(&hd))
	return s, &hd
}

// GPOSeeds are the GET PROCESSING OPTIONS responses (data without the
// status word) of the sessions recorded in dir, whose headers are of type
// Header: the first exchange of each.
func GPOSeeds[Header any](f *testing.F, dir string) [][]byte {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(f, err)
	var out [][]byte
	for _, p := range files {
		s, _ := ReadSession[Header](f, p)
		if len(s.Exchanges) > 0 && len(s.Exchanges[0].Response) > 2 {
			out = append(out, s.Exchanges[0].Response[:len(s.Exchanges[0].Response)-2])
		}
	}
	return out
}

// U64 is a pointer to v, for the optional limits of a combination.
func U64(v uint64) *uint64 { return &v }

// Messages lists the messages of UI requests.
func Messages(u []contactless.UIRequest) []contactless.MessageID {
	var out []contactless.MessageID
	for _, r := range u {
		out = append(out, r.Message)
	}
	return out
}

// BuiltinCAKeys is a key store with the CA public keys of the virtual cards
// (emvtest.BuiltinCAPublicKeys).
func BuiltinCAKeys(t testing.TB) *oda.KeyStore {
	ks := oda.NewKeyStore()
	for _, k := range emvtest.BuiltinCAPublicKeys() {
		require.NoError(t, ks.Add(k.CAKey()))
	}
	return ks
}

// ExceptionFile is a terminal exception file holding one PAN (digits, no
// padding); the PAN it is asked about is compared without its F padding.
func ExceptionFile(pan string) func(pan, psn []byte) bool {
	return func(p, _ []byte) bool { return strings.TrimRight(Hex(p), "F") == pan }
}

// WriteSession writes a recorded session with its kernel header hd to
// dir/name.json.
func WriteSession(t testing.TB, dir, name string, s *apdu.Session, hd any) {
	require.NoError(t, os.MkdirAll(dir, 0o755))
	raw, err := json.Marshal(hd)
	require.NoError(t, err)
	s.Kernel = raw
	var b bytes.Buffer
	require.NoError(t, s.Write(&b))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), b.Bytes(), 0o644))
}
