package emvtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/emvkit/emvkit/tlv"
)

// AIP bits (Book 3 Annex C1, byte 1).
const (
	aipSDA        = 0x40
	aipDDA        = 0x20
	aipCVM        = 0x10
	aipTRM        = 0x08
	aipIssuerAuth = 0x04
	aipCDA        = 0x01
)

// Names of the directory definition files (Book 1 §12.2.2; Book B §3.3).
var (
	namePSE  = []byte("1PAY.SYS.DDF01")
	namePPSE = []byte("2PAY.SYS.DDF01")
)

// persoApp is an application as personalised: its FCI, records, AFL and
// keys, fixed for the life of the card except where an issuer script
// updates them.
type persoApp struct {
	cfg      *Application
	chain    *KeyChain
	fci      []byte
	afl      []byte
	records  map[recordID][]byte // whole record as sent (normally 70 L ...)
	static   []byte              // static data to be authenticated (Book 3 §10.3)
	pdol     tlv.DOL
	cdol1    tlv.DOL
	cdol2    tlv.DOL
	mkAC     []byte // ICC master keys (Book 2 A1.4)
	mkSMI    []byte
	mkSMC    []byte
	hasICC   bool // the card holds an ICC key pair (DDA or CDA)
	hasECC   bool // the card holds an ICC ECC key pair (XDA)
	pinKey   *rsaKey
	odeKey   *eccKey // XDA cards with PINKey: the ICC ECC key for ODE (9F2D)
	issuerID string
}

type recordID struct{ sfi, rec byte }

// withDefaults returns a copy of the profile with every default applied.
func (p *Profile) withDefaults() *Profile {
	q := p.Clone()
	if q.Protocol == "" {
		q.Protocol = "T=1"
	}
	if q.ATR == nil && q.Contactless != nil {
		h := q.Contactless.HistoricalBytes
		if h == nil && q.Contactless.Type == "B" {
			h = defaultTypeB
		}
		q.ATR = ContactlessATR(h)
	}
	if q.Contactless != nil && q.Contactless.Type == "" {
		q.Contactless.Type = "A"
	}
	if q.Directory == "" && q.Contactless != nil {
		q.Directory = DirectoryPPSE
	}
	if q.ATR == nil {
		if q.Protocol == "T=0" {
			q.ATR = mustHex("3B021450")
		} else {
			// TS, T0 (TD1 present, 0 historical bytes), TD1 = T=1, TD2... as
			// Book 1 §8.3.4 allows for T=1: 3B E0 00 00 81 31 FE 45 + TCK.
			q.ATR = mustHex("3BE000008131FE4500")
			q.ATR[len(q.ATR)-1] = tck(q.ATR[1 : len(q.ATR)-1])
		}
	}
	if q.Directory == "" {
		q.Directory = DirectoryPSE
	}
	if q.DirectorySFI == 0 {
		q.DirectorySFI = 1
	}
	if q.CardholderName == "" {
		q.CardholderName = "EMVKIT/TEST CARD"
	}
	if q.ServiceCode == "" {
		q.ServiceCode = "201"
	}
	if q.MasterKeys.AC == nil {
		q.MasterKeys.AC = DefaultIMKAC
	}
	if q.MasterKeys.SMI == nil {
		q.MasterKeys.SMI = DefaultIMKSMI
	}
	if q.MasterKeys.SMC == nil {
		q.MasterKeys.SMC = DefaultIMKSMC
	}
	q.Keys = q.Keys.withDefaults()
	for i := range q.Applications {
		a := &q.Applications[i]
		if a.GPOFormat == 0 {
			a.GPOFormat = 1
		}
		if a.GenACFormat == 0 {
			a.GenACFormat = 2
		}
		if a.DDAFormat == 0 {
			a.DDAFormat = 1
		}
		if a.ARPCMethod == 0 {
			a.ARPCMethod = 1
		}
		if a.PINTryLimit == 0 {
			a.PINTryLimit = 3
		}
		if a.PINTries == 0 && !a.PINBlocked {
			a.PINTries = a.PINTryLimit
		}
		if a.DAC == nil {
			a.DAC = mustHex("DAC0")
		}
		if a.Faults.IssuerCertExpiry == "" {
			a.Faults.IssuerCertExpiry = "1249"
		}
		if a.Faults.ICCCertExpiry == "" {
			a.Faults.ICCCertExpiry = "1249"
		}
		if a.Faults.IssuerCertSerial == nil {
			a.Faults.IssuerCertSerial = mustHex("000001")
		}
	}
	if q.Track2 == nil && len(q.Applications) > 0 {
		exp := q.Applications[0].ExpiryDate[:4]
		s := q.PAN + "D" + exp + q.ServiceCode + "000000000"
		if len(s)%2 == 1 {
			s += "F"
		}
		q.Track2 = mustHex(s)
	}
	return q
}

