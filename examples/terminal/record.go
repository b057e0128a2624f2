package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
)

// recorder keeps what a replay of the transaction needs and the kernel
// does not return: the random bytes drawn, the issuer's answer and what
// the PIN pad answered (as tokens, never the PIN), in an emv.AnswerLog.
type recorder struct {
	cfg     emv.Config // as configured, before the recorder's clock and random source
	answers *emv.AnswerLog
}

// newRecorder sets cfg's random source and clock and term's seams to ones
// that record (emv.RecordAnswers). The clock is the transaction's time,
// which a replay gives the kernel as both.
func newRecorder(cfg *emv.Config, at time.Time, term *emv.Terminal) *recorder {
	r := &recorder{cfg: *cfg}
	cfg.Time = func() time.Time { return at }
	rcfg, rterm, answers := emv.RecordAnswers(cfg, term)
	*cfg, *term, r.answers = *rcfg, *rterm, answers
	return r
}

// write writes the session to o.record, masked with -mask. A card in a
// reader is a real one: unless masked, the file holds its PAN, track 2
// and cardholder name in clear, which is said on stderr.
func (r *recorder) write(o options, txn emv.Transaction, res *emv.Result, runErr error, reader *app.Reader, stderr io.Writer) error {
	k, err := emv.NewRecording(&r.cfg, txn, res, runErr, r.answers.Answers())
	if err != nil {
		return fmt.Errorf("-record: %w", err)
	}
	kernel, err := json.Marshal(k)
	if err != nil {
		return err
	}
	source := "examples/terminal, virtual card " + o.card
	if reader != nil {
		source = "examples/terminal, " + reader.Describe()
	}
	proves := fmt.Sprintf("a %s of %s: %s, TVR %X, TSI %X, CVM Results %X", txn.Type, termkit.ConfigCurrency(&r.cfg).Display(txn.Amount), res.Outcome, res.TVR[:], res.TSI[:], res.CVMResults[:])
	if runErr != nil {
		proves += " (" + runErr.Error() + ")"
	}
	s := res.Trace.Session(source, proves)
	s.Kernel = kernel
	if o.mask {
		s = s.Masked()
	} else if reader != nil {
		fmt.Fprintf(stderr, "terminal: warning: %s holds the card's PAN, track 2 and cardholder name in clear (file mode 0600); -mask writes them masked, but a masked recording cannot replay offline data authentication\n", o.record)
	}
	return app.WriteSession(o.record, s)
}
