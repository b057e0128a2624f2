package emvtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tlv"
)

var (
	fuzzOnce      sync.Once
	fuzzTemplates []*Card
)

// fuzzCards returns template cards, personalised once per process.
func fuzzCards() []*Card {
	fuzzOnce.Do(func() {
		fuzzTemplates = []*Card{NewCard(VisaCDA()), NewCard(SignatureT0()), NewCard(MastercardDDA())}
	})
	return fuzzTemplates
}

// splitCommands cuts fuzz input into commands, each prefixed by its length.
func splitCommands(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 64 {
		n := int(b[0])
		b = b[1:]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinCommands(cmds ...apdu.Command) []byte {
	var out []byte
	for _, c := range cmds {
		b, err := c.Bytes()
		if err != nil {
			panic(err)
		}
		out = append(out, byte(len(b)))
		out = append(out, b...)
	}
	return out
}

// FuzzCardCommands sends arbitrary command sequences to the card. The
// card must never panic, must answer every command with at least a status
// word, must record every exchange, and must still answer SELECT after.
func FuzzCardCommands(f *testing.F) {
	f.Add(byte(0), joinCommands(
		apdu.Select([]byte("1PAY.SYS.DDF01"), false), apdu.ReadRecord(1, 1),
		apdu.Select(h("A0000000031010"), false), apdu.GetProcessingOptions(nil),
		apdu.ReadRecord(2, 1), apdu.GetChallenge(), apdu.GenerateAC(apdu.RefARQC|apdu.RefCDA, cdol1Data),
		apdu.ExternalAuthenticate(h("00112233445566773030")), apdu.GenerateAC(apdu.RefTC, cdol2Data),
		apdu.Command{CLA: 0x84, INS: apdu.InsApplicationBlock, Data: make([]byte, 8)},
	))
	f.Add(byte(1), joinCommands(apdu.Select(h("A000000003"), false), apdu.Select(h("A000000003"), true),
		apdu.Command{INS: apdu.InsGetResponse, Le: 10}, apdu.ReadRecord(1, 1)))
	f.Add(byte(2), joinCommands(apdu.Select(h("A0000000041010"), false), apdu.GetProcessingOptions(h("220826")),
		apdu.InternalAuthenticate(h("01020304")), apdu.Verify(0x88, make([]byte, 128)), apdu.GetData(0x9F36)))
	f.Add(byte(0), []byte{4, 0x84, 0x24, 0, 2, 3, 0x80, 0xAE, 0x90})
	// The commands of the recorded sessions (at most 64 of them), in order,
	// to the profile each was recorded from where it is a template.
	for i, s := range fuzzseed.Sessions(f) {
		if i == 64 {
			break
		}
		var in []byte
		for _, x := range s.Exchanges[:min(len(s.Exchanges), 64)] {
			in = append(in, byte(len(x.Command)))
			in = append(in, x.Command...)
		}
		which := byte(0)
		switch {
		case strings.Contains(s.Source, "profile signature-t0,"):
			which = 1
		case strings.Contains(s.Source, "profile mastercard-dda,"):
			which = 2
		}
		f.Add(which, in)
	}
	f.Fuzz(func(t *testing.T, which byte, input []byte) {
		templates := fuzzCards()
		c := templates[int(which)%len(templates)].clone()
		ctx := context.Background()
		cmds := splitCommands(input)
		atc := make([]uint16, len(c.apps))
		for _, cmd := range cmds {
			resp, err := c.Transmit(ctx, cmd)
			if err != nil {
				t.Fatalf("command % X: %v", cmd, err)
			}
			if len(resp) < 2 {
				t.Fatalf("command % X: response % X has no status word", cmd, resp)
			}
			if len(resp) > 258 {
				t.Fatalf("command % X: response of %d bytes", cmd, len(resp))
			}
			// The ATC never goes back (Book 3 Annex A: it counts
			// transactions).
			for i, a := range c.apps {
				if a.atc < atc[i] {
					t.Fatalf("ATC went back from %04X to %04X", atc[i], a.atc)
				}
				atc[i] = a.atc
			}
		}
		if got := len(c.Exchanges()); got != len(cmds) {
			t.Fatalf("%d exchanges recorded for %d commands", got, len(cmds))
		}
		resp, err := c.Transmit(ctx, h("00A404000E315041592E5359532E444446303100"))
		if err != nil || len(resp) < 2 {
			t.Fatalf("card wedged: % X %v", resp, err)
		}
	})
}

// FuzzParseProfile: a profile either fails to parse with ErrProfile or
// round-trips through JSON to an equal profile that validates.
func FuzzParseProfile(f *testing.F) {
	for _, name := range BuiltinProfiles() {
		b, err := BuiltinProfile(name).JSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"pan":"1234567890123","applications":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			if p != nil {
				t.Fatal("profile returned with an error")
			}
			return
		}
		js, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseProfile(js)
		if err != nil {
			t.Fatalf("re-encoded profile does not parse: %v", err)
		}
		js2, _ := q.JSON()
		if !bytes.Equal(js, js2) {
			t.Fatal("profile does not round-trip")
		}
	})
}

