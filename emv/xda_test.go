package emv_test

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xdaCard makes the Visa card an XDA card: AIP 9C00 (XDA, cardholder
// verification, terminal risk management, issuer authentication), the ECC
// certificates in place of the RSA ones, offline plaintext PIN first.
func xdaCard(p *emvtest.Profile) {
	p.Applications[0].AIP = mustHex("9C00")
	p.Applications[0].CVMList = mustHex(cvmPlaintextFirst)
}

// xdaP521 signs with P-521: the CA and ICC keys are P-521 (SHA-512), the
// issuer key P-256, so that every certificate fits a record.
func xdaP521(p *emvtest.Profile) {
	xdaCard(p)
	p.Keys.ECCSuite = int(oda.SuiteP521SHA512)
	p.Keys.ECCIssuerSuite = int(oda.SuiteP256SHA256)
}

// xdaTerminal adds XDA to the test terminal's capabilities (Terminal
// Capabilities byte 3 bit 3, EMV 4.4 Book 4 Annex A2).
func xdaTerminal(c *emv.Config) { c.Capabilities = [3]byte{0xE0, 0xF8, 0xCC} }

// withoutECCKeys keeps only the RSA CA keys: the card's CA ECC key is
// missing.
func withoutECCKeys(c *emv.Config) {
	xdaTerminal(c)
	ks := oda.NewKeyStore()
	for _, k := range c.CAKeys.Keys() {
		if k.Suite == 0 {
			if err := ks.Add(*k); err != nil {
				panic(err)
			}
		}
	}
	c.CAKeys = ks
}

// xdaHead is the XDA card up to the first GENERATE AC: PSE, directory,
// final SELECT, GPO, four records, offline plaintext PIN, velocity.
const xdaHead = sdaHead

// sentTVR returns the TVR the terminal sent in the nth GENERATE AC
// (CDOL1Default holds 95 after the amounts and the country code).
func sentTVR(t *testing.T, card *emvtest.Card, nth int) string {
	t.Helper()
	n := 0
	for _, e := range card.Exchanges() {
		c, err := apdu.ParseCommand(e.Command)
		require.NoError(t, err)
		if c.INS != apdu.InsGenerateAC {
			continue
		}
		if n++; n == nth {
			dol, err := tlv.ParseDOL(mustHex(emvtest.CDOL1Default))
			require.NoError(t, err)
			off := 0
			for _, d := range dol {
				if d.Tag == 0x95 {
					return hexOf(c.Data[off : off+5])
				}
				off += d.Len
			}
		}
	}
	t.Fatalf("no GENERATE AC number %d", nth)
	return ""
}

// Book 3 §10.3 and Book 4 §6.3.2.2: XDA selected over the RSA methods,
// verified at each GENERATE AC, and each of its three failures with the
// processing that follows. TVR byte 1 bit 1 is "XDA selected", byte 4 bit
// 1 "XDA signature verification failed", byte 5 bit 3 "CA ECC key
// missing", byte 5 bit 2 "ECC key recovery failed".
func TestXDA(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_3_XDA_P256_Success",
			profile: xdaCard, config: xdaTerminal,
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, emv.XDA, r.ODA)
				assert.Equal(t, "XDA", r.ODA.String())
			},
		},
		{
			name:    "Book3_10_3_XDA_P521_Success",
			profile: xdaP521, config: xdaTerminal,
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
		},
		{
			name: "Book3_10_3_XDAPreferredOverCDA",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].AIP = mustHex("9D00")
			},
			config:  xdaTerminal,
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
		},
		{
			name:    "Book3_10_3_TerminalWithoutXDA_NoODA",
			profile: xdaCard,
			// The card claims no RSA method: nothing in common.
			outcome: emv.DeclinedUnableOnline, tvr: "8000000000", tsi: "6800", cvm: "410302",
			cmds: xdaHead + " GAC80 GAC00",
		},
		{
			name:    "Book3_10_3_XDA_OnARQC_SecondGenerateACVerified",
			profile: xdaCard, config: xdaTerminal,
			txn: txn(20000), host: approve(),
			outcome: emv.OnlineApproved, tvr: "0100008000", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC88 GAC48",
		},
		{
			name:    "Book4_6_3_2_2_1_CAECCKeyMissing_TCGoesOnline",
			profile: xdaCard, config: withoutECCKeys,
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0100000004", tsi: "E800", cvm: "410302",
			// The TC goes online; no second GENERATE AC.
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				// Set before terminal action analysis: sent in CDOL1.
				assert.Equal(t, "0100000004", sentTVR(t, card, 1))
				assert.Equal(t, "00", r.ARC)
			},
		},
		{
			name:    "Book4_6_3_2_2_4_CAECCKeyMissing_UnableOnline_Declined",
			profile: xdaCard, config: withoutECCKeys,
			outcome: emv.DeclinedUnableOnline, tvr: "0100000004", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
		},
		{
			name: "Book4_6_3_2_2_2_ECCKeyRecoveryFailed_SetAfterFirstGenerateAC",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadECCIssuerCert = true
			},
			config: xdaTerminal, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0100000002", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				// The first terminal action analysis did not see it.
				assert.Equal(t, "0100000000", sentTVR(t, card, 1))
			},
		},
		{
			name: "Book4_6_3_2_2_3_XDASignatureFailed_OnTC_OnlineDeclined",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadSDAD = true
			},
			config: xdaTerminal, host: decline(),
			outcome: emv.OnlineDeclined, tvr: "0100000100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				assert.Equal(t, "0100000000", sentTVR(t, card, 1))
			},
		},
		{
			name:    "Book4_6_3_2_2_3_SDADMissing_XDAFailed",
			profile: xdaCard, config: xdaTerminal,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.DropTag, Tag: 0x9F4B})
			},
			outcome: emv.DeclinedUnableOnline, tvr: "0100000100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
		},
		{
			name: "Book4_6_3_2_2_4_XDAFailed_DenialCodes_TCDeclined",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadSDAD = true
			},
			config: func(c *emv.Config) {
				xdaTerminal(c)
				deny := tvr.TVR{0, 0, 0, 0x01, 0}
				c.AppParams.TACDenial = &deny
			},
			outcome: emv.Declined, tvr: "0100000100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Z1", r.ARC)
			},
		},
		{
			name: "Book4_6_3_2_2_4_XDAFailed_DenialCodes_ARQCThenAAC",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadSDAD = true
			},
			config: func(c *emv.Config) {
				xdaTerminal(c)
				deny := tvr.TVR{0, 0, 0, 0x01, 0}
				c.AppParams.TACDenial = &deny
			},
			txn: txn(20000), host: approve(),
			outcome: emv.Declined, tvr: "0100008100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC88 GAC00",
		},
		{
			name: "Book4_6_3_2_2_4_XDAFailed_OnARQC_SecondSignatureNotVerified",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadSDAD = true
			},
			config: xdaTerminal,
			txn:    txn(20000), host: approve(),
			// The second GENERATE AC asks for XDA; its (bad) signature is
			// not verified: the issuer approved despite the failure.
			outcome: emv.OnlineApproved, tvr: "0100008100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC88 GAC48",
		},
		{
			name: "Book4_6_3_2_2_4_XDAFailed_OnARQC_UnableOnline_AAC",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].Faults.BadSDAD = true
			},
			config: xdaTerminal,
			txn:    txn(20000),
			// Unable to go online the default codes would not decline
			// (no online-only bit): XDA's failure does.
			outcome: emv.DeclinedUnableOnline, tvr: "0100008100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC88 GAC00",
		},
		{
			// "ICC data missing" is set at once (presence is read, not
			// recovered); "ECC key recovery failed" only after the first
			// GENERATE AC.
			name:    "Book3_10_3_XDA_ICCCertificateMissing_ICCDataMissing",
			profile: xdaCard, config: xdaTerminal,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.DropTag, Tag: 0x9F46})
			},
			outcome: emv.DeclinedUnableOnline, tvr: "2100000002", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				assert.Equal(t, "2100000000", sentTVR(t, card, 1))
			},
		},
		{
			// Book 3 §10.3: the ICCD holds the AIP as received, so a
			// changed AIP breaks the ICC certificate's ICCD Hash.
			name: "Book3_10_3_ICCDBindsAIP_ECCKeyRecoveryFailed",
			profile: func(p *emvtest.Profile) {
				xdaCard(p)
				p.Applications[0].GPOFormat = 2
			},
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceValue, Tag: 0x82, Value: mustHex("9C01")})
			},
			config:  xdaTerminal,
			outcome: emv.DeclinedUnableOnline, tvr: "0100000002", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC48",
		},
		{
			name:    "Book4_6_3_2_2_3_XDAFailedOnSecondGenerateAC_Declined",
			profile: xdaCard, config: xdaTerminal,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Nth: 2, Corrupt: emvtest.FlipLastByte})
			},
			txn: txn(20000), host: approve(),
			outcome: emv.OnlineDeclined, tvr: "0100008100", tsi: "E800", cvm: "410302",
			cmds: xdaHead + " GAC88 GAC48",
		},
	})
}

