package oda

import (
	"io"
)

// PINKey returns the key to encipher an offline PIN with, Book 2 §7.1:
// the ICC PIN Encipherment Public Key when the card has its certificate
// (9F2D, with 9F2E and 9F2F), else the ICC Public Key (9F46, 9F47, 9F48).
// Both are recovered under the Issuer Public Key with the checks of Book 2
// §6.3 and §6.4; the PIN Encipherment certificate's hash does not cover
// the static data to be authenticated, the ICC Public Key certificate's
// does (staticData, from [AppendStaticData]). Failures carry [PIN].
func (v *Verifier) PINKey(card *CardData, staticData []byte) (*ICCKey, error) {
	// The Issuer Public Key serves only to recover the PIN key: it and
	// what it holds come from issuerScratch and go back to it.
	is := issuerScratch.Get().(*issuerKeyStorage)
	defer func() {
		is.k = IssuerKey{}
		issuerScratch.Put(is)
	}()
	k := new(ICCKey)
	if err := v.pinKey(card, staticData, &is.k, &is.st, k, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// PINKeyStore is room for the key [Verifier.PINKeyIn] recovers: the
// Issuer Public Key and the ICC PIN Encipherment (or ICC) Public Key with
// what they hold, so that the recovery allocates nothing. The zero value
// is ready; a store is reused from one recovery to the next and is not
// for concurrent use. It holds card data, the PAN among it: clear it
// (*st = PINKeyStore{}) when it is kept past the transaction.
type PINKeyStore struct {
	issuer   IssuerKey
	key      ICCKey
	issuerSt keyStorage
	keySt    keyStorage
}

// PINKeyIn is PINKey(card, staticData) into st: the same checks, in the
// same order, with the same errors, and the same key on success, which
// lives in st until st is used again. On failure st holds no key.
func (v *Verifier) PINKeyIn(st *PINKeyStore, card *CardData, staticData []byte) (*ICCKey, error) {
	if err := v.pinKey(card, staticData, &st.issuer, &st.issuerSt, &st.key, &st.keySt); err != nil {
		st.key = ICCKey{}
		return nil, err
	}
	return &st.key, nil
}

// pinKey is PINKey with the Issuer Public Key recovered into issuer and
// ist, the PIN key into k and st (allocated when st is nil).
func (v *Verifier) pinKey(card *CardData, staticData []byte, issuer *IssuerKey, ist *keyStorage, k *ICCKey, st *keyStorage) error {
	if len(card.PINCertificate) == 0 {
		return v.iccPublicKey(PIN, card, staticData, issuer, ist, k, st)
	}
	if err := requireData(PIN, card, required{card.PINExponent, CheckICCExponent}); err != nil {
		return err
	}
	ca, err := v.CAKey(PIN, card)
	if err != nil {
		return err
	}
	if err := v.recoverIssuer(PIN, ca, card, issuer, ist); err != nil {
		return err
	}
	return v.recoverICCIn(PIN, issuer, card.PINCertificate, card.PINRemainder, card.PINExponent, card.PAN, nil, k, st)
}

// pinFixed is the fixed part of the data to encipher: 7F, the PIN block
// (8 bytes) and the ICC Unpredictable Number (8 bytes), Book 2 §7.2.
const pinFixed = 1 + 8 + 8

// EncipherPIN enciphers a PIN block for VERIFY with P2 88, Book 2 §7.2:
// the data 7F || PIN block (8 bytes) || ICC Unpredictable Number (8
// bytes, from GET CHALLENGE) || random padding (N-17 bytes from rand) goes
// through the RSA public operation with key. The result has the modulus's
// length. Errors never contain the PIN block, and the plaintext is wiped
// before returning.
func EncipherPIN(key *PublicKey, pinBlock, iccUnpredictableNumber []byte, rand io.Reader) ([]byte, error) {
	return EncipherPINTo(nil, key, pinBlock, iccUnpredictableNumber, rand)
}

// EncipherPINTo is [EncipherPIN] with the result in out when out has room
// for it (cap(out) at least the modulus's length), else in a new slice:
// the same checks, errors and result. A kernel that enciphers from one
// transaction to the next into its own buffer allocates nothing.
func EncipherPINTo(out []byte, key *PublicKey, pinBlock, iccUnpredictableNumber []byte, rand io.Reader) ([]byte, error) {
	const m = PIN
	if key == nil || len(key.Modulus) == 0 {
		return nil, fail(m, CheckPINKey, ErrInput, "no key")
	}
	n := len(key.Modulus)
	if key.Modulus[0] == 0 {
		return nil, fail(m, CheckPINKey, ErrFormat, "modulus has a leading zero byte")
	}
	// The data starts 7F: the modulus must be larger for the operation to
	// be invertible (it always is for keys of Book 2, whose top bit is set).
	if n < pinFixed+1 || key.Modulus[0] <= 0x7F {
		return nil, fail(m, CheckPINKey, ErrLength, "modulus of %d bytes starting %02X cannot carry the PIN data", n, key.Modulus[0])
	}
	if !validExponent(key.Exponent) {
		return nil, fail(m, CheckPINKey, ErrFormat, "exponent %X is not 03 or 010001", key.Exponent)
	}
	if len(pinBlock) != 8 {
		return nil, fail(m, CheckPINBlock, ErrInput, "PIN block is %d bytes, want 8", len(pinBlock))
	}
	if len(iccUnpredictableNumber) != 8 {
		return nil, fail(m, CheckICCUN, ErrLength, "ICC unpredictable number is %d bytes, want 8", len(iccUnpredictableNumber))
	}
	if rand == nil {
		return nil, fail(m, CheckRandom, ErrInput, "no random source")
	}
	// The plaintext is built in the recycled temporaries when it fits
	// (every key of Book 2 does), and wiped with them.
	t := getBigTemps()
	defer putBigTemps(t) // wipes the plaintext
	var data []byte
	if n <= len(t.plain) {
		data = t.plain[:n]
	} else {
		data = make([]byte, n)
		defer clear(data)
	}
	data[0] = 0x7F
	copy(data[1:9], pinBlock)
	copy(data[9:17], iccUnpredictableNumber)
	if _, err := io.ReadFull(rand, data[pinFixed:]); err != nil {
		return nil, &Error{Method: m, Check: CheckRandom, Err: err}
	}
	t.x.SetBytes(data)
	t.exp(exponentInt(key.Exponent), key.modulusInt())
	if cap(out) < n {
		out = make([]byte, n)
	}
	return fillBytes(&t.z, out[:n]), nil
}
