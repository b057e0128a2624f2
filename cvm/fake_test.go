package cvm

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/emvkit/emvkit/oda"
	"github.com/stretchr/testify/assert"
)

// cardStep is one scripted exchange of the fake card: the exact command
// expected (or a check for commands with random content) and the answer.
type cardStep struct {
	cmd   string
	check func(t *testing.T, cmd []byte)
	resp  string // response data then SW1 SW2, hex
	err   error  // Transmit fails instead
}

// fakeCard is a scripted apdu.Transceiver. It fails the test on any
// command other than the next scripted one.
type fakeCard struct {
	t     *testing.T
	steps []cardStep
	n     int
	raw   [][]byte // the buffers Perform passed, not copies
	sent  [][]byte // copies of the commands as they arrived
}

func (c *fakeCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	c.raw = append(c.raw, cmd)
	c.sent = append(c.sent, append([]byte(nil), cmd...))
	if c.n >= len(c.steps) {
		c.t.Errorf("unexpected command %X", cmd)
		return []byte{0x6F, 0x00}, nil
	}
	st := c.steps[c.n]
	c.n++
	if st.check != nil {
		st.check(c.t, cmd)
	} else {
		assert.Equal(c.t, st.cmd, strings.ToUpper(hex.EncodeToString(cmd)), "command %d", c.n)
	}
	if st.err != nil {
		return nil, st.err
	}
	b, err := hex.DecodeString(st.resp)
	if err != nil {
		c.t.Fatalf("bad scripted response %q", st.resp)
	}
	return b, nil
}

// Scripted exchanges (Book 3 §6.5).
func getPTC(n int) cardStep {
	return cardStep{cmd: "80CA9F1700", resp: fmt.Sprintf("9F1701%02X9000", n)}
}

func getPTCAnswer(resp string) cardStep { return cardStep{cmd: "80CA9F1700", resp: resp} }

func verifyPlain(block, sw string) cardStep {
	return cardStep{cmd: "0020008008" + block, resp: sw}
}

func getChallenge(resp string) cardStep { return cardStep{cmd: "0084000000", resp: resp} }

// verifyEnc checks a VERIFY P2 88 by deciphering it with the test key:
// 7F, the format 2 PIN block, the card's unpredictable number, then
// padding (Book 2 §7.2).
func verifyEnc(block, un, sw string) cardStep {
	return cardStep{resp: sw, check: func(t *testing.T, cmd []byte) {
		k := testRSAKey(t)
		n := k.Size()
		if !assert.Len(t, cmd, 5+n) {
			return
		}
		assert.Equal(t, "00200088", strings.ToUpper(hex.EncodeToString(cmd[:4])))
		assert.Equal(t, byte(n), cmd[4])
		m := new(big.Int).Exp(new(big.Int).SetBytes(cmd[5:]), k.D, k.N).FillBytes(make([]byte, n))
		assert.Equal(t, byte(0x7F), m[0])
		assert.Equal(t, block, strings.ToUpper(hex.EncodeToString(m[1:9])))
		assert.Equal(t, un, strings.ToUpper(hex.EncodeToString(m[9:17])))
	}}
}

var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 1024) })

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testPINKey is the public half of the test key, as oda hands it over.
func testPINKey(t testing.TB) *oda.PublicKey {
	k := testRSAKey(t)
	return &oda.PublicKey{Modulus: k.N.Bytes(), Exponent: big.NewInt(int64(k.E)).Bytes()}
}

// padStep is one scripted PIN prompt: what the request must say, and what
// the cardholder does.
type padStep struct {
	kind  PINKind
	tries int
	retry bool
	pin   string // digits; "" with err nil returns an empty PIN
	block string // online PIN block, hex
	err   error
}

func offline(kind PINKind, tries int, retry bool, pin string) padStep {
	return padStep{kind: kind, tries: tries, retry: retry, pin: pin}
}

func offlineErr(kind PINKind, tries int, err error) padStep {
	return padStep{kind: kind, tries: tries, err: err}
}

func online(block string) padStep { return padStep{kind: OnlinePIN, tries: -1, block: block} }

func onlineErr(err error) padStep { return padStep{kind: OnlinePIN, tries: -1, err: err} }

// fakePad is a scripted PINPad. It keeps the digits of every PIN it hands
// out so a test can check they were zeroed.
type fakePad struct {
	t      *testing.T
	steps  []padStep
	n      int
	reqs   []PINRequest
	digits [][]byte
	onCall func()
}

func (p *fakePad) next(req PINRequest) (padStep, bool) {
	p.reqs = append(p.reqs, req)
	if p.onCall != nil {
		p.onCall()
	}
	if p.n >= len(p.steps) {
		p.t.Errorf("unexpected PIN prompt %v", req)
		return padStep{}, false
	}
	st := p.steps[p.n]
	p.n++
	assert.Equal(p.t, st.kind, req.Kind, "prompt %d kind", p.n)
	assert.Equal(p.t, st.tries, req.TriesLeft, "prompt %d tries left", p.n)
	assert.Equal(p.t, st.tries == 1, req.LastTry, "prompt %d last try", p.n)
	assert.Equal(p.t, st.retry, req.Retry, "prompt %d retry", p.n)
	return st, true
}

func (p *fakePad) EnterOfflinePIN(ctx context.Context, req PINRequest) (PIN, error) {
	st, ok := p.next(req)
	if !ok {
		return PIN{}, ErrPINPadNotWorking
	}
	assert.Nil(p.t, req.PAN, "no PAN for an offline PIN prompt")
	if st.err != nil {
		return PIN{}, st.err
	}
	if st.pin == "" {
		return PIN{}, nil
	}
	pin, err := NewPIN([]byte(st.pin))
	if err != nil {
		p.t.Fatal(err)
	}
	p.digits = append(p.digits, pin.digits())
	return pin, nil
}

func (p *fakePad) EnterOnlinePIN(ctx context.Context, req PINRequest) (OnlinePINBlock, error) {
	st, ok := p.next(req)
	if !ok {
		return OnlinePINBlock{}, ErrPINPadNotWorking
	}
	assert.Equal(p.t, testPAN, strings.ToUpper(hex.EncodeToString(req.PAN)))
	if st.err != nil {
		return OnlinePINBlock{}, st.err
	}
	b, _ := hex.DecodeString(st.block)
	return NewOnlinePINBlock(Format0, b, nil), nil
}