// tck is the check byte of a T=1 ATR: the XOR of T0 to the last byte
// before it (ISO/IEC 7816-3 §8.2.5).
func tck(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// personalise builds an application's files, certificates and keys.
func personalise(p *Profile, a *Application) (*persoApp, error) {
	var rid [5]byte
	copy(rid[:], a.AID)
	pa := &persoApp{cfg: a, chain: KeyChainFor(p.Keys, rid), records: map[recordID][]byte{}}
	var err error
	if pa.pdol, err = tlv.ParseDOL(a.PDOL); err != nil {
		return nil, err
	}
	if pa.cdol1, err = tlv.ParseDOL(a.CDOL1); err != nil {
		return nil, err
	}
	if pa.cdol2, err = tlv.ParseDOL(a.CDOL2); err != nil {
		return nil, err
	}
	if pa.mkAC, err = deriveICCMasterKey(p.MasterKeys.AC, p.PAN, p.PSN); err != nil {
		return nil, err
	}
	if pa.mkSMI, err = deriveICCMasterKey(p.MasterKeys.SMI, p.PAN, p.PSN); err != nil {
		return nil, err
	}
	if pa.mkSMC, err = deriveICCMasterKey(p.MasterKeys.SMC, p.PAN, p.PSN); err != nil {
		return nil, err
	}
	pa.fci = appFCI(a)
	pa.issuerID = p.PAN[:6]
	if a.Faults.IssuerCertIssuerID != "" {
		pa.issuerID = a.Faults.IssuerCertIssuerID
	}

	type rec struct {
		id   recordID
		oda  bool
		body []byte // whole record
	}
	var recs []rec
	add := func(sfi, n int, oda bool, content []byte) {
		recs = append(recs, rec{recordID{byte(sfi), byte(n)}, oda, tlv.AppendTLV(nil, 0x70, content)})
	}

	// SFI 1: magnetic-stripe image (Book 3 Annex A: 57, 5F20). A qVSDC
	// application returns track 2 in its GET PROCESSING OPTIONS response
	// (Book C-3), so its records hold neither.
	var objs [][]byte
	put := func(t tlv.Tag, v []byte) {
		if len(v) > 0 {
			objs = append(objs, tlv.AppendTLV(nil, t, v))
		}
	}
	switch {
	case a.MagStripe != nil:
		add(1, 1, false, a.MagStripe.record())
	case a.QVSDC == nil:
		var r1 []byte
		r1 = tlv.AppendTLV(r1, 0x57, p.Track2)
		r1 = tlv.AppendTLV(r1, 0x5F20, []byte(p.CardholderName))
		add(1, 1, true, r1)
	default:
		put(0x5F20, []byte(p.CardholderName))
	}

	// SFI 2: application data, split over records of at most 230 bytes.
	put(0x5A, cnPad(p.PAN, (len(p.PAN)+1)/2))
	put(0x5F24, mustHex(a.ExpiryDate))
	if a.EffectiveDate != "" {
		put(0x5F25, mustHex(a.EffectiveDate))
	}
	put(0x5F28, a.IssuerCountry)
	if p.PSN != "" && a.QVSDC == nil { // qVSDC: in the GPO response
		put(0x5F34, mustHex(p.PSN))
	}
	put(0x9F07, a.AUC)
	put(0x9F08, a.Version)
	put(0x8C, a.CDOL1)
	put(0x8D, a.CDOL2)
	put(0x8E, a.CVMList)
	put(0x9F0D, a.IACDefault)
	put(0x9F0E, a.IACDenial)
	put(0x9F0F, a.IACOnline)
	if len(a.DRDOL) > 0 {
		put(0x9F51, a.DRDOL)
	}
	if len(a.DDOL) > 0 {
		put(0x9F49, a.DDOL)
	}
	if len(a.TDOL) > 0 {
		put(0x97, a.TDOL)
	}
	if a.LCOL != nil {
		put(0x9F14, []byte{byte(*a.LCOL)})
	}
	if a.UCOL != nil {
		put(0x9F23, []byte{byte(*a.UCOL)})
	}
	put(0x9F42, a.Currency)
	if len(a.SDATagList) > 0 {
		put(0x9F4A, a.SDATagList)
	}
	if len(a.Extra) > 0 {
		objs = append(objs, a.Extra)
	}
	n := 1
	var cur []byte
	for _, o := range objs {
		if len(cur)+len(o) > 230 && len(cur) > 0 {
			add(2, n, true, cur)
			n++
			cur = nil
		}
		cur = append(cur, o...)
	}
	if len(cur) > 0 {
		add(2, n, true, cur)
	}
	for _, r := range a.Records {
		body := r.Data
		if !r.Raw {
			body = tlv.AppendTLV(nil, 0x70, r.Data)
		}
		recs = append(recs, rec{recordID{byte(r.SFI), byte(r.Number)}, r.ODA, append([]byte(nil), body...)})
	}

	// Static data to be authenticated (Book 3 §10.3), in AFL order.
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].id.sfi != recs[j].id.sfi {
			return recs[i].id.sfi < recs[j].id.sfi
		}
		return recs[i].id.rec < recs[j].id.rec
	})
	for _, r := range recs {
		if !r.oda {
			continue
		}
		if r.id.sfi <= 10 {
			if _, v, err := tlv.Single(r.body); err == nil {
				pa.static = append(pa.static, v...)
			}
		} else {
			pa.static = append(pa.static, r.body...)
		}
	}
	recordsData := pa.static // XDA's ICCD takes the AIP its own way
	if len(a.SDATagList) == 1 && a.SDATagList[0] == 0x82 {
		pa.static = append(pa.static, a.AIP...)
	}

	// SFI 3: the key chain (Book 2 §5.3, §5.4, §6.4, §7.1).
	kc := pa.chain
	n3 := 0
	// add3 puts data objects in SFI 3 records, as many per record as fit
	// in a short response (at most 250 bytes of template content).
	add3 := func(objs ...[]byte) {
		var cur []byte
		for _, o := range objs {
			if len(cur) > 0 && len(cur)+len(o) > 250 {
				n3++
				add(3, n3, false, cur)
				cur = nil
			}
			cur = append(cur, o...)
		}
		if len(cur) > 0 {
			n3++
			add(3, n3, false, cur)
		}
	}
	sda := a.AIP[0]&aipSDA != 0
	pa.hasICC = a.AIP[0]&(aipDDA|aipCDA) != 0
	pa.hasECC = a.AIP[0]&aipXDA != 0
	if pa.hasECC {
		// Book 3 §10.3: a card answering with ECC methods carries the
		// ECC certificates in 90 and 9F46, not the RSA ones.
		sda, pa.hasICC = false, false
		ca, issuer, icc := kc.eccCA(), kc.eccIssuer(), kc.eccICC()
		cert := eccIssuerCertificate(ca, issuer, kc.rid, kc.eccCAIndex(), pa.issuerID, "20491231", a.Faults.IssuerCertSerial, a.Faults.BadECCIssuerCert)
		add3(tlv.AppendTLV(nil, 0x8F, []byte{kc.eccCAIndex()}), tlv.AppendTLV(nil, 0x90, cert))
		add3(tlv.AppendTLV(nil, 0x9F46, eccICCCertificate(issuer, icc, "204912312359", mustHex("000000000001"), iccdFor(a, recordsData))))
		if a.PINKey {
			// Book 2 §13.1: the ICC ECC key for ODE, its certificate of
			// the Table 36 layout with an ODE suite.
			pa.odeKey = kc.eccODE()
			add3(tlv.AppendTLV(nil, 0x9F2D, eccODECertificate(issuer, pa.odeKey, "204912312359", mustHex("000000000002"), iccdFor(a, recordsData))))
		}
	}
	if (sda || pa.hasICC || a.PINKey) && !pa.hasECC {
		cert, rem := issuerCertificate(kc.ca, kc.issuer, pa.issuerID, a.Faults.IssuerCertExpiry, a.Faults.IssuerCertSerial)
		objs := [][]byte{tlv.AppendTLV(nil, 0x8F, []byte{kc.index}), tlv.AppendTLV(nil, 0x90, cert)}
		if rem != nil {
			objs = append(objs, tlv.AppendTLV(nil, 0x92, rem))
		}
		add3(append(objs, tlv.AppendTLV(nil, 0x9F32, kc.issuer.exponent()))...)
	}
	if sda {
		add3(tlv.AppendTLV(nil, 0x93, signedStaticData(kc.issuer, a.DAC, pa.static, a.Faults.BadSSAD)))
	}
	certPAN := p.PAN
	if a.Faults.ICCCertPAN != "" {
		certPAN = a.Faults.ICCCertPAN
	}
	if pa.hasICC {
		cert, rem := iccCertificate(kc.issuer, kc.icc, certPAN, a.Faults.ICCCertExpiry, mustHex("000001"), pa.static)
		objs := [][]byte{tlv.AppendTLV(nil, 0x9F46, cert), tlv.AppendTLV(nil, 0x9F47, kc.icc.exponent())}
		if rem != nil {
			objs = append(objs, tlv.AppendTLV(nil, 0x9F48, rem))
		}
		add3(objs...)
		pa.pinKey = kc.icc
	}
	if a.PINKey && !pa.hasECC {
		pin := kc.pinKey()
		cert, rem := iccCertificate(kc.issuer, pin, certPAN, a.Faults.ICCCertExpiry, mustHex("000002"), nil)
		objs := [][]byte{tlv.AppendTLV(nil, 0x9F2D, cert), tlv.AppendTLV(nil, 0x9F2E, pin.exponent())}
		if rem != nil {
			objs = append(objs, tlv.AppendTLV(nil, 0x9F2F, rem))
		}
		add3(objs...)
		pa.pinKey = pin
	}

	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].id.sfi != recs[j].id.sfi {
			return recs[i].id.sfi < recs[j].id.sfi
		}
		return recs[i].id.rec < recs[j].id.rec
	})
	// AFL (Book 3 §10.2): one entry per run of consecutive records of one
	// SFI whose ODA records come first.
	for i := 0; i < len(recs); {
		j := i + 1
		oda := 0
		if recs[i].oda {
			oda = 1
		}
		for j < len(recs) && recs[j].id.sfi == recs[i].id.sfi && recs[j].id.rec == recs[j-1].id.rec+1 &&
			(!recs[j].oda || recs[j-1].oda) {
			if recs[j].oda {
				oda++
			}
			j++
		}
		pa.afl = append(pa.afl, recs[i].id.sfi<<3, recs[i].id.rec, recs[j-1].id.rec, byte(oda))
		i = j
	}
	for _, r := range recs {
		if _, dup := pa.records[r.id]; dup {
			return nil, fmt.Errorf("%w: record %d of SFI %d defined twice", ErrProfile, r.id.rec, r.id.sfi)
		}
		pa.records[r.id] = r.body
	}
	return pa, nil
}

