package emvtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// Hex is a byte string written in JSON as a hexadecimal string, such as
// "9F0206". Spaces are allowed between bytes when reading.
type Hex []byte

// MarshalJSON writes the bytes as an upper-case hexadecimal string.
func (h Hex) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.ToUpper(hex.EncodeToString(h)))
}

// UnmarshalJSON reads a hexadecimal string. Its errors never hold the
// value, which for a key field is the key: they are
// *json.UnmarshalTypeError, which encoding/json completes with the field's
// path and [ParseProfile] reports by that path alone.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Hex]()}
	}
	v, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string that is not hex", Type: reflect.TypeFor[Hex]()}
	}
	*h = v
	return nil
}

// jsonKind names the kind of a JSON value by its first byte, for an
// error that must not show the value.
func jsonKind(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "empty value"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// Directory choices for [Profile.Directory].
const (
	DirectoryPSE  = "pse"  // Payment System Environment 1PAY.SYS.DDF01 with directory records (Book 1 §12.2.2)
	DirectoryPPSE = "ppse" // Proximity PSE 2PAY.SYS.DDF01 with the entries in its FCI (Book B §3.3)
	DirectoryNone = "none" // neither: the terminal must select by AID list (Book 1 §12.3.3)
)

// Decisions for [CardRisk.Decision]: what the card's own risk management
// answers to GENERATE AC. The card never answers a cryptogram of a higher
// kind than the terminal asked for (Book 3 §6.5.5.4: AAC < ARQC < TC).
const (
	DecideRisk    = ""        // card risk management: offline limits, PIN failures, last online transaction
	DecideOffline = "offline" // approve offline (TC) whenever asked for a TC
	DecideOnline  = "online"  // always go online: ARQC when asked for a TC
	DecideDecline = "decline" // always decline: AAC
)

// Profile describes one card: its answer to reset, its directory and its
// applications with all their data, and the keys that personalise it. The
// zero value of each optional field has a documented default, applied by
// [NewCard]. Profiles load from JSON with [LoadProfile] / [ParseProfile]
// (unknown keys are an error); the JSON keys are the snake_case names given
// in the struct tags.
type Profile struct {
	// Name identifies the profile ("visa-cda").
	Name string `json:"name"`
	// Description says what the card is for, in a sentence.
	Description string `json:"description,omitempty"`
	// ATR is the answer to reset. Default: a T=1 ATR (3B 8x ...) or, when
	// Protocol is "T=0", 3B 02 14 50 (Book 1 §8.3 basic ATR examples).
	ATR Hex `json:"atr,omitempty"`
	// Protocol is "T=1" (default) or "T=0". With "T=0" and T0Procedures set,
	// the card answers case 4 commands with 61xx and wants GET RESPONSE, and
	// a case 2 command with the wrong Le with 6Cxx (Book 1 §9.3.1).
	Protocol     string `json:"protocol,omitempty"`
	T0Procedures bool   `json:"t0_procedures,omitempty"`
	// Directory is DirectoryPSE (default), DirectoryPPSE or DirectoryNone.
	Directory string `json:"directory,omitempty"`
	// DirectorySFI is the SFI of the PSE directory records (default 1).
	DirectorySFI int `json:"directory_sfi,omitempty"`
	// Blocked makes the whole card blocked: every SELECT answers 6A81
	// (Book 1 §12.3.2).
	Blocked bool `json:"blocked,omitempty"`
	// PAN (5A) in decimal digits, 12 to 19 of them.
	PAN string `json:"pan"`
	// PSN is the PAN Sequence Number (5F34) as two digits; "" leaves 5F34
	// out (and master key derivation then uses "00", Book 2 A1.4.1).
	PSN string `json:"psn,omitempty"`
	// CardholderName (5F20). Default "EMVKIT/TEST CARD".
	CardholderName string `json:"cardholder_name,omitempty"`
	// Track2 is the Track 2 Equivalent Data (57). Default: PAN, "D", the
	// first application's expiry YYMM, ServiceCode, "0000000000000", padded F.
	Track2 Hex `json:"track2,omitempty"`
	// ServiceCode for the default Track2 (default "201": chip card).
	ServiceCode string `json:"service_code,omitempty"`
	// Keys chooses the RSA key chain (see [KeyChain]).
	Keys Keys `json:"keys,omitzero"`
	// MasterKeys are the issuer master keys the card's keys derive from.
	MasterKeys MasterKeys `json:"master_keys,omitzero"`
	// Applications on the card, in directory order. At least one.
	Applications []Application `json:"applications"`
	// Contactless makes the card one that is tapped on a contactless
	// reader instead of inserted (see [Contactless]); nil: a contact card.
	Contactless *Contactless `json:"contactless,omitempty"`
}

// Keys chooses the card's RSA key chain: a test CA, an issuer and the ICC
// keys, all generated deterministically from Seed (see [KeyChainFor]).
type Keys struct {
	// Seed names the key chain; cards with the same seed share their CA and
	// issuer keys. Default "emvkit".
	Seed string `json:"seed,omitempty"`
	// CAIndex is the CA Public Key Index (8F). Default 0xE1.
	CAIndex int `json:"ca_index,omitempty"`
	// CABits, IssuerBits, ICCBits are the key sizes in bits (defaults 1408,
	// 1152, 1024; 768 to 1984, each at most the one above it, Book 2 §5.1
	// and §6.1). Records are split to fit short responses; a CDA response
	// carries the whole SDAD, so an ICC key over 1840 bits makes it longer
	// than 256 bytes, as it would on a real card.
	CABits     int `json:"ca_bits,omitempty"`
	IssuerBits int `json:"issuer_bits,omitempty"`
	ICCBits    int `json:"icc_bits,omitempty"`
	// Exponent is the public exponent of the issuer and ICC keys, 3
	// (default) or 65537. The CA key always uses 3.
	Exponent int `json:"exponent,omitempty"`
	// ECCSuite is the Algorithm Suite Indicator of the ECC key chain of
	// an XDA card (AIP byte 1 bit 8; Book 2 Annex B2.4.1): 0x10 (P-256
	// with SHA-256, the default) or 0x11 (P-521 with SHA-512). The CA,
	// issuer and ICC keys all use it.
	ECCSuite int `json:"ecc_suite,omitempty"`
	// ECCIssuerSuite and ECCICCSuite are the suites of the issuer and
	// ICC ECC keys (default ECCSuite). A record holds at most 254 bytes:
	// an ICC certificate for a P-521 key signed by a P-521 issuer (277
	// bytes) does not fit one, so a P-521 card pairs its P-521 keys with a
	// P-256 issuer or ICC key.
	ECCIssuerSuite int `json:"ecc_issuer_suite,omitempty"`
	ECCICCSuite    int `json:"ecc_icc_suite,omitempty"`
	// ECCCAIndex is the CA Public Key Index (8F) of an XDA card's CA ECC
	// key. Default 0xE5, beside the RSA key's E1 in a terminal's store.
	ECCCAIndex int `json:"ecc_ca_index,omitempty"`
}

// MasterKeys are the double-length issuer master keys from which the card's
// ICC master keys are derived (Book 2 A1.4, Option A): AC for application
// cryptograms and ARPC, SMI and SMC for secure-messaging integrity and
// confidentiality. Defaults are the well-known test keys
// 0123456789ABCDEFFEDCBA9876543210 (AC), FEDCBA98765432100123456789ABCDEF
// (SMI) and 89ABCDEF0123456776543210FEDCBA98 (SMC).
type MasterKeys struct {
	AC  Hex `json:"ac,omitempty"`
	SMI Hex `json:"smi,omitempty"`
	SMC Hex `json:"smc,omitempty"`
}

// Default issuer master keys (see [MasterKeys]).
var (
	DefaultIMKAC  = mustHex("0123456789ABCDEFFEDCBA9876543210")
	DefaultIMKSMI = mustHex("FEDCBA98765432100123456789ABCDEF")
	DefaultIMKSMC = mustHex("89ABCDEF0123456776543210FEDCBA98")
)

// Application is one payment application on the card: its FCI, its
// processing options, its records and how its own risk management behaves.
// Data elements are written as they go on the card (tags in parentheses).
type Application struct {
	AID                Hex    `json:"aid"`                           // 4F/84, 5 to 16 bytes
	Label              string `json:"label,omitempty"`               // 50
	PreferredName      string `json:"preferred_name,omitempty"`      // 9F12
	CodeTableIndex     int    `json:"code_table_index,omitempty"`    // 9F11, 0 = absent
	Priority           int    `json:"priority,omitempty"`            // 87, 0 = absent
	LanguagePreference string `json:"language_preference,omitempty"` // 5F2D ("enfr")
	LogEntry           Hex    `json:"log_entry,omitempty"`           // 9F4D in the FCI's BF0C
	// InDirectory is whether the PSE/PPSE lists the application
	// (default true). A hidden application is only found by AID.
	InDirectory *bool `json:"in_directory,omitempty"`
	// PartialSelection is the card's side of the Application Selection
	// Indicator: whether SELECT with a leading part of the AID finds the
	// application (default true; Book 1 §12.3.3).
	PartialSelection *bool `json:"partial_selection,omitempty"`
	// Blocked: SELECT answers the FCI with 6283 and GENERATE AC gives an AAC
	// (Book 1 §12.3.2).
	Blocked bool `json:"blocked,omitempty"`

	PDOL Hex `json:"pdol,omitempty"` // 9F38
	AIP  Hex `json:"aip"`            // 82, 2 bytes
	// GPOFormat is the GET PROCESSING OPTIONS response format: 1 (80, the
	// default) or 2 (77) (Book 3 §6.5.8.4).
	GPOFormat int `json:"gpo_format,omitempty"`
	// GPORefused makes GET PROCESSING OPTIONS answer 6985 (conditions of
	// use not satisfied; the terminal drops the application, Book 3 §10.1).
	GPORefused bool `json:"gpo_refused,omitempty"`

	CDOL1         Hex    `json:"cdol1"`                    // 8C
	CDOL2         Hex    `json:"cdol2"`                    // 8D
	DDOL          Hex    `json:"ddol,omitempty"`           // 9F49
	TDOL          Hex    `json:"tdol,omitempty"`           // 97
	CVMList       Hex    `json:"cvm_list,omitempty"`       // 8E
	IACDefault    Hex    `json:"iac_default,omitempty"`    // 9F0D
	IACDenial     Hex    `json:"iac_denial,omitempty"`     // 9F0E
	IACOnline     Hex    `json:"iac_online,omitempty"`     // 9F0F
	AUC           Hex    `json:"auc,omitempty"`            // 9F07
	Version       Hex    `json:"version,omitempty"`        // 9F08
	EffectiveDate string `json:"effective_date,omitempty"` // 5F25, YYMMDD
	ExpiryDate    string `json:"expiry_date"`              // 5F24, YYMMDD
	IssuerCountry Hex    `json:"issuer_country,omitempty"` // 5F28, n3 as 2 bytes
	Currency      Hex    `json:"currency,omitempty"`       // 9F42, n3 as 2 bytes
	// LCOL and UCOL are the Lower and Upper Consecutive Offline Limits
	// (9F14, 9F23); nil leaves them off the card.
	LCOL *int `json:"lcol,omitempty"`
	UCOL *int `json:"ucol,omitempty"`
	// SDATagList (9F4A); "82" adds the AIP to the static data (Book 3 §10.3).
	SDATagList Hex `json:"sda_tag_list,omitempty"`
	// DAC is the Data Authentication Code signed in the SSAD (default DAC0).
	DAC Hex `json:"dac,omitempty"`
	// Extra holds more data objects (TLV) for the application's data record.
	Extra Hex `json:"extra,omitempty"`
	// Records are more records (beyond the generated ones) read through the
	// AFL; each one's SFI must be 4 to 10 or 11 to 30.
	Records []Record `json:"records,omitempty"`

	// PIN is the offline PIN in digits (4 to 12); "" means the card has no
	// offline PIN and VERIFY answers 6A88.
	PIN PIN `json:"pin,omitempty"`
	// PINTryLimit is the PIN try limit (default 3); PINTries the tries left
	// now (default the limit; 0 means blocked only if PINBlocked).
	PINTryLimit int  `json:"pin_try_limit,omitempty"`
	PINTries    int  `json:"pin_tries,omitempty"`
	PINBlocked  bool `json:"pin_blocked,omitempty"`
	// PINKey gives the card a separate ICC PIN Encipherment Public Key
	// (9F2D, 9F2E, 9F2F); otherwise enciphered PIN uses the ICC key
	// (Book 2 §7.1).
	PINKey bool `json:"pin_key,omitempty"`

	ATC           int `json:"atc,omitempty"`             // 9F36 before the first transaction
	LastOnlineATC int `json:"last_online_atc,omitempty"` // 9F13
	// LastOnlineIncomplete and LastIssuerAuthFailed start the card as if
	// its last online transaction had not completed, or had failed issuer
	// authentication (both reported in the CVR; the first sends the card
	// online).
	LastOnlineIncomplete bool `json:"last_online_incomplete,omitempty"`
	LastIssuerAuthFailed bool `json:"last_issuer_auth_failed,omitempty"`

	// GenACFormat is the GENERATE AC response format without CDA: 2 (77,
	// the default) or 1 (80) (Book 3 §6.5.5.4).
	GenACFormat int `json:"genac_format,omitempty"`
	// DDAFormat is the INTERNAL AUTHENTICATE response format: 1 (80, the
	// default) or 2 (77 with 9F4B) (Book 3 §6.5.9.4).
	DDAFormat int `json:"dda_format,omitempty"`
	// Risk is the card's own risk management.
	Risk CardRisk `json:"risk,omitzero"`
	// ARPCMethod is how the card checks the issuer's ARPC: 1 (default) or 2
	// (Book 2 §8.2).
	ARPCMethod int `json:"arpc_method,omitempty"`
	// ScriptEncipherment is how the issuer enciphers the confidential data
	// of script commands (the new PIN of PIN CHANGE, confidential PUT
	// DATA) under the SMC session key and how the card deciphers it (Book
	// 2 §9.3): "" (length-prefixed ECB), "ecb" or "cbc"; see
	// [Encipherment].
	ScriptEncipherment Encipherment `json:"script_encipherment,omitempty"`
	// IssuerData are data objects kept beside the records that GET DATA
	// returns and the issuer may replace by a PUT DATA script command
	// (Book 3 §6.5.7, §6.5.13). 9F14 and 9F23 are always updatable when
	// LCOL and UCOL are set, and are not listed here.
	IssuerData []IssuerDataObject `json:"issuer_data,omitempty"`

	// ODA knobs: what goes wrong in the card's certificates and signatures.
	Faults ODAFaults `json:"oda_faults,omitzero"`

	// KernelIdentifier is the Kernel Identifier 9F2A the PPSE lists for the
	// application (1 to 8 bytes, Book B §3.3.2.5); nil leaves it out, and
	// the reader takes the default kernel of the RID.
	KernelIdentifier Hex `json:"kernel_identifier,omitempty"`
	// ExtendedSelection is the Extended Selection 9F29 of the application's
	// PPSE entry (Book B §3.3.2.7); nil leaves it out.
	ExtendedSelection Hex `json:"extended_selection,omitempty"`
	// QVSDC makes the application a Visa contactless qVSDC one (Book C-3):
	// GET PROCESSING OPTIONS answers with the cryptogram; nil: a contact
	// application that waits for GENERATE AC.
	QVSDC *QVSDC `json:"qvsdc,omitempty"`
	// RelayResistance makes the application answer EXCHANGE RELAY
	// RESISTANCE DATA after GET PROCESSING OPTIONS (Book C-2, the relay
	// resistance protocol; the AIP's byte 2 bit 1 says so to the reader);
	// nil: the command is not supported (6D00).
	RelayResistance *RelayResistance `json:"relay_resistance,omitempty"`
	// DRDOL is the Data Recovery Data Object List (9F51) of a Mastercard
	// application that can recover a torn transaction (Book C-2): RECOVER
	// AC with the DRDOL related data of the last GENERATE AC answers that
	// GENERATE AC's response again. nil: no 9F51 and no RECOVER AC (6D00).
	DRDOL Hex `json:"drdol,omitempty"`
	// PhoneConfirmation makes the application a phone's Mastercard that
	// asks the cardholder to confirm on the phone (Book C-2, the POS
	// Cardholder Interaction Information DF4B): that many first
	// GENERATE AC of successive taps are answered with an AAC carrying
	// DF4B [PCIIODCVMRequired]; the taps after them are answered as the
	// card's risk management decides, the cardholder having confirmed.
	// In mag-stripe mode (MagStripe.Phone) the same count applies to the
	// COMPUTE CRYPTOGRAPHIC CHECKSUM answers asked for on-device
	// cardholder verification. Zero: the card never asks.
	PhoneConfirmation int `json:"phone_confirmation,omitempty"`
	// MagStripe makes the application a Mastercard one in mag-stripe mode
	// (Book C-2): the mag-stripe record and COMPUTE CRYPTOGRAPHIC CHECKSUM;
	// nil: no mag-stripe data and the command is not supported (6D00).
	MagStripe *MagStripe `json:"magstripe,omitempty"`
}

// IssuerDataObject is one primitive data object the issuer may update.
type IssuerDataObject struct {
	Tag   Hex `json:"tag"` // 1 or 2 bytes, primitive
	Value Hex `json:"value"`
	// Confidential: PUT DATA must carry the value enciphered under the
	// SMC session key (Book 2 §9.3); a plaintext value is refused (6A80).
	Confidential bool `json:"confidential,omitempty"`
}

// tag returns the object's tag if it is a primitive BER-TLV tag of one or
// two bytes.
func (d IssuerDataObject) tag() (tlv.Tag, bool) {
	switch {
	case len(d.Tag) == 1 && d.Tag[0]&0x1F != 0x1F:
	case len(d.Tag) == 2 && d.Tag[0]&0x1F == 0x1F && d.Tag[1]&0x80 == 0:
	default:
		return 0, false
	}
	var t tlv.Tag
	for _, b := range d.Tag {
		t = t<<8 | tlv.Tag(b)
	}
	return t, !t.Constructed()
}

// CardRisk is the card's own risk management: what it answers to each
// GENERATE AC.
type CardRisk struct {
	// Decision is DecideRisk (default), DecideOffline, DecideOnline or
	// DecideDecline.
	Decision string `json:"decision,omitempty"`
	// IssuerAuthRequired makes the second GENERATE AC answer an AAC when
	// online issuer authentication failed or was not performed.
	IssuerAuthRequired bool `json:"issuer_auth_required,omitempty"`
}

// ODAFaults break offline data authentication on purpose.
type ODAFaults struct {
	BadSSAD bool `json:"bad_ssad,omitempty"` // SSAD signed over a wrong hash (SDA fails)
	BadSDAD bool `json:"bad_sdad,omitempty"` // SDAD of DDA/CDA signed over a wrong hash
	// IssuerCertExpiry and ICCCertExpiry are the certificates' expiration
	// dates MMYY (default "1249"); "0120" makes an expired certificate.
	IssuerCertExpiry string `json:"issuer_cert_expiry,omitempty"`
	ICCCertExpiry    string `json:"icc_cert_expiry,omitempty"`
	// IssuerCertSerial is the issuer certificate's 3-byte serial number
	// (default 000001); list it in the terminal's revocation list to test
	// revocation (Book 2 §5.3, step 10).
	IssuerCertSerial Hex `json:"issuer_cert_serial,omitempty"`
	// ICCCertPAN puts another PAN in the ICC certificate (Book 2 §6.4,
	// step 9 fails).
	ICCCertPAN string `json:"icc_cert_pan,omitempty"`
	// IssuerCertIssuerID puts another issuer identifier in the issuer
	// certificate (Book 2 §5.3, step 9 fails). Digits, 3 to 8.
	IssuerCertIssuerID string `json:"issuer_cert_issuer_id,omitempty"`
	// BadECCIssuerCert breaks the CA's signature of an XDA card's issuer
	// certificate (Book 2 §12.3): ECC key recovery fails. BadSDAD breaks
	// the XDA signature of GENERATE AC (§12.5.3).
	BadECCIssuerCert bool `json:"bad_ecc_issuer_cert,omitempty"`
}

// Record is one extra record of an application's files.
type Record struct {
	SFI    int  `json:"sfi"`
	Number int  `json:"number"`
	ODA    bool `json:"oda,omitempty"` // the AFL flags it for offline data authentication
	// Data is the content of the record template 70 (its tag and length
	// are added); with Raw set, Data is the whole record as sent.
	Data Hex  `json:"data"`
	Raw  bool `json:"raw,omitempty"`
}

// PIN is a card's reference PIN in digits. It prints as "[PIN]" with
// every fmt verb, so a profile shown in a log or an error never carries
// it; JSON holds the digits (a profile file personalises a test card).
type PIN string

// Format writes "[PIN]", or "" for no PIN.
func (p PIN) Format(f fmt.State, _ rune) {
	if p != "" {
		io.WriteString(f, "[PIN]")
	}
}

// ErrProfile reports a profile that cannot make a card; the message says
// which field is wrong.
var ErrProfile = errors.New("emvtest: invalid profile")

// LoadProfile reads a profile from a JSON file (see [ParseProfile]).
func LoadProfile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emvtest: %w", err)
	}
	p, err := ParseProfile(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return p, nil
}

