package emvtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/cards from the built-in profiles")

// cardsDir is the repository's card profile directory.
const cardsDir = "../../testdata/cards"

// Every built-in profile is in testdata/cards as JSON, equal to the Go
// value; every JSON file there loads, makes a card and is documented in
// the README.
func TestProfileFiles(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(cardsDir, "README.md"))
	require.NoError(t, err)
	for _, name := range BuiltinProfiles() {
		p := BuiltinProfile(name)
		require.Equal(t, name, p.Name)
		want, err := p.JSON()
		require.NoError(t, err)
		want = append(want, '\n')
		path := filepath.Join(cardsDir, name+".json")
		if *update {
			require.NoError(t, os.WriteFile(path, want, 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test -run TestProfileFiles -update")
		assert.Equal(t, string(want), string(got), name)
	}
	files, err := filepath.Glob(filepath.Join(cardsDir, "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 11)
	for _, f := range files {
		if filepath.Base(f) == "ca-keys.json" {
			continue
		}
		p, err := LoadProfile(f)
		require.NoError(t, err, f)
		c, err := newCard(p)
		require.NoError(t, err, f)
		assert.NotEmpty(t, c.CAPublicKeys())
		assert.Contains(t, string(readme), "`"+filepath.Base(f)+"`", "README documents %s", f)
	}
}

func TestParseProfileStrict(t *testing.T) {
	good, err := VisaCDA().JSON()
	require.NoError(t, err)
	_, err = ParseProfile(good)
	require.NoError(t, err)

	cases := map[string]string{
		"unknown key":   strings.Replace(string(good), `"name"`, `"nmae"`, 1),
		"trailing data": string(good) + "{}",
		"bad hex":       strings.Replace(string(good), `"aip": "3D00"`, `"aip": "3G00"`, 1),
		"short AIP":     strings.Replace(string(good), `"aip": "3D00"`, `"aip": "3D"`, 1),
		"bad PAN":       strings.Replace(string(good), `"pan": "4761739001010119"`, `"pan": "47617390A1010119"`, 1),
		"bad date":      strings.Replace(string(good), `"expiry_date": "301231"`, `"expiry_date": "301331"`, 1),
		"bad decision":  strings.Replace(string(good), `"aip": "3D00"`, `"aip": "3D00", "risk": {"decision": "maybe"}`, 1),
		"bad CDOL":      strings.Replace(string(good), `"cdol1": "9F0206`, `"cdol1": "9F0286`, 1),
	}
	for name, js := range cases {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, string(good), js, "case must change the profile")
			_, err := ParseProfile([]byte(js))
			assert.ErrorIs(t, err, ErrProfile)
		})
	}
	cl, err := VisaQVSDCOffline().JSON()
	require.NoError(t, err)
	_, err = ParseProfile(cl)
	require.NoError(t, err)
	for name, js := range map[string]string{
		"qvsdc: CTQ of 3 bytes":      strings.Replace(string(cl), `"ctq": "0000"`, `"ctq": "000000"`, 1),
		"qvsdc: unknown CVM":         strings.Replace(string(cl), `"cvm": "signature"`, `"cvm": "fingerprint"`, 1),
		"qvsdc: unknown fDDA":        strings.Replace(string(cl), `"ctq": "0000"`, `"ctq": "0000", "fdda_version": "02"`, 1),
		"contactless: type C":        strings.Replace(string(cl), `"contactless": {}`, `"contactless": {"type": "C"}`, 1),
		"kernel identifier too long": strings.Replace(string(cl), `"kernel_identifier": "03"`, `"kernel_identifier": "030000000000000000"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, string(cl), js, "case must change the profile")
			_, err := ParseProfile([]byte(js))
			assert.ErrorIs(t, err, ErrProfile)
		})
	}
}

// Each built-in card answers a complete offline-capable flow: directory
// (if any), SELECT, GPO, every AFL record, GENERATE AC.
func TestBuiltinProfilesTransact(t *testing.T) {
	for _, name := range BuiltinProfiles() {
		t.Run(name, func(t *testing.T) {
			p := BuiltinProfile(name)
			p.Protocol, p.T0Procedures = "T=1", false
			c := NewCard(p)
			for _, a := range c.Profile().Applications {
				if a.Blocked {
					r := send(t, c, apdu.Select(a.AID, false))
					assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, r.SW)
					continue
				}
				pdol := make([]byte, mustDOL(a.PDOL).Len())
				if a.QVSDC != nil {
					// qVSDC: TTQ 2600 0000 first in the PDOL data; GPO
					// answers the cryptogram (Book C-3).
					copy(pdol, []byte{0x26, 0x00, 0x00, 0x00})
				}
				r := startTransaction(t, c, a.AID, pdol)
				require.Equal(t, apdu.SWOK, r.SW)
				var afl []byte
				if a.QVSDC != nil {
					require.Len(t, find(t, r.Data, 0x9F26), 8)
					readAFL(t, c, find(t, r.Data, 0x94))
					continue
				}
				if a.GPOFormat == 2 {
					afl = find(t, r.Data, 0x94)
				} else {
					afl = r.Data[4:]
				}
				recs := readAFL(t, c, afl)
				all := bytes.Join(recs, nil)
				assert.Contains(t, string(all), string(a.CDOL1))
				r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
				require.Equal(t, apdu.SWOK, r.SW)
			}
		})
	}
}

// testdata/cards/ca-keys.json holds the built-in cards' CA keys in the
// format package oda loads, so a terminal configuration can trust them.
func TestCAKeyFile(t *testing.T) {
	keys := BuiltinCAPublicKeys()
	require.Len(t, keys, 3) // Visa, Mastercard, UnionPay (contactless-multi)
	type keyJSON struct {
		RID      string `json:"rid"`
		Index    string `json:"index"`
		Modulus  string `json:"modulus"`
		Exponent string `json:"exponent"`
		CheckSum string `json:"checksum"`
		Kind     string `json:"kind"`
		Note     string `json:"note"`
	}
	file := struct {
		Description string    `json:"description"`
		Keys        []keyJSON `json:"keys"`
		Revocations []string  `json:"revocations"`
	}{Description: "Test CA public keys of the emvtest virtual cards (key seed \"emvkit\"). For tests only: they sign nothing real.", Revocations: []string{}}
	for _, k := range keys {
		file.Keys = append(file.Keys, keyJSON{
			RID: sprintf("%X", k.RID), Index: sprintf("%02X", k.Index), Modulus: sprintf("%X", k.Modulus),
			Exponent: sprintf("%X", k.Exponent), CheckSum: sprintf("%X", k.Checksum), Kind: "test",
			Note: "emvtest.BuiltinCAPublicKeys",
		})
	}
	want, err := json.MarshalIndent(file, "", "  ")
	require.NoError(t, err)
	want = append(want, '\n')
	path := filepath.Join(cardsDir, "ca-keys.json")
	if *update {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	store, err := oda.LoadKeyStore(bytes.NewReader(got))
	require.NoError(t, err)
	for _, name := range BuiltinProfiles() {
		for _, k := range NewCard(BuiltinProfile(name)).CAPublicKeys() {
			stored, ok := store.Key(k.RID[:], k.Index)
			require.True(t, ok, "%s: %X/%02X", name, k.RID, k.Index)
			assert.Equal(t, k.Modulus, stored.Modulus)
		}
	}
}

// A malformed profile's error names the field and never shows its value:
// for the issuer master keys the value is the key. Each key field is
// given a value that is not hex, an odd number of hex digits, a key of
// the wrong length, a JSON number (which encoding/json would print) and
// a JSON object; the error names the field and holds no run of the
// value's characters.
func TestParseProfileErrorsNameTheFieldNotTheValue(t *testing.T) {
	good, err := VisaCDA().JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(good, &doc))

	const secret = "0123456789ABCDEFFEDCBA98765432"
	values := []struct {
		name, json, reason string
	}{
		{"not hex", `"` + secret + `GG"`, ": not hex"},
		{"odd length", `"` + secret + `1"`, ": not hex"},
		{"wrong length", `"` + secret + `"`, " must be 16 bytes (a double-length DES key)"},
		{"number", "1234567890123456789", ": a JSON number, want a hex string"},
		{"object", `{"k": "` + secret + `"}`, ": a JSON object, want a hex string"},
	}
	for _, field := range []string{"ac", "smi", "smc"} {
		for _, v := range values {
			t.Run(field+"/"+v.name, func(t *testing.T) {
				js := strings.Replace(string(good), `"name":`, `"master_keys": {"`+field+`": `+v.json+`}, "name":`, 1)
				_, err := ParseProfile([]byte(js))
				require.ErrorIs(t, err, ErrProfile)
				assert.Equal(t, "emvtest: invalid profile: master_keys."+field+v.reason, err.Error())
				for _, leak := range []string{secret[:8], strings.ToLower(secret[:8]), secret[18:], "12345678"} {
					assert.NotContains(t, err.Error(), leak)
				}
			})
		}
	}

	// Every hex field of the profile, at every level, reports a value
	// that is not hex by its path alone.
	for _, tc := range []struct{ path, old, new string }{
		{"atr", `"name":`, `"atr": "3B` + secret + `ZZ", "name":`},
		{"track2", `"name":`, `"track2": "` + secret + `ZZ", "name":`},
		{"applications.aid", `"aid": "A0000000031010"`, `"aid": "` + secret + `ZZ"`},
		{"applications.aip", `"aip": "3D00"`, `"aip": "` + secret + `ZZ"`},
		{"applications.cdol1", `"cdol1": "`, `"cdol1": "` + secret + `ZZ`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			js := strings.Replace(string(good), tc.old, tc.new, 1)
			require.NotEqual(t, string(good), js)
			_, err := ParseProfile([]byte(js))
			require.ErrorIs(t, err, ErrProfile)
			assert.Equal(t, "emvtest: invalid profile: "+tc.path+": not hex", err.Error())
		})
	}

	// A number too large for its field: encoding/json would print it.
	js := strings.Replace(string(good), `"name":`, `"keys": {"ca_bits": 12345678901234567890123}, "name":`, 1)
	_, err = ParseProfile([]byte(js))
	require.ErrorIs(t, err, ErrProfile)
	assert.Equal(t, "emvtest: invalid profile: keys.ca_bits: a JSON number cannot be int", err.Error())

	// The PAN sequence number is card data: named, not shown.
	_, err = ParseProfile([]byte(strings.Replace(string(good), `"psn": "01"`, `"psn": "9X7"`, 1)))
	assert.EqualError(t, err, "emvtest: invalid profile: psn must be two digits")
}
