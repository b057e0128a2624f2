package oda

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func loadTestKeys(t testing.TB) *KeyStore {
	t.Helper()
	f, err := os.Open("testdata/capk.json")
	require.NoError(t, err)
	defer f.Close()
	s, err := LoadKeyStore(f)
	require.NoError(t, err)
	return s
}

// Book 2 §11.2.2: every shipped key loads and its check value verifies.
func TestLoadKeyStoreShippedKeys(t *testing.T) {
	s := loadTestKeys(t)
	assert.Len(t, s.Keys(), 25)
	k, ok := s.Key(h("A0000000031010"), 0x94) // a whole AID finds its RID
	require.True(t, ok)
	assert.Equal(t, "A000000003/94 (1984 bits)", k.String())
	assert.Equal(t, HashSHA1, k.HashAlgorithm)
	assert.Equal(t, KeyRSA, k.KeyAlgorithm)
	sum := k.ComputeCheckSum()
	assert.Equal(t, h("C4A3C43CCF87327D136B804160E47D43B60E6E0F"), sum[:])
	k, ok = s.Key(h("A000000003"), 0x01)
	require.True(t, ok)
	assert.Equal(t, time.Date(2009, 12, 31, 0, 0, 0, 0, time.UTC), k.Expiry)
	_, ok = s.Key(h("A000000003"), 0x42)
	assert.False(t, ok)
	_, ok = s.Key(h("A0000000"), 0x94)
	assert.False(t, ok, "a short RID finds nothing")
}

// Book 2 §11.2.2: a key whose check value does not match is refused. The
// binaryfoo table lists Mastercard FB/FC/FD with exponent 02 while their
// check values match exponent 03; emv-utils corrupts Visa 92's check value.
func TestLoadKeyStoreRefusesBadCheckValue(t *testing.T) {
	raw, err := os.ReadFile("testdata/capk_bad.json")
	require.NoError(t, err)
	for _, tc := range []struct {
		index string
		rid   string
	}{{"FB", "A000000004"}, {"FC", "A000000004"}, {"FD", "A000000004"}, {"92", "A000000003"}} {
		t.Run(tc.rid+"/"+tc.index, func(t *testing.T) {
			// Load a file holding only this key.
			one := filterKeyFile(t, raw, tc.index)
			_, err := LoadKeyStore(bytes.NewReader(one))
			var ke *KeyError
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, [5]byte(h(tc.rid)), ke.RID)
			assert.Equal(t, h(tc.index)[0], ke.Index)
			assert.ErrorIs(t, err, ErrCheckValue)
			assert.Contains(t, err.Error(), "oda: CA public key "+tc.rid+"/"+tc.index+": check value mismatch: computed ")
		})
	}
	// The FB key as the check value says it should be (exponent 03) loads.
	one := filterKeyFile(t, raw, "FB")
	fixed := bytes.Replace(one, []byte(`"exponent":"02"`), []byte(`"exponent":"03"`), 1)
	require.NotEqual(t, one, fixed)
	s, err := LoadKeyStore(bytes.NewReader(fixed))
	require.NoError(t, err)
	_, ok := s.Key(h("A000000004"), 0xFB)
	assert.True(t, ok)
}

func filterKeyFile(t *testing.T, raw []byte, index string) []byte {
	t.Helper()
	var f struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, jsonUnmarshal(raw, &f))
	for _, k := range f.Keys {
		if k["index"] == index {
			b, err := jsonMarshal(map[string]any{"keys": []any{k}})
			require.NoError(t, err)
			return b
		}
	}
	t.Fatalf("no key %s", index)
	return nil
}

func testCAKey(t testing.TB) CAKey {
	s := loadTestKeys(t)
	k, ok := s.Key(h("A000000003"), 0x99)
	require.True(t, ok)
	c := *k
	c.rsa = rsaKey{}
	return c
}