// ParseProfile decodes a JSON profile strictly: unknown keys and trailing
// data are errors, and the profile is validated.
func ParseProfile(b []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, profileJSONError(err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the profile", ErrProfile)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// profileJSONError names the field of a JSON value that cannot be
// decoded, never the value: encoding/json puts a number's digits in its
// message ("number 70000"), and the value of a key field is the key.
func profileJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "profile"
		}
		kind, _, _ := strings.Cut(te.Value, " ")
		if te.Type == reflect.TypeFor[Hex]() {
			if te.Value == "string that is not hex" {
				return fmt.Errorf("%w: %s: not hex", ErrProfile, field)
			}
			return fmt.Errorf("%w: %s: a JSON %s, want a hex string", ErrProfile, field, kind)
		}
		return fmt.Errorf("%w: %s: a JSON %s cannot be %s", ErrProfile, field, kind, te.Type)
	}
	return fmt.Errorf("%w: %v", ErrProfile, err)
}

// String names the profile without its PAN or track 2 data.
func (p Profile) String() string { return "emvtest.Profile(" + p.Name + ")" }

// GoString is String, so %#v does not print the PAN either.
func (p Profile) GoString() string { return p.String() }

// JSON returns the profile as indented JSON, as the files in testdata/cards hold it.
func (p *Profile) JSON() ([]byte, error) { return json.MarshalIndent(p, "", "  ") }