// xdaPINCard is an XDA card with an ICC ECC key for ODE (9F2D) and
// offline enciphered PIN first in its CVM List.
func xdaPINCard(p *emvtest.Profile) {
	xdaCard(p)
	p.Applications[0].PINKey = true
	p.Applications[0].CVMList = mustHex(cvmEncipheredFirst)
}

// Book 2 §13.2 on the whole kernel: the PIN enciphered under the card's
// ECC key for ODE, which deciphers it (§13.3) and checks it. SFI 3 holds
// one more record, the 9F2D certificate.
func TestECCEncipheredPIN(t *testing.T) {
	const head = "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13"
	runScenarios(t, []scenario{
		{
			name:    "Book2_13_2_ECCEncipheredPIN_P256",
			profile: xdaPINCard, config: xdaTerminal,
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "440302",
			cmds: head + " GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				// VERIFY P2 88 with x(R) || C* || MAC: 32 + 17 + 8 bytes.
				var verify []apdu.Command
				for _, e := range card.Exchanges() {
					if c, err := apdu.ParseCommand(e.Command); err == nil && c.INS == 0x20 {
						verify = append(verify, c)
					}
				}
				require.Len(t, verify, 1)
				assert.Equal(t, byte(0x88), verify[0].P2)
				assert.Len(t, verify[0].Data, 57)
				assert.Equal(t, 3, card.PINTries(mustHex("A0000000031010")))
			},
		},
		{
			name: "Book2_13_2_ECCEncipheredPIN_P521",
			profile: func(p *emvtest.Profile) {
				xdaPINCard(p)
				p.Keys.ECCSuite = int(oda.SuiteP521SHA512)
				p.Keys.ECCIssuerSuite = int(oda.SuiteP256SHA256)
			},
			config:  xdaTerminal,
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "440302",
			cmds: head + " GAC48",
		},
		{
			name:    "Book2_13_3_ECCEncipheredPIN_WrongPINCounted",
			profile: xdaPINCard, config: xdaTerminal,
			pins:    []string{"9999", "1234"},
			outcome: emv.Approved, tvr: "0100000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 GC VFY GC VFY GD9F36 GD9F13 GAC48",
			check: func(t *testing.T, r *emv.Result, card *emvtest.Card) {
				assert.Equal(t, 3, card.PINTries(mustHex("A0000000031010")), "reset by the right PIN")
			},
		},
		{
			// Without a 9F2D the kernel has no ECC key for the PIN: the
			// enciphered PIN rule is not performed and the next one
			// (online PIN) applies.
			name:    "Book2_13_1_NoECCPINKey_NextRule",
			profile: func(p *emvtest.Profile) { xdaCard(p); p.Applications[0].CVMList = mustHex(cvmEncipheredFirst) },
			config:  xdaTerminal,
			// Online PIN entered matches TAC online (ARQC); unable to go
			// online the default codes approve, and the second GENERATE
			// AC's XDA signature verifies.
			outcome: emv.ApprovedUnableOnline, tvr: "0100040000", tsi: "E800", cvm: "420300",
			cmds: xdaHead[:len(xdaHead)-len(" GD9F17 VFY GD9F36 GD9F13")] + " GD9F36 GD9F13 GAC88 GAC48",
		},
	})
}
