package emvtest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Card is a virtual EMV chip card. It is an [apdu.Transceiver] and is safe
// for use by several goroutines (commands are processed one at a time, as a
// card does).
//
// Configure its knobs ([Card.Inject], [Card.RemoveAt], [Card.SetDelay],
// [Card.SetSleep], [Card.SetRand]) before the first command.
type Card struct {
	mu      sync.Mutex
	profile *Profile // with defaults applied
	apps    []*appState

	// knobs
	faults   []*faultState
	removeAt int
	tearAt   int
	delay    time.Duration
	sleep    func(context.Context, time.Duration) error
	rand     io.Reader

	// state
	n         int // commands received
	removed   bool
	cardBlock bool
	collision bool
	exchanges []Exchange

	// volatile state, reset at power-on
	selected  *appState
	ddf       []byte // name of the selected DDF, nil if none
	nextName  []byte // name of the last SELECT, for next occurrence
	nextIndex int    // index in the apps of the last SELECT's match
	challenge []byte // last GET CHALLENGE answer
	pending   []byte // T=0: response data waiting for GET RESPONSE
	// answerTime is the extra time the command being processed takes
	// (EXCHANGE RELAY RESISTANCE DATA's [RelayResistance.AnswerMicros]).
	answerTime time.Duration
}

// Exchange is one command and the card's answer, as kept by the card.
// The data of a sensitive command (VERIFY, PIN CHANGE/UNBLOCK; see
// [apdu.Command.Sensitive]) is zeros ([apdu.RedactCommand]), so a PIN never
// reaches a record.
type Exchange struct {
	Command  []byte
	Response []byte // nil when Err is set
	Err      error  // apdu.ErrCardRemoved (wrapped) or the context's error
}

// NewCard returns a card made from a copy of profile with its defaults
// applied. It panics if the profile is invalid (check [Profile.Validate] for
// profiles from untrusted files; [LoadProfile] does).
func NewCard(profile *Profile) *Card {
	c, err := newCard(profile)
	if err != nil {
		panic(err)
	}
	return c
}

func newCard(profile *Profile) (*Card, error) {
	if err := profile.Validate(); err != nil {
		return nil, err
	}
	p := profile.withDefaults()
	c := &Card{profile: p, sleep: sleepContext, cardBlock: p.Blocked}
	c.collision = p.Contactless != nil && p.Contactless.Collision
	seed := sha256.Sum256([]byte("emvtest card rand/" + p.Name + "/" + p.PAN))
	c.rand = rand.NewChaCha8(seed)
	for i := range p.Applications {
		pa, err := personalise(p, &p.Applications[i])
		if err != nil {
			return nil, err
		}
		c.apps = append(c.apps, newAppState(pa))
	}
	return c, nil
}

// Profile returns a copy of the profile the card was made from, defaults
// applied.
func (c *Card) Profile() *Profile { return c.profile.Clone() }

// ATR returns the card's answer to reset.
func (c *Card) ATR() []byte { return append([]byte(nil), c.profile.ATR...) }

// CAPublicKey returns the CA public key that signs the issuer certificate
// of the card's first application (see [Card.CAPublicKeys]).
func (c *Card) CAPublicKey() CAPublicKey { return c.apps[0].perso.chain.CAPublicKey() }

// CAPublicKeys returns the CA public keys of all the card's applications,
// one per RID.
func (c *Card) CAPublicKeys() []CAPublicKey {
	var out []CAPublicKey
	seen := map[[5]byte]bool{}
	seenECC := map[[5]byte]bool{}
	for _, a := range c.apps {
		k := a.perso.chain.CAPublicKey()
		if !seen[k.RID] {
			seen[k.RID] = true
			out = append(out, k)
		}
		if a.perso.hasECC && !seenECC[k.RID] {
			seenECC[k.RID] = true
			out = append(out, a.perso.chain.ECCCAPublicKey())
		}
	}
	return out
}

// SetSleep replaces the function that waits out delays (default: a timer
// that stops early when the context ends). Tests of slow cards pass one that
// records the delay instead of waiting.
func (c *Card) SetSleep(sleep func(ctx context.Context, d time.Duration) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleep = sleep
}

// SetDelay makes the card take d to answer every command.
func (c *Card) SetDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delay = d
}

// SetRand replaces the card's source of randomness (GET CHALLENGE, ICC
// Dynamic Numbers). The default is a deterministic stream seeded from the
// profile, so sessions repeat byte for byte.
func (c *Card) SetRand(r io.Reader) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rand = r
}

// RemoveAt pulls the card out when the nth command arrives (counting from 1
// over the card's life): that command and every later one fail with an
// error wrapping [apdu.ErrCardRemoved]. n <= 0 cancels.
func (c *Card) RemoveAt(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeAt = n
}

// TearAt pulls the card out while it answers the nth command (counting from
// 1 over the card's life): the card processes that command, its answer is
// lost (an error wrapping [apdu.ErrCardRemoved]) and every later command
// fails the same way: a torn transaction (Book C-2). n <= 0 cancels.
func (c *Card) TearAt(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tearAt = n
}

// Remove pulls the card out now.
func (c *Card) Remove() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removed = true
}

// Insert puts a removed card back and powers it on (volatile state cleared).
func (c *Card) Insert() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removed = false
	c.removeAt = 0
	c.tearAt = 0
	c.powerOn()
}

// Removed reports whether the card has been pulled out.
func (c *Card) Removed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removed
}

// Reset is a warm reset: it clears the selection and every transaction in
// progress, as a power cycle does, and returns the ATR. Counters (ATC, PIN
// tries) survive.
func (c *Card) Reset() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.powerOn()
	return append([]byte(nil), c.profile.ATR...)
}

