package contactless

import (
	"io"
	"log/slog"
	"time"

	"github.com/emvkit/emvkit/oda"
)

// Transaction is one contactless transaction's data, given to the Entry
// Point at Start A (Book B §3.1).
type Transaction struct {
	// Type is the Transaction Type 9C (ISO 8583 processing code, first two
	// digits): 00 purchase, 01 cash, 09 purchase with cashback, 20 refund.
	Type byte

	// Amount is the Amount, Authorised 9F02 in minor units of the
	// terminal's currency; for purchase with cashback it includes
	// the cashback. At most 999999999999.
	Amount uint64

	// OtherAmount is the Amount, Other 9F03 (the cashback).
	OtherAmount uint64

	// Time is the transaction's date and time (9A, 9F21). Zero: the Entry
	// Point's clock at Start A.
	Time time.Time
}

// Indicators are the Entry Point Pre-Processing Indicators of one
// combination (Book B §3.1.1, Table 3-2), the result of pre-processing.
type Indicators struct {
	StatusCheckRequested                      bool
	ContactlessApplicationNotAllowed          bool
	ZeroAmount                                bool
	ReaderCVMRequiredLimitExceeded            bool
	ReaderContactlessFloorLimitExceeded       bool
	ReaderContactlessTransactionLimitExceeded bool

	// TTQ is the copy of the Terminal Transaction Qualifiers 9F66 for this
	// combination, with the bits pre-processing set (Book B §3.1.1.2 resets
	// byte 2 bits 8 and 7, §3.1.1.9 to §3.1.1.12 set them: online
	// cryptogram required, CVM required). Zero when the combination has no
	// TTQ configured.
	TTQ [4]byte
}

// Combination is one of the reader's combinations {AID, Kernel ID} as
// selected from the card (Book B §3.3.2): the AID the card offered, its
// kernel and the configuration that applies.
type Combination struct {
	// AID is the ADF Name (4F) from the directory entry, extended by the
	// Extended Selection (9F29) when the reader supports it
	// (Book B §3.3.2.6); it is the name sent in the final SELECT.
	AID []byte
	// Kernel is the Kernel ID of the combination.
	Kernel KernelID
	// KernelIdentifier is the card's Kernel Identifier 9F2A as it was in the
	// directory entry (1 to 8 bytes), nil when the entry had none and the
	// default kernel of the RID was taken (Book B §3.3.2.5).
	KernelIdentifier []byte
	// Label is the Application Label 50 of the directory entry.
	Label string
	// Priority is the Application Priority Indicator 87 of the entry, 0
	// when absent.
	Priority byte
	// Config is the reader configuration of the combination.
	Config *CombinationConfig
}

// Config is a contactless reader's configuration (Book A §5.1, Book B
// §3.1): the terminal's data, the combinations it supports and the
// Entry Point's clock and randomness. Every field says what its zero value
// means. A Config must not be changed while a transaction uses it.
type Config struct {
	// Terminal data shared by every kernel (Book A Annex A, Book 4).
	// TerminalType is 9F35; zero: 0x22. Capabilities is Terminal
	// Capabilities 9F33 and AdditionalCapabilities 9F40, zero: those of
	// the contact kernel's defaults (E0F8C8, F000F0A001). Country 9F1A and
	// Currency 5F2A are required; CurrencyExponent is 5F36.
	TerminalType           byte
	Capabilities           [3]byte
	AdditionalCapabilities [5]byte
	Country                uint16
	Currency               uint16
	CurrencyExponent       int
	MerchantCategory       uint16 // 9F15; zero: 0000
	MerchantID             string // 9F16; zero: absent
	MerchantNameLocation   string // 9F4E; zero: absent
	TerminalID             string // 9F1C; zero: absent
	IFDSerial              string // 9F1E; zero: absent
	AcquirerID             string // 9F01; zero: absent

	// Languages are the languages the reader shows its cardholder messages
	// in (ISO 639-1, two lower-case letters: "zh", "en"), the default
	// first. [UIRequest.Language] chooses among them by the card's Language
	// Preference (Book A §7.1, Book 4 §11.1) and [MessageID.Text] has the
	// texts for "en" and "zh". Nil: English only.
	Languages []string

	// Combinations are the reader's combinations. When several match
	// one directory entry of the card, the first serves it; ties of
	// priority between entries keep the card's directory order
	// (Book B §3.3.3). Required.
	Combinations []CombinationConfig

	// CAKeys holds the CA public keys for offline data authentication.
	// Nil: no keys.
	CAKeys *oda.KeyStore

	// ExceptionFile reports whether a card is on the terminal exception
	// file. Nil: no exception file.
	ExceptionFile func(pan, panSequence []byte) bool

	// Time is the clock for the transaction date and time. Zero: time.Now.
	Time func() time.Time
	// Rand is the source of unpredictable numbers. Zero: crypto/rand.
	Rand io.Reader
	// Logger receives a record of each stage. Zero: nothing is logged.
	Logger *slog.Logger
}

// CombinationConfig is the reader configuration of one combination
// {AID, Kernel ID}, optionally for some transaction types only (Book B
// §3.1.1, Table 3-1: the configuration data per combination). Limits are
// in minor units; a nil limit is absent, and Book B says what an absent
// limit means for each check.
type CombinationConfig struct {
	// AID is the terminal's AID, 5 to 16 bytes. A card AID matches when it
	// begins with it (partial selection, Book B §3.3.2.2). Required.
	AID []byte
	// Kernel is the Kernel ID of the combination. Required.
	Kernel KernelID
	// ExtendedKernelID is, for a domestic kernel (Kernel with bit 8 or 7
	// set), the Extended Kernel ID (bytes 2 and 3 of the Kernel Identifier
	// 9F2A) the card's entry must name (Book B §3.3.2.5). Nil: any.
	ExtendedKernelID []byte
	// TransactionTypes restricts the configuration to these transaction
	// types (9C). Empty: every type. When several configurations of the
	// same combination match, the first one whose types name the
	// transaction's type wins, then the first with no types.
	TransactionTypes []byte

	// ApplicationVersion is the terminal's Application Version Number 9F09
	// for the AID. Zero: absent.
	ApplicationVersion []byte

	StatusCheckSupport       bool // Book B §3.1.1.3
	ZeroAmountAllowed        bool // Book B §3.1.1.4; false: a zero amount is not allowed
	ExtendedSelectionSupport bool // Book B §3.3.2.6

	ReaderContactlessTransactionLimit *uint64 // Book B §3.1.1.5
	ReaderContactlessFloorLimit       *uint64 // Book B §3.1.1.6
	TerminalFloorLimit                *uint64 // 9F1B, Book B §3.1.1.7 (used when the reader floor limit is absent)
	ReaderCVMRequiredLimit            *uint64 // Book B §3.1.1.8

	// TTQ is the base value of the Terminal Transaction Qualifiers 9F66
	// for the combination (Book A Annex A, Book C-3 Annex A); nil when the
	// kernel uses no TTQ (Kernel 2).
	TTQ []byte

	// KernelData holds the combination's kernel-specific terminal data
	// objects as BER-TLV (for Kernel 2: the Kernel Configuration DF811B,
	// the action codes DF8120-DF8122, the CVM capabilities DF8118/DF8119,
	// ...). The Entry Point passes them to the kernel in
	// [Activation.TerminalData].
	KernelData []byte
}
