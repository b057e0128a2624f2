package oda

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// odaVectors is the part of testdata/oda_vectors.json the tests read. The
// file is a copy of the project's transcription of public vectors; every
// vector names its source (repository, path, commit).
type odaVectors struct {
	Vectors []odaVector `json:"vectors"`
	RawRSA  struct {
		Cases []struct {
			Modulus  string `json:"modulus"`
			Exponent string `json:"exponent"`
			Input    string `json:"input"`
			Output   string `json:"expected_output"`
			Source   string `json:"source"`
		} `json:"cases"`
	} `json:"raw_rsa_public_operation"`
}

type odaVector struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	CA     struct {
		RID   string `json:"rid"`
		Index string `json:"index"`
	} `json:"ca_public_key"`
	ICC        map[string]*string `json:"icc_data"`
	StaticData string             `json:"static_data_to_be_authenticated"`
	DDOLData   string             `json:"ddol_related_data"`
	Issuer     *expectedKey       `json:"expected_issuer_pk"`
	ICCKey     *expectedKey       `json:"expected_icc_pk"`
	SSAD       *struct {
		Recovered string `json:"recovered_ssad"`
		DAC       string `json:"data_authentication_code_9F45"`
	} `json:"expected_ssad"`
	SDAD *struct {
		Recovered string `json:"recovered_sdad"`
		IDN       string `json:"icc_dynamic_number"`
		CID       string `json:"cryptogram_information_data"`
		AC        string `json:"application_cryptogram"`
		TDHC      string `json:"transaction_data_hash_code"`
	} `json:"expected_sdad"`
	CDA *struct {
		UN        string `json:"unpredictable_number_9F37"`
		PDOLData  string `json:"pdol_related_data"`
		CDOL1Data string `json:"cdol1_related_data"`
		TLVs      string `json:"genac_response_tlvs_excluding_9F4B_in_order"`
		TDHC      string `json:"expected_transaction_data_hash_code"`
	} `json:"cda"`
	UN    string `json:"unpredictable_number_9F37"`
	Dates []struct {
		Date         string `json:"transaction_date_9A"`
		IssuerExpiry string `json:"issuer_cert_expiry_mmyy"`
		ICCExpiry    string `json:"icc_cert_expiry_mmyy"`
		Expected     string `json:"expected"`
	} `json:"date_checks_asserted_by_source"`
	Negative []struct {
		What  string `json:"what"`
		Input string `json:"input"`
	} `json:"negative_cases_asserted_by_source"`
	Records map[string][]string `json:"records"`
	AIP     string              `json:"aip_82"`
	AFL     string              `json:"afl_94"`
}

type expectedKey struct {
	Recovered  string `json:"recovered_certificate_data"`
	Identifier string `json:"issuer_identifier"`
	PAN        string `json:"application_pan"`
	Expiry     string `json:"certificate_expiration_mmyy"`
	Serial     string `json:"certificate_serial_number"`
	IssuerMod  string `json:"issuer_pk_modulus"`
	ICCMod     string `json:"icc_pk_modulus"`
}

func loadODAVectors(t testing.TB) map[string]*odaVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/oda_vectors.json")
	require.NoError(t, err)
	var f odaVectors
	require.NoError(t, json.Unmarshal(raw, &f))
	m := make(map[string]*odaVector)
	for i := range f.Vectors {
		m[f.Vectors[i].ID] = &f.Vectors[i]
	}
	return m
}

func (v *odaVector) tag(t string) []byte {
	s, ok := v.ICC[t]
	if !ok || s == nil {
		return nil
	}
	return h(*s)
}

// cardData builds the CardData of a vector. pan overrides 5A when not nil.
func (v *odaVector) cardData() *CardData {
	pan := v.tag("5A")
	if pan == nil {
		pan = v.tag("5A_used_by_test")
	}
	idx := v.tag("8F")
	if idx == nil {
		idx = h(v.CA.Index)
	}
	return &CardData{
		AID: h(v.CA.RID), CAKeyIndex: idx, PAN: pan,
		IssuerCertificate: v.tag("90"), IssuerRemainder: v.tag("92"), IssuerExponent: v.tag("9F32"),
		SSAD:           v.tag("93"),
		ICCCertificate: v.tag("9F46"), ICCRemainder: v.tag("9F48"), ICCExponent: v.tag("9F47"),
	}
}

func date(s string) time.Time {
	t, err := time.Parse("060102", s)
	if err != nil {
		panic(err)
	}
	return t
}

func checkIssuer(t *testing.T, want *expectedKey, got *IssuerKey) {
	t.Helper()
	assert.Equal(t, h(want.Recovered), got.Recovered)
	assert.Equal(t, h(want.Identifier), got.IssuerIdentifier[:])
	assert.Equal(t, h(want.Expiry), got.Expiry[:])
	assert.Equal(t, h(want.Serial), got.SerialNumber[:])
	assert.Equal(t, h(want.IssuerMod), got.Modulus)
}

// Book 2 §5.3/§6.3 on public vectors: every issuer certificate recovers to
// the bytes the source (and our independent check) gives.
func TestIssuerKeyVectors(t *testing.T) {
	vs := loadODAVectors(t)
	keys := loadTestKeys(t)
	for _, tc := range []struct {
		id   string
		date string
	}{
		{"emvtools-sda-visa01", "090601"}, // CA key Visa 01 expired 2009-12-31
		{"emvtools-dda-mc05", "150101"},
		{"emvtools-cda-mc05", "150101"},
		{"emvutils-visa94-issuer-ssad-icc-dda", "220506"},
		{"emvutils-mcF1-cda-sdad", "250506"},
		{"emvtools-maestro-card-dump-issuer-icc", "160101"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			v := vs[tc.id]
			require.NotNil(t, v, tc.id)
			ver := &Verifier{Keys: keys, Date: date(tc.date)}
			k, err := ver.IssuerPublicKey(DDA, v.cardData())
			require.NoError(t, err)
			checkIssuer(t, v.Issuer, k)
			assert.Equal(t, v.tag("9F32"), k.Exponent)
			assert.NotContains(t, k.String(), "PAN")
		})
	}
}