func (c *Card) powerOn() {
	c.selected = nil
	c.ddf = nil
	c.nextName = nil
	c.challenge = nil
	c.pending = nil
	for _, a := range c.apps {
		a.tx = txState{}
	}
}

// Exchanges returns a copy of every exchange so far.
func (c *Card) Exchanges() []Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Exchange, len(c.exchanges))
	for i, e := range c.exchanges {
		out[i] = Exchange{Command: append([]byte(nil), e.Command...), Response: append([]byte(nil), e.Response...), Err: e.Err}
		if e.Response == nil {
			out[i].Response = nil
		}
	}
	return out
}

// Session returns the exchanges so far as an [apdu.Session] with the given
// header, ready for [apdu.Session.Write]: a removed card's exchanges carry
// [apdu.SessionErrorCardRemoved], other transport errors their message.
func (c *Card) Session(source, proves string) *apdu.Session {
	s := &apdu.Session{Source: source, Proves: proves}
	for _, e := range c.Exchanges() {
		s.Exchanges = append(s.Exchanges, apdu.NewSessionExchange(e.Command, e.Response, e.Err))
	}
	return s
}

// ClearExchanges forgets the exchanges kept so far.
func (c *Card) ClearExchanges() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exchanges = nil
}

// Commands returns how many commands the card has received.
func (c *Card) Commands() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// ATC returns the Application Transaction Counter of the application with
// the given AID (exact match), or -1 if there is none.
func (c *Card) ATC(aid []byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.app(aid); a != nil {
		return int(a.atc)
	}
	return -1
}

// PINTries returns the PIN tries left of the application with the given
// AID, or -1 if there is none.
func (c *Card) PINTries(aid []byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.app(aid); a != nil {
		return a.pinTries
	}
	return -1
}

// ApplicationBlocked reports whether the application with the given AID is
// blocked (by its profile or by an APPLICATION BLOCK script command).
func (c *Card) ApplicationBlocked(aid []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.app(aid)
	return a != nil && a.blocked
}

// IssuerData returns the current value of one of the application's issuer
// data objects ([Application.IssuerData]), as PUT DATA left it;
// confidential ones included (this is the test's view, not the
// terminal's).
func (c *Card) IssuerData(aid []byte, tag tlv.Tag) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.app(aid); a != nil {
		if d := a.issuerData(tag); d != nil {
			return append([]byte(nil), d.value...), true
		}
	}
	return nil, false
}

func (c *Card) app(aid []byte) *appState {
	for _, a := range c.apps {
		if string(a.perso.cfg.AID) == string(aid) {
			return a
		}
	}
	return nil
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Transmit processes one command APDU and returns the response APDU (data
// followed by SW1 SW2). It returns an error only when the card has been
// removed (wrapping [apdu.ErrCardRemoved]) or ctx ends while the card is
// slow to answer; in that case the card has processed the command and its
// answer is lost, as when a reader gives up on a slow card.
func (c *Card) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.n++
	n := c.n
	if c.removeAt > 0 && n >= c.removeAt {
		c.removed = true
	}
	if c.removed {
		err := fmt.Errorf("emvtest: command %d: %w", n, apdu.ErrCardRemoved)
		c.record(command, nil, err)
		c.mu.Unlock()
		return nil, err
	}
	f := c.matchFault(command)
	delay := c.delay
	if f != nil {
		delay += f.Delay
	}
	sleep := c.sleep
	var resp []byte
	if f != nil && f.SW != 0 {
		if f.Corrupt == ReplaceData {
			resp = append(resp, f.Value...)
		}
		resp = append(resp, byte(f.SW>>8), byte(f.SW))
	} else {
		c.answerTime = 0
		resp = c.process(command)
		delay += c.answerTime
		if f != nil {
			resp = f.apply(resp)
		}
	}
	if c.tearAt > 0 && n == c.tearAt {
		c.removed = true
		err := fmt.Errorf("emvtest: command %d: torn: %w", n, apdu.ErrCardRemoved)
		c.record(command, nil, err)
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()

	if delay > 0 {
		if err := sleep(ctx, delay); err != nil {
			c.mu.Lock()
			c.record(command, nil, err)
			c.mu.Unlock()
			return nil, err
		}
	}
	c.mu.Lock()
	c.record(command, resp, nil)
	c.mu.Unlock()
	return resp, nil
}

// record keeps one exchange, with sensitive command data blanked as
// [apdu.RedactCommand] does.
func (c *Card) record(command, resp []byte, err error) {
	cmd := apdu.RedactCommand(command)
	var r []byte
	if resp != nil {
		r = append([]byte(nil), resp...)
	}
	if len(c.exchanges) == MaxExchanges {
		// A card served for hours (vpcd) must not grow without bound:
		// forget the oldest half.
		c.exchanges = append(c.exchanges[:0], c.exchanges[MaxExchanges/2:]...)
	}
	c.exchanges = append(c.exchanges, Exchange{Command: cmd, Response: r, Err: err})
}

// MaxExchanges is how many exchanges a card keeps; when full it forgets the
// oldest half.
const MaxExchanges = 1 << 16

// clone returns a copy of the card in its present state with no knobs and
// no exchanges: personalisation (keys, certificates) is shared, state is
// not. Fuzzing starts every input from a fresh clone.
func (c *Card) clone() *Card {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &Card{profile: c.profile, sleep: c.sleep, rand: rand.NewChaCha8([32]byte{}), cardBlock: c.cardBlock, collision: c.collision}
	for _, a := range c.apps {
		b := *a
		b.records = make(map[recordID][]byte, len(a.records))
		for k, v := range a.records {
			b.records[k] = v
		}
		b.tx = txState{}
		d.apps = append(d.apps, &b)
	}
	return d
}
