package contactless

import "bytes"

// TTQ bits that pre-processing reads and sets (Book A Annex A, Book C-3
// Annex A: Terminal Transaction Qualifiers 9F66).
const (
	ttqOfflineOnlyReader        = 0x08 // byte 1 bit 4
	ttqOnlineCryptogramRequired = 0x80 // byte 2 bit 8
	ttqCVMRequired              = 0x40 // byte 2 bit 7
)

// Preprocessed is one combination as pre-processing left it: the reader
// configuration in effect for the transaction and its indicators.
type Preprocessed struct {
	Config     *CombinationConfig
	Indicators Indicators
}

// Preprocess performs Entry Point pre-processing (Book B §3.1.1) for the
// transaction on every combination of cfg that is in effect for the
// transaction's type (see [CombinationConfig.TransactionTypes]), in the
// order of cfg.Combinations. It only reads cfg and txn.
func Preprocess(cfg *Config, txn *Transaction) []Preprocessed {
	out := make([]Preprocessed, 0, len(cfg.Combinations))
	for i := range cfg.Combinations {
		cc := &cfg.Combinations[i]
		if !inEffect(cfg, i, txn.Type) {
			continue
		}
		out = append(out, Preprocessed{Config: cc, Indicators: preprocessOne(cc, txn, cfg.CurrencyExponent)})
	}
	return out
}

// inEffect reports whether configuration i is the one in effect for its
// combination {AID, Kernel ID} and transaction type typ: the first
// configuration of the combination whose types name typ, else the first
// that names no type (Book B §3.1.1, Table 3-1 allows configuration per
// transaction type).
func inEffect(cfg *Config, i int, typ byte) bool {
	cc := &cfg.Combinations[i]
	named := func(c *CombinationConfig) bool { return bytes.IndexByte(c.TransactionTypes, typ) >= 0 }
	same := func(c *CombinationConfig) bool { return c.Kernel == cc.Kernel && bytes.Equal(c.AID, cc.AID) }
	first := -1
	for j := range cfg.Combinations {
		if c := &cfg.Combinations[j]; same(c) && named(c) {
			first = j
			break
		}
	}
	if first < 0 {
		for j := range cfg.Combinations {
			if c := &cfg.Combinations[j]; same(c) && len(c.TransactionTypes) == 0 {
				first = j
				break
			}
		}
	}
	return first == i
}

// preprocessOne sets the indicators of one combination, requirement by
// requirement of Book B §3.1.1.
func preprocessOne(cc *CombinationConfig, txn *Transaction, exponent int) Indicators {
	// §3.1.1.1: every indicator starts at 0.
	var ind Indicators
	amount := txn.Amount

	// §3.1.1.2: the TTQ, when configured, is copied, with Online Cryptogram
	// Required and CVM Required (byte 2 bits 8 and 7) reset: only
	// pre-processing sets them.
	hasTTQ := len(cc.TTQ) == 4
	if hasTTQ {
		copy(ind.TTQ[:], cc.TTQ)
		ind.TTQ[1] &^= ttqOnlineCryptogramRequired | ttqCVMRequired
	}

	// §3.1.1.3: Status Check Support flag 1 and the amount a single unit
	// of the currency (1.00 for exponent 2: 10^exponent minor units).
	if cc.StatusCheckSupport && amount == unit(exponent) {
		ind.StatusCheckRequested = true
	}

	// §3.1.1.4: a zero amount is not allowed when the Zero Amount Allowed
	// flag is 0; otherwise it is flagged.
	if amount == 0 {
		if !cc.ZeroAmountAllowed {
			ind.ContactlessApplicationNotAllowed = true
		} else {
			ind.ZeroAmount = true
		}
	}

	// §3.1.1.5: at or above the Reader Contactless Transaction Limit the
	// combination is not allowed (greater than or equal).
	if l := cc.ReaderContactlessTransactionLimit; l != nil && amount >= *l {
		ind.ContactlessApplicationNotAllowed = true
		ind.ReaderContactlessTransactionLimitExceeded = true
	}

	// §3.1.1.6: above the Reader Contactless Floor Limit (strictly
	// greater).
	// §3.1.1.7: when the reader has no contactless floor limit, above the
	// Terminal Floor Limit 9F1B (strictly greater).
	if l := cc.ReaderContactlessFloorLimit; l != nil {
		if amount > *l {
			ind.ReaderContactlessFloorLimitExceeded = true
		}
	} else if l := cc.TerminalFloorLimit; l != nil && amount > *l {
		ind.ReaderContactlessFloorLimitExceeded = true
	}

	// §3.1.1.8: at or above the Reader CVM Required Limit (greater than or
	// equal).
	if l := cc.ReaderCVMRequiredLimit; l != nil && amount >= *l {
		ind.ReaderCVMRequiredLimitExceeded = true
	}

	if !hasTTQ {
		return ind
	}
	// §3.1.1.9: floor limit exceeded: Online Cryptogram Required.
	if ind.ReaderContactlessFloorLimitExceeded {
		ind.TTQ[1] |= ttqOnlineCryptogramRequired
	}
	// §3.1.1.10: status check requested: Online Cryptogram Required.
	if ind.StatusCheckRequested {
		ind.TTQ[1] |= ttqOnlineCryptogramRequired
	}
	// §3.1.1.11: a zero amount goes online, unless the reader is offline
	// only (TTQ byte 1 bit 4), which cannot: then the combination is not
	// allowed.
	if ind.ZeroAmount {
		if ind.TTQ[0]&ttqOfflineOnlyReader == 0 {
			ind.TTQ[1] |= ttqOnlineCryptogramRequired
		} else {
			ind.ContactlessApplicationNotAllowed = true
		}
	}
	// §3.1.1.12: CVM required limit reached: CVM Required.
	if ind.ReaderCVMRequiredLimitExceeded {
		ind.TTQ[1] |= ttqCVMRequired
	}
	return ind
}

// unit is one unit of a currency with the given exponent, in minor units.
func unit(exponent int) uint64 {
	u := uint64(1)
	for range exponent {
		u *= 10
	}
	return u
}

// allNotAllowed reports whether no combination may run the transaction
// (Book B §3.1.1.13). With no combination in effect at all it is true.
func allNotAllowed(p []Preprocessed) bool {
	for _, c := range p {
		if !c.Indicators.ContactlessApplicationNotAllowed {
			return false
		}
	}
	return true
}

// preprocessingTryAnotherInterface is the outcome of Book B §3.1.1.13: every
// combination is not allowed, so the contactless interface cannot serve
// the transaction. The UI request asks for the card to be inserted or
// swiped (Message 18, Status Processing Error).
func preprocessingTryAnotherInterface() *Outcome {
	p := NewParameterSet(StatusTryAnotherInterface)
	p.UIRequestOnOutcome = &UIRequest{Message: MsgInsertOrSwipeCard, Status: UIProcessingError}
	return &Outcome{Parameters: p}
}
