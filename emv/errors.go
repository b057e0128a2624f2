package emv

import (
	"errors"
	"fmt"
)

// Step names a function of the transaction flow (Book 3 §10, Book 1 §12).
type Step int

// The steps, in the order the flow runs them.
const (
	StepSelection                 Step = iota + 1 // Book 1 §12
	StepInitiateProcessing                        // Book 3 §10.1
	StepReadApplicationData                       // Book 3 §10.2
	StepOfflineDataAuthentication                 // Book 3 §10.3
	StepProcessingRestrictions                    // Book 3 §10.4
	StepCardholderVerification                    // Book 3 §10.5
	StepTerminalRiskManagement                    // Book 3 §10.6
	StepTerminalActionAnalysis                    // Book 3 §10.7
	StepCardActionAnalysis                        // Book 3 §10.8
	StepOnlineProcessing                          // Book 3 §10.9
	StepIssuerScripts                             // Book 3 §10.10
	StepCompletion                                // Book 3 §10.11
)

var stepNames = [...]string{
	StepSelection:                 "application selection",
	StepInitiateProcessing:        "initiate application processing",
	StepReadApplicationData:       "read application data",
	StepOfflineDataAuthentication: "offline data authentication",
	StepProcessingRestrictions:    "processing restrictions",
	StepCardholderVerification:    "cardholder verification",
	StepTerminalRiskManagement:    "terminal risk management",
	StepTerminalActionAnalysis:    "terminal action analysis",
	StepCardActionAnalysis:        "card action analysis",
	StepOnlineProcessing:          "online processing",
	StepIssuerScripts:             "issuer script processing",
	StepCompletion:                "completion",
}

// String returns the step's name as Book 3 writes it.
func (s Step) String() string {
	if s > 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step %d", int(s))
}

// Reasons a transaction is terminated. A [*TerminatedError] wraps one of
// them (or an error from apdu, tlv or the context); test with errors.Is.
var (
	// ErrNotAccepted: no application of the card is supported by the
	// terminal, or every candidate was refused (Book 1 §12.4: "Not
	// accepted").
	ErrNotAccepted = errors.New("emv: no mutually supported application (not accepted)")
	// ErrCardBlocked: the card answered SELECT of the PSE with 6A81, the
	// card is blocked or does not support SELECT (Book 1 §12.3.2).
	ErrCardBlocked = errors.New("emv: card blocked or SELECT not supported")
	// ErrCardData: a response the card sent is not formatted as the
	// books require (Book 3 §10.2: "the transaction shall be terminated").
	ErrCardData = errors.New("emv: card data malformed")
	// ErrMissingData: a data object the books make mandatory is absent
	// (Book 3 §7.2, §10.2).
	ErrMissingData = errors.New("emv: mandatory data missing")
	// ErrDuplicateData: a primitive data object came twice in the records
	// (Book 3 §10.2).
	ErrDuplicateData = errors.New("emv: data object returned twice")
	// ErrCardRefused: the card answered a command with a status word the
	// step cannot go on from (Book 3 §6.3.5). The cause is an
	// *apdu.StatusError.
	ErrCardRefused = errors.New("emv: card refused a command")
	// ErrTransaction: the Transaction given by the terminal is invalid.
	ErrTransaction = errors.New("emv: invalid transaction")
	// ErrCancelled: the terminal cancelled the transaction.
	ErrCancelled = errors.New("emv: transaction cancelled by the terminal")
)

// TerminatedError reports a transaction that stopped before its end: the
// step it stopped in and why. Err is the cause: one of the Err* reasons of
// this package, apdu.ErrCardRemoved, a *apdu.StatusError, a *tlv.ParseError,
// a *ConfigError or the context's error.
type TerminatedError struct {
	Step   Step
	Reason string // what happened, for a person: "AFL entry 2 has SFI 0"
	Err    error
}

func (e *TerminatedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("emv: transaction terminated in %s: %v", e.Step, e.Err)
	}
	return fmt.Sprintf("emv: transaction terminated in %s: %s: %v", e.Step, e.Reason, e.Err)
}

func (e *TerminatedError) Unwrap() error { return e.Err }

// cardDataError wraps a malformed-data reason so that errors.Is finds both
// ErrCardData and the underlying parse error.
type cardDataError struct{ err error }

func (e *cardDataError) Error() string { return fmt.Sprintf("%v: %v", ErrCardData, e.err) }
func (e *cardDataError) Unwrap() []error {
	return []error{ErrCardData, e.err}
}

// refusedError wraps a status error so that errors.Is finds ErrCardRefused
// and errors.As the *apdu.StatusError.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return fmt.Sprintf("%v: %v", ErrCardRefused, e.err) }
func (e *refusedError) Unwrap() []error {
	return []error{ErrCardRefused, e.err}
}
