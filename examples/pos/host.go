package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/tlv"
)

// dialAttempts is how often the counter dials the acquirer before it
// reports a communication failure, and answerTimeout how long it waits
// for an answer once the request is sent.
const (
	dialAttempts  = 3
	answerTimeout = 30 * time.Second
)

// errLineDown is a dial that did not connect; errAnswerLost a request
// sent whose answer did not come in time.
var (
	errLineDown   = errors.New("pos: no connection to the acquirer")
	errAnswerLost = errors.New("pos: no answer from the acquirer in time")
)

// faults are the virtual line's failures, for a test bench (-fault), on
// the transactions' messages (not sign-on, sign-off or settlement):
// dials that fail, answers that are lost after the acquirer processed the
// request, and an ARPC damaged on the way (the card then refuses what the
// issuer approved).
type faults struct {
	down, lose int
	breakARPC  bool
}

// parseFaults reads -fault: a comma-separated list of "downN", "loseN",
// "arpc".
func parseFaults(s string) (faults, error) {
	var f faults
	if s == "" {
		return f, nil
	}
	for _, p := range splitComma(s) {
		var n int
		switch {
		case p == "arpc":
			f.breakARPC = true
		case len(p) > 4 && p[:4] == "down":
			if _, err := fmt.Sscanf(p[4:], "%d", &n); err != nil || n < 0 {
				return f, fmt.Errorf("pos: -fault %q: downN", p)
			}
			f.down = n
		case len(p) > 4 && p[:4] == "lose":
			if _, err := fmt.Sscanf(p[4:], "%d", &n); err != nil || n < 0 {
				return f, fmt.Errorf("pos: -fault %q: loseN", p)
			}
			f.lose = n
		default:
			return f, fmt.Errorf("pos: -fault %q: want downN, loseN or arpc", p)
		}
	}
	return f, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// exchange sends one message to the acquirer over the virtual line:
// "dialling" up to dialAttempts times, then the request, then the wait
// for the answer (answerTimeout). A nil answer with a nil error is a
// communication failure the screen has shown; lost reports that the
// request went out and its answer did not come, so that it must be
// reversed.
func (c *counter) exchange(ctx context.Context, req *authRequest) (resp *authResponse, lost bool, err error) {
	connected := false
	for i := 1; i <= dialAttempts; i++ {
		c.con.Printf("%s (%d/%d)...\n", c.tr("dialling"), i, dialAttempts)
		if c.faults.down > 0 && req.Network == "" {
			c.faults.down--
			continue
		}
		connected = true
		break
	}
	if !connected {
		c.con.Printf("%s: %v\n", c.tr("commFailure"), errLineDown)
		return nil, false, nil
	}
	c.con.Printf("  > %s\n", req)
	actx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	resp, err = c.acq.authorise(actx, req)
	if err == nil && c.faults.lose > 0 && req.Network == "" {
		c.faults.lose--
		resp, err = nil, errAnswerLost
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		c.con.Printf("%s: %v\n", c.tr("commFailure"), err)
		return nil, true, nil
	}
	if c.faults.breakARPC {
		resp.ICCData = damageARPC(resp.ICCData)
	}
	c.con.Printf("  < %s\n", resp)
	return resp, false, nil
}

// damageARPC flips the first bit of the ARPC in the Issuer Authentication
// Data 91 of a field 55.
func damageARPC(icc []byte) []byte {
	out := append([]byte(nil), icc...)
	it := tlv.NewIter(icc)
	for it.Next() {
		if v := it.Value(); it.Tag() == 0x91 && len(v) > 0 {
			out[it.Offset()+len(it.Raw())-len(v)] ^= 0x80
		}
	}
	return out
}

// reverse sends a reversal (0400) of a request whose outcome the host
// does not know: the card refused what the issuer approved, or the answer
// never came. The journal marks the transaction reversed once the
// acquirer answers.
func (c *counter) reverse(ctx context.Context, req *authRequest, why string) (bool, error) {
	c.con.Printf("%s: %s\n", c.tr("reversal"), why)
	rev := *req
	rev.MTI, rev.OnlinePIN, rev.Track2 = "0400", false, nil
	rev.OriginalSTAN = req.STAN
	resp, _, err := c.exchange(ctx, &rev)
	if err != nil {
		return false, err
	}
	return resp != nil && resp.ResponseCode == "00", nil
}

// reverseEntry reverses the request of a journal row: reversed when the
// acquirer answered, else pending, to go again before the next
// transaction (and on the next start: the journal keeps it).
func (c *counter) reverseEntry(ctx context.Context, e *entry, req *authRequest, why string) error {
	ok, err := c.reverse(ctx, req, why)
	if err != nil {
		return err
	}
	e.Reversed, e.ReversalPending = ok, !ok
	return nil
}

// flushReversals sends the reversals still pending, oldest first, before
// anything else goes to the acquirer. The journal has only the masked
// PAN: the acquirer finds the original by the terminal and its STAN
// (fields 41 and 11, 61).
func (c *counter) flushReversals(ctx context.Context) error {
	es, err := c.journal.pendingReversals()
	if err != nil {
		return err
	}
	for _, e := range es {
		k := kindByName(e.Kind)
		req := &authRequest{MTI: k.mti, MaskedPAN: e.MaskedPAN, ProcessingCode: e.ProcessingCode, Amount: e.Amount, STAN: e.STAN,
			Time: e.Time, EntryMode: "000", TerminalID: c.cfg.TerminalID, MerchantID: c.cfg.MerchantID, Currency: c.cfg.Currency,
			ICCData: e.Field55}
		ok, err := c.reverse(ctx, req, fmt.Sprintf("pending since STAN %06d", e.STAN))
		if err != nil {
			return err
		}
		if !ok {
			return nil // the line is still down: the next transaction tries again
		}
		if err := c.journal.markReversed(e.STAN); err != nil {
			return err
		}
	}
	return nil
}