// FuzzIssuerAuthorise: the issuer answers or refuses any ICC data without
// panicking; an answer always carries issuer authentication data.
func FuzzIssuerAuthorise(f *testing.F) {
	f.Add(h("9F2608000000000000000082023D009F360200119F1007060112030000005A0847617390010101195F340101"))
	f.Add([]byte{})
	// The first GENERATE AC answers of the recorded sessions (format 2:
	// the data objects of template 77), as the ICC data of a request.
	for _, r := range fuzzseed.Responses(f, apdu.InsGenerateAC) {
		if tag, v, err := tlv.Single(r[:len(r)-2]); err == nil && tag == 0x77 {
			f.Add(v)
		}
	}
	iss, err := NewIssuer(IssuerConfig{Rule: func(_ *AuthorisationRequest, v bool) Decision {
		return Decision{Approve: v, Scripts: []Script{{Template: 0x72, Commands: []ScriptCommand{PINChange("1234"), ApplicationBlock()}}}}
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, icc []byte) {
		resp, err := iss.Authorise(context.Background(), &AuthorisationRequest{ICCData: icc})
		if err != nil {
			return
		}
		if len(resp.IssuerAuthenticationData) != 10 {
			t.Fatalf("issuer authentication data % X", resp.IssuerAuthenticationData)
		}
	})
}

// FuzzVPCD feeds arbitrary bytes to the vpcd server as if from pcscd:
// it must never panic, must end when the reader hangs up, and must answer
// only in well-formed frames.
func FuzzVPCD(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 1, 4, 0, 5, 0, 0xA4, 4, 0, 0})
	f.Add([]byte{0, 1, 2, 0, 1, 0, 0xFF})
	// Power on, ATR, then the commands of a recorded session, each framed
	// as pcscd frames it (two length bytes); 16 sessions.
	for i, s := range fuzzseed.Sessions(f) {
		if i == 16 {
			break
		}
		in := []byte{0, 1, 1, 0, 1, 4}
		for _, x := range s.Exchanges[:min(len(s.Exchanges), 32)] {
			in = binary.BigEndian.AppendUint16(in, uint16(len(x.Command)))
			in = append(in, x.Command...)
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		card := fuzzCards()[0].clone()
		server, reader := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- ServeVPCDConn(context.Background(), server, card) }()
		got := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(reader)
			got <- b
		}()
		// The pipe is synchronous: Write returns once the server has read
		// the input (or has stopped and closed its end).
		reader.Write(in)
		reader.Close()
		<-done
		out := <-got
		for len(out) > 0 {
			if len(out) < 2 {
				t.Fatalf("truncated frame header % X", out)
			}
			n := int(binary.BigEndian.Uint16(out))
			if n > len(out)-2 {
				t.Fatalf("frame of %d bytes with %d left", n, len(out)-2)
			}
			out = out[2+n:]
		}
	})
}
