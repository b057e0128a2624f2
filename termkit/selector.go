package termkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emvkit/emvkit/emv"
)

// Selector is an [emv.Selector], the cardholder's side of application
// selection (Book 1 §12.4). With AID set it takes the candidate of that
// AID, as an operator or a test bench names it, and confirms only that
// one; otherwise it lists the candidates on Console and reads the
// cardholder's choice by number, and asks "y" or "n" for an application
// that requires confirmation. When the Console's input ends unanswered
// (a script), Choose takes the first candidate that needs no
// confirmation, as a terminal without cardholder selection would, and
// Confirm says no.
type Selector struct {
	Console *Console
	AID     []byte
}

var _ emv.Selector = (*Selector)(nil)

// Choose returns the index of the chosen candidate. A named AID that is
// not among the candidates is an error that lists them, and terminates
// the transaction.
func (s *Selector) Choose(ctx context.Context, cands []emv.Candidate) (int, error) {
	if s.AID != nil {
		names := make([]string, len(cands))
		for i, c := range cands {
			if bytes.Equal(c.AID, s.AID) {
				return i, nil
			}
			names[i] = fmt.Sprintf("%X", c.AID)
		}
		return 0, fmt.Errorf("termkit: application %X is not one of the card's candidates (%s)", s.AID, strings.Join(names, ", "))
	}
	s.Console.Printf("SELECT APPLICATION\n")
	for i, c := range cands {
		s.Console.Printf("  %d. %s\n", i+1, c.Name())
	}
	for {
		a, err := s.Console.ReadLine(ctx, fmt.Sprintf("Application (1-%d): ", len(cands)))
		if errors.Is(err, ErrNoInput) {
			// Nobody to answer (a script's input ended): choose as a
			// terminal without cardholder selection does, the first
			// candidate that needs no confirmation (Book 1 §12.4).
			for i, c := range cands {
				if !c.ConfirmationRequired() {
					s.Console.Printf("(no answer: %s)\n", c.Name())
					return i, nil
				}
			}
		}
		if err != nil {
			return 0, err
		}
		if n, err := strconv.Atoi(a); err == nil && n >= 1 && n <= len(cands) {
			return n - 1, nil
		}
		s.Console.Printf("Invalid choice.\n")
	}
}

// Confirm asks whether to use the one application offered: with AID set,
// yes exactly when it is that AID.
func (s *Selector) Confirm(ctx context.Context, c emv.Candidate) (bool, error) {
	if s.AID != nil {
		return bytes.Equal(c.AID, s.AID), nil
	}
	a, err := s.Console.ReadLine(ctx, fmt.Sprintf("Use %s? (y/n): ", c.Name()))
	if errors.Is(err, ErrNoInput) {
		return false, nil // nobody confirmed
	}
	if err != nil {
		return false, err
	}
	return strings.EqualFold(a, "y") || strings.EqualFold(a, "yes"), nil
}