// Validate checks that the profile can make a card.
func (p *Profile) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrProfile, fmt.Sprintf(format, a...))
	}
	if !isDigits(p.PAN) || len(p.PAN) < 12 || len(p.PAN) > 19 {
		return bad("pan must be 12 to 19 digits")
	}
	if p.PSN != "" && (len(p.PSN) != 2 || !isDigits(p.PSN)) {
		return bad("psn must be two digits")
	}
	switch p.Protocol {
	case "", "T=0", "T=1":
	default:
		return bad("protocol %q: want T=0 or T=1", p.Protocol)
	}
	switch p.Directory {
	case "", DirectoryPSE, DirectoryPPSE, DirectoryNone:
	default:
		return bad("directory %q: want pse, ppse or none", p.Directory)
	}
	if p.DirectorySFI < 0 || p.DirectorySFI > 10 {
		return bad("directory_sfi %d: want 1 to 10", p.DirectorySFI)
	}
	for _, k := range []struct {
		name string
		key  Hex
	}{{"ac", p.MasterKeys.AC}, {"smi", p.MasterKeys.SMI}, {"smc", p.MasterKeys.SMC}} {
		if k.key != nil && len(k.key) != 16 {
			return bad("master_keys.%s must be 16 bytes (a double-length DES key)", k.name)
		}
	}
	if e := p.Keys.Exponent; e != 0 && e != 3 && e != 65537 {
		return bad("keys.exponent %d: want 3 or 65537", e)
	}
	k := p.Keys.withDefaults()
	for _, b := range []int{k.CABits, k.IssuerBits, k.ICCBits} {
		if b%8 != 0 || b < 768 || b > 1984 {
			return bad("key sizes must be multiples of 8 from 768 to 1984 bits (Book 2 Annex B2.1)")
		}
	}
	if k.ICCBits > k.IssuerBits || k.IssuerBits > k.CABits {
		return bad("key sizes must not grow down the chain: ICC <= issuer <= CA (Book 2 §5.1, §6.1)")
	}
	if k.CAIndex < 0 || k.CAIndex > 0xFF {
		return bad("keys.ca_index out of range")
	}
	for _, su := range []int{k.ECCSuite, k.ECCIssuerSuite, k.ECCICCSuite} {
		if su != int(oda.SuiteP256SHA256) && su != int(oda.SuiteP521SHA512) {
			return bad("ECC suites must be 16 (0x10, P-256) or 17 (0x11, P-521), Book 2 Annex B2.4.1")
		}
	}
	if k.ECCCAIndex < 0 || k.ECCCAIndex > 0xFF || k.ECCCAIndex == k.CAIndex {
		return bad("keys.ecc_ca_index out of range or equal to keys.ca_index")
	}
	if k.ECCIssuerSuite == int(oda.SuiteP521SHA512) && k.ECCICCSuite == int(oda.SuiteP521SHA512) {
		return bad("a P-521 ICC key certified by a P-521 issuer key needs 277 bytes, more than a record holds")
	}
	if len(p.Applications) == 0 {
		return bad("no applications")
	}
	if len(p.Track2) > 19 || len(p.CardholderName) > 26 || (p.ServiceCode != "" && (len(p.ServiceCode) != 3 || !isDigits(p.ServiceCode))) {
		return bad("track2 at most 19 bytes, cardholder_name at most 26, service_code 3 digits")
	}
	if err := p.Contactless.validate(); err != nil {
		return bad("contactless: %v", err)
	}
	if len(p.ATR) > 33 {
		return bad("atr at most 33 bytes")
	}
	if len(p.Applications) > 16 {
		return bad("%d applications: at most 16", len(p.Applications))
	}
	for i := range p.Applications {
		a := &p.Applications[i]
		where := fmt.Sprintf("applications[%d]", i)
		switch {
		case len(a.AID) < 5 || len(a.AID) > 16:
			return bad("%s.aid must be 5 to 16 bytes", where)
		case len(a.AIP) != 2:
			return bad("%s.aip must be 2 bytes", where)
		case len(a.Label) > 16 || len(a.PreferredName) > 16:
			return bad("%s: label and preferred_name at most 16 characters", where)
		case a.Priority < 0 || a.Priority > 0xFF:
			return bad("%s.priority out of range", where)
		case !isDate(a.ExpiryDate) || (a.EffectiveDate != "" && !isDate(a.EffectiveDate)):
			return bad("%s: dates must be YYMMDD", where)
		case a.PIN != "" && (!isDigits(string(a.PIN)) || len(a.PIN) < 4 || len(a.PIN) > 12):
			return bad("%s.pin must be 4 to 12 digits", where)
		case a.PINTryLimit < 0 || a.PINTryLimit > 15 || a.PINTries < 0 || a.PINTries > 15:
			return bad("%s: PIN try counts must be 0 to 15", where)
		case a.ATC < 0 || a.ATC > 0xFFFE || a.LastOnlineATC < 0 || a.LastOnlineATC > 0xFFFF:
			return bad("%s: atc out of range", where)
		case a.GPOFormat < 0 || a.GPOFormat > 2 || a.GenACFormat < 0 || a.GenACFormat > 2 || a.DDAFormat < 0 || a.DDAFormat > 2:
			return bad("%s: response formats are 1 or 2", where)
		case a.ARPCMethod < 0 || a.ARPCMethod > 2:
			return bad("%s.arpc_method is 1 or 2", where)
		case (a.LCOL != nil && (*a.LCOL < 0 || *a.LCOL > 0xFF)) || (a.UCOL != nil && (*a.UCOL < 0 || *a.UCOL > 0xFF)):
			return bad("%s: lcol and ucol are 0 to 255", where)
		case a.CodeTableIndex < 0 || a.CodeTableIndex > 0xFF:
			return bad("%s.code_table_index out of range", where)
		case len(a.Extra) > 200 || len(a.PDOL) > 200 || len(a.CDOL1) > 200 || len(a.CDOL2) > 200 || len(a.DDOL) > 200 || len(a.TDOL) > 200 || len(a.CVMList) > 200:
			return bad("%s: data objects too long for a record", where)
		case a.LogEntry != nil && len(a.LogEntry) != 2:
			return bad("%s.log_entry must be 2 bytes", where)
		case a.DAC != nil && len(a.DAC) != 2:
			return bad("%s.dac must be 2 bytes", where)
		case !a.ScriptEncipherment.valid():
			return bad("%s.script_encipherment %q", where, a.ScriptEncipherment)
		case len(a.IssuerData) > 32:
			return bad("%s: at most 32 issuer_data objects", where)
		}
		for j, d := range a.IssuerData {
			_, good := d.tag()
			switch {
			case !good:
				return bad("%s.issuer_data[%d].tag must be a primitive tag of 1 or 2 bytes", where, j)
			case len(d.Value) > 200:
				return bad("%s.issuer_data[%d].value longer than 200 bytes", where, j)
			}
		}
		switch a.Risk.Decision {
		case DecideRisk, DecideOffline, DecideOnline, DecideDecline:
		default:
			return bad("%s.risk.decision %q", where, a.Risk.Decision)
		}
		for name, dol := range map[string]Hex{"pdol": a.PDOL, "cdol1": a.CDOL1, "cdol2": a.CDOL2, "ddol": a.DDOL, "tdol": a.TDOL, "drdol": a.DRDOL} {
			if _, err := tlv.ParseDOL(dol); err != nil {
				return bad("%s.%s: %v", where, name, err)
			}
		}
		if err := a.QVSDC.validate(); err != nil {
			return bad("%s.qvsdc: %v", where, err)
		}
		if a.PhoneConfirmation < 0 || a.PhoneConfirmation > 255 {
			return bad("%s: phone_confirmation 0 to 255", where)
		}
		if err := a.RelayResistance.validate(); err != nil {
			return bad("%s.relay_resistance: %v", where, err)
		}
		if err := a.MagStripe.validate(); err != nil {
			return bad("%s.magstripe: %v", where, err)
		}
		if len(a.KernelIdentifier) > 8 || len(a.ExtendedSelection) > 11 {
			return bad("%s: kernel_identifier at most 8 bytes, extended_selection at most 11", where)
		}
		if a.QVSDC == nil && (len(a.CDOL1) == 0 || len(a.CDOL2) == 0) {
			return bad("%s: cdol1 and cdol2 are mandatory (Book 3 Annex A)", where)
		}
		if a.Extra != nil {
			if _, err := tlv.Parse(a.Extra); err != nil {
				return bad("%s.extra: %v", where, err)
			}
		}
		seen := map[[2]int]bool{}
		for j, r := range a.Records {
			if seen[[2]int{r.SFI, r.Number}] {
				return bad("%s.records[%d]: record %d of SFI %d defined twice", where, j, r.Number, r.SFI)
			}
			seen[[2]int{r.SFI, r.Number}] = true
			if r.SFI < 4 || r.SFI > 30 || r.Number < 1 || r.Number > 255 {
				return bad("%s.records[%d]: sfi 4 to 30, number 1 to 255", where, j)
			}
			if len(r.Data) > 250 {
				return bad("%s.records[%d]: more than 250 bytes", where, j)
			}
		}
		f := a.Faults
		if (f.IssuerCertExpiry != "" && !isMMYY(f.IssuerCertExpiry)) || (f.ICCCertExpiry != "" && !isMMYY(f.ICCCertExpiry)) {
			return bad("%s.oda_faults: expiry dates are MMYY", where)
		}
		if f.IssuerCertSerial != nil && len(f.IssuerCertSerial) != 3 {
			return bad("%s.oda_faults.issuer_cert_serial must be 3 bytes", where)
		}
		if f.ICCCertPAN != "" && (!isDigits(f.ICCCertPAN) || len(f.ICCCertPAN) > 19) {
			return bad("%s.oda_faults.icc_cert_pan must be digits", where)
		}
		if id := f.IssuerCertIssuerID; id != "" && (!isDigits(id) || len(id) < 3 || len(id) > 8) {
			return bad("%s.oda_faults.issuer_cert_issuer_id must be 3 to 8 digits", where)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isDate(s string) bool {
	if len(s) != 6 || !isDigits(s) {
		return false
	}
	m := (s[2]-'0')*10 + s[3] - '0'
	d := (s[4]-'0')*10 + s[5] - '0'
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func isMMYY(s string) bool {
	if len(s) != 4 || !isDigits(s) {
		return false
	}
	m := (s[0]-'0')*10 + s[1] - '0'
	return m >= 1 && m <= 12
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Clone returns a deep copy of the profile, so a card never shares its
// data with the caller's value.
func (p *Profile) Clone() *Profile {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // a Profile always marshals
	}
	var q Profile
	if err := json.Unmarshal(b, &q); err != nil {
		panic(err)
	}
	return &q
}