func TestCAKeyValidate(t *testing.T) {
	good := testCAKey(t)
	require.NoError(t, good.Validate())
	resum := func(k *CAKey) { s := k.ComputeCheckSum(); k.CheckSum = s[:] }
	for _, tc := range []struct {
		name   string
		mutate func(k *CAKey)
		want   error
	}{
		{"no check value", func(k *CAKey) { k.CheckSum = nil }, ErrCheckValue},
		{"check value of another key", func(k *CAKey) { k.Index = 0x95 }, ErrCheckValue},
		{"modulus too long", func(k *CAKey) { k.Modulus = bytes.Repeat([]byte{0xFF}, 249); resum(k) }, ErrLength},
		{"modulus too short", func(k *CAKey) { k.Modulus = k.Modulus[:63]; resum(k) }, ErrLength},
		{"leading zero", func(k *CAKey) { k.Modulus = append([]byte{0}, k.Modulus[1:]...); resum(k) }, ErrFormat},
		{"even modulus", func(k *CAKey) { k.Modulus = append(bytes.Clone(k.Modulus[:len(k.Modulus)-1]), 2); resum(k) }, ErrFormat},
		{"exponent 02", func(k *CAKey) { k.Exponent = []byte{2}; resum(k) }, ErrFormat},
		{"exponent 010000", func(k *CAKey) { k.Exponent = []byte{1, 0, 0}; resum(k) }, ErrFormat},
		{"exponent 000003", func(k *CAKey) { k.Exponent = []byte{0, 0, 3}; resum(k) }, ErrFormat},
		{"exponent 00010001", func(k *CAKey) { k.Exponent = []byte{0, 1, 0, 1}; resum(k) }, ErrFormat},
		{"hash algorithm 02", func(k *CAKey) { k.HashAlgorithm = 2 }, ErrUnsupportedAlgorithm},
		{"key algorithm 02", func(k *CAKey) { k.KeyAlgorithm = 2 }, ErrUnsupportedAlgorithm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			k.Modulus = bytes.Clone(good.Modulus)
			tc.mutate(&k)
			err := k.Validate()
			var ke *KeyError
			require.ErrorAs(t, err, &ke)
			assert.ErrorIs(t, err, tc.want)
			s := NewKeyStore()
			assert.Error(t, s.Add(k))
			assert.Empty(t, s.Keys())
		})
	}
	k := good
	k.Exponent = []byte{1, 0, 1}
	resum(&k)
	assert.NoError(t, k.Validate(), "exponent 65537")
}

func TestMethodString(t *testing.T) {
	assert.Equal(t, []string{"SDA", "DDA", "CDA", "fDDA", "PIN", "Method(0)", "Method(9)"},
		[]string{SDA.String(), DDA.String(), CDA.String(), FDDA.String(), PIN.String(), Method(0).String(), Method(9).String()})
}

func TestKeyStoreAddDuplicateAndCopy(t *testing.T) {
	k := testCAKey(t)
	s := NewKeyStore()
	require.NoError(t, s.Add(k))
	err := s.Add(k)
	assert.ErrorIs(t, err, ErrDuplicateKey)
	// The store keeps its own copy: changing the caller's bytes changes nothing.
	k.Modulus[0] ^= 0xFF
	got, ok := s.Key(k.RID[:], k.Index)
	require.True(t, ok)
	assert.NotEqual(t, k.Modulus[0], got.Modulus[0])
	assert.NoError(t, got.Validate())
}

func TestLoadKeyStoreJSONErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", `{"keys":[],"extra":1}`, "unknown field"},
		{"not json", `{`, "oda: CA key file"},
		{"bad rid", `{"keys":[{"rid":"A0","index":"01","modulus":"","exponent":"03","checksum":""}]}`, "rid"},
		{"bad index", `{"keys":[{"rid":"A000000003","index":"0101","modulus":"","exponent":"03","checksum":""}]}`, "index"},
		{"bad modulus hex", `{"keys":[{"rid":"A000000003","index":"01","modulus":"XY","exponent":"03","checksum":""}]}`, "modulus"},
		{"bad expiry", `{"keys":[{"rid":"A000000003","index":"01","modulus":"","exponent":"03","checksum":"","expiry":"12/2020"}]}`, "expiry"},
		{"bad hash algorithm", `{"keys":[{"rid":"A000000003","index":"01","modulus":"","exponent":"03","checksum":"","hash_algorithm":"0102"}]}`, "hash_algorithm"},
		{"bad revocation", `{"keys":[],"revocations":[{"rid":"A000000003","index":"01","serial":"01"}]}`, "revocation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadKeyStore(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "oda: "), err.Error())
		})
	}
}