// appFCI builds the application's File Control Information template
// (Book 1 §11.3.4, Table 45).
func appFCI(a *Application) []byte {
	var prop []byte
	if a.Label != "" {
		prop = tlv.AppendTLV(prop, 0x50, []byte(a.Label))
	}
	if a.Priority != 0 {
		prop = tlv.AppendTLV(prop, 0x87, []byte{byte(a.Priority)})
	}
	if len(a.PDOL) > 0 {
		prop = tlv.AppendTLV(prop, 0x9F38, a.PDOL)
	}
	if a.LanguagePreference != "" {
		prop = tlv.AppendTLV(prop, 0x5F2D, []byte(strings.ToLower(a.LanguagePreference)))
	}
	if a.CodeTableIndex != 0 {
		prop = tlv.AppendTLV(prop, 0x9F11, []byte{byte(a.CodeTableIndex)})
	}
	if a.PreferredName != "" {
		prop = tlv.AppendTLV(prop, 0x9F12, []byte(a.PreferredName))
	}
	if len(a.LogEntry) > 0 {
		prop = tlv.AppendTLV(prop, 0xBF0C, tlv.AppendTLV(nil, 0x9F4D, a.LogEntry))
	}
	var fci []byte
	fci = tlv.AppendTLV(fci, 0x84, a.AID)
	fci = tlv.AppendTLV(fci, 0xA5, prop)
	return tlv.AppendTLV(nil, 0x6F, fci)
}

// directoryEntry builds one Directory Entry (61) of the PSE or PPSE
// (Book 1 §12.2.3, Table 47).
func directoryEntry(a *Application) []byte {
	var e []byte
	e = tlv.AppendTLV(e, 0x4F, a.AID)
	if a.Label != "" {
		e = tlv.AppendTLV(e, 0x50, []byte(a.Label))
	}
	if a.PreferredName != "" {
		e = tlv.AppendTLV(e, 0x9F12, []byte(a.PreferredName))
	}
	if a.Priority != 0 {
		e = tlv.AppendTLV(e, 0x87, []byte{byte(a.Priority)})
	}
	if a.KernelIdentifier != nil {
		e = tlv.AppendTLV(e, 0x9F2A, a.KernelIdentifier)
	}
	if a.ExtendedSelection != nil {
		e = tlv.AppendTLV(e, 0x9F29, a.ExtendedSelection)
	}
	return tlv.AppendTLV(nil, 0x61, e)
}