// A CA key file's errors name the JSON path of the value at fault, so a
// configuration that embeds the file can say which key it is about.
func TestLoadKeyStoreErrorPaths(t *testing.T) {
	for _, tc := range []struct{ name, in, path, msg string }{
		{"rid", `{"keys":[{"rid":"A0","index":"01","modulus":"","exponent":"03","checksum":""}]}`, "keys[0].rid", `oda: CA key file: keys[0].rid: "A0" is 1 bytes, want 5`},
		{"modulus", `{"keys":[{"rid":"A000000003","index":"01","modulus":"XY","exponent":"03","checksum":""}]}`, "keys[0].modulus", "oda: CA key file: keys[0].modulus: encoding/hex: invalid byte: U+0058 'X'"},
		{"key_algorithm", `{"keys":[{"rid":"A000000003","index":"01","modulus":"","exponent":"03","checksum":"","key_algorithm":"G1"}]}`, "keys[0].key_algorithm", "oda: CA key file: keys[0].key_algorithm: encoding/hex: invalid byte: U+0047 'G'"},
		{"expiry", `{"keys":[{"rid":"A000000003","index":"01","modulus":"","exponent":"03","checksum":"","expiry":"2030-13-01"}]}`, "keys[0].expiry", `oda: CA key file: keys[0].expiry: parsing time "2030-13-01": month out of range`},
		{"revocation serial", `{"keys":[],"revocations":[{"rid":"A000000003","index":"01","serial":"01"}]}`, "revocations[0].serial", `oda: CA key file: revocations[0].serial: "01" is 1 bytes, want 3`},
		{"revocation rid", `{"keys":[],"revocations":[{"rid":"A0000000","index":"01","serial":"000001"}]}`, "revocations[0].rid", `oda: CA key file: revocations[0].rid: "A0000000" is 4 bytes, want 5`},
		{"type", `{"keys":[{"rid":5}]}`, "keys.rid", "oda: CA key file: keys.rid: a JSON number cannot be string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadKeyStore(strings.NewReader(tc.in))
			var fe *KeyFileError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.path, fe.Path)
			assert.EqualError(t, err, tc.msg)
		})
	}
	_, err := LoadKeyStore(strings.NewReader(`{"keys":[{"rid":"A000000003","index":"01","modulus":"","exponent":"03","checksum":""}]}`))
	var ke *KeyError
	assert.ErrorAs(t, err, &ke, "a key the store refuses is its *KeyError, named by RID and index")
}

// Book 2 §5.3 step 10: the revocation list holds RID, index and serial.
func TestKeyStoreRevocations(t *testing.T) {
	s, err := LoadKeyStore(strings.NewReader(`{"keys":[],"revocations":[{"rid":"A000000003","index":"94","serial":"03DA0A"}]}`))
	require.NoError(t, err)
	assert.True(t, s.Revoked([5]byte(h("A000000003")), 0x94, [3]byte(h("03DA0A"))))
	assert.False(t, s.Revoked([5]byte(h("A000000003")), 0x95, [3]byte(h("03DA0A"))))
	assert.False(t, s.Revoked([5]byte(h("A000000004")), 0x94, [3]byte(h("03DA0A"))))
	assert.False(t, s.Revoked([5]byte(h("A000000003")), 0x94, [3]byte(h("03DA0B"))))
	var none *KeyStore
	assert.False(t, none.Revoked([5]byte{}, 0, [3]byte{}))
	_, ok := none.Key(h("A000000003"), 1)
	assert.False(t, ok)
	assert.False(t, errors.Is(nil, ErrRevoked))
}

// Revocations lists what LoadKeyStore and Revoke put on the list
// (Book 2 §5.3 step 10), each once, ordered by RID, index and serial.
func TestKeyStoreRevocationsList(t *testing.T) {
	s, err := LoadKeyStore(strings.NewReader(`{"keys":[],"revocations":[
		{"rid":"A000000004","index":"05","serial":"000001"},
		{"rid":"A000000003","index":"94","serial":"03DA0A"},
		{"rid":"A000000003","index":"92","serial":"000002"}]}`))
	require.NoError(t, err)
	s.Revoke([5]byte(h("A000000003")), 0x92, [3]byte(h("000001")))
	s.Revoke([5]byte(h("A000000003")), 0x94, [3]byte(h("03DA0A"))) // already listed
	assert.Equal(t, []Revocation{
		{RID: [5]byte(h("A000000003")), Index: 0x92, Serial: [3]byte(h("000001"))},
		{RID: [5]byte(h("A000000003")), Index: 0x92, Serial: [3]byte(h("000002"))},
		{RID: [5]byte(h("A000000003")), Index: 0x94, Serial: [3]byte(h("03DA0A"))},
		{RID: [5]byte(h("A000000004")), Index: 0x05, Serial: [3]byte(h("000001"))},
	}, s.Revocations())
	for _, r := range s.Revocations() {
		assert.True(t, s.Revoked(r.RID, r.Index, r.Serial), "%X/%02X/%X", r.RID, r.Index, r.Serial)
	}
	assert.Empty(t, NewKeyStore().Revocations())
	var none *KeyStore
	assert.Nil(t, none.Revocations())
}
