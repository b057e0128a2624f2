package pcsc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emvkit/emvkit/apdu"
)

// Code is a PC/SC return code as the daemon sends it (a LONG in the C API,
// 32 bits on the wire): 0 is success, 0x801000xx an error or a warning.
// Code is an error, so a daemon's answer can be tested with errors.Is:
//
//	errors.Is(err, pcsc.ErrTimeout)
type Code uint32

// The return codes of the PC/SC specification as pcsc-lite defines them
// (pcsc-lite src/PCSC/pcsclite.h.in; testdata/README.md gives the source).
// E codes are errors, F codes internal failures, W codes warnings about
// the card.
const (
	Success                   Code = 0x00000000
	ErrInternal               Code = 0x80100001 // SCARD_F_INTERNAL_ERROR
	ErrCancelled              Code = 0x80100002 // SCARD_E_CANCELLED
	ErrInvalidHandle          Code = 0x80100003 // SCARD_E_INVALID_HANDLE
	ErrInvalidParameter       Code = 0x80100004 // SCARD_E_INVALID_PARAMETER
	ErrInvalidTarget          Code = 0x80100005 // SCARD_E_INVALID_TARGET
	ErrNoMemory               Code = 0x80100006 // SCARD_E_NO_MEMORY
	ErrWaitedTooLong          Code = 0x80100007 // SCARD_F_WAITED_TOO_LONG
	ErrInsufficientBuffer     Code = 0x80100008 // SCARD_E_INSUFFICIENT_BUFFER
	ErrUnknownReader          Code = 0x80100009 // SCARD_E_UNKNOWN_READER
	ErrTimeout                Code = 0x8010000A // SCARD_E_TIMEOUT
	ErrSharingViolation       Code = 0x8010000B // SCARD_E_SHARING_VIOLATION
	ErrNoSmartcard            Code = 0x8010000C // SCARD_E_NO_SMARTCARD
	ErrUnknownCard            Code = 0x8010000D // SCARD_E_UNKNOWN_CARD
	ErrCantDispose            Code = 0x8010000E // SCARD_E_CANT_DISPOSE
	ErrProtoMismatch          Code = 0x8010000F // SCARD_E_PROTO_MISMATCH
	ErrNotReady               Code = 0x80100010 // SCARD_E_NOT_READY
	ErrInvalidValue           Code = 0x80100011 // SCARD_E_INVALID_VALUE
	ErrSystemCancelled        Code = 0x80100012 // SCARD_E_SYSTEM_CANCELLED
	ErrCommError              Code = 0x80100013 // SCARD_F_COMM_ERROR
	ErrUnknownError           Code = 0x80100014 // SCARD_F_UNKNOWN_ERROR
	ErrInvalidATR             Code = 0x80100015 // SCARD_E_INVALID_ATR
	ErrNotTransacted          Code = 0x80100016 // SCARD_E_NOT_TRANSACTED
	ErrReaderUnavailable      Code = 0x80100017 // SCARD_E_READER_UNAVAILABLE
	ErrShutdown               Code = 0x80100018 // SCARD_P_SHUTDOWN
	ErrPCITooSmall            Code = 0x80100019 // SCARD_E_PCI_TOO_SMALL
	ErrReaderUnsupported      Code = 0x8010001A // SCARD_E_READER_UNSUPPORTED
	ErrDuplicateReader        Code = 0x8010001B // SCARD_E_DUPLICATE_READER
	ErrCardUnsupported        Code = 0x8010001C // SCARD_E_CARD_UNSUPPORTED
	ErrNoService              Code = 0x8010001D // SCARD_E_NO_SERVICE
	ErrServiceStopped         Code = 0x8010001E // SCARD_E_SERVICE_STOPPED
	ErrUnsupportedFeature     Code = 0x8010001F // SCARD_E_UNSUPPORTED_FEATURE (pcsc-lite; SCARD_E_UNEXPECTED elsewhere)
	ErrICCInstallation        Code = 0x80100020 // SCARD_E_ICC_INSTALLATION
	ErrICCCreateOrder         Code = 0x80100021 // SCARD_E_ICC_CREATEORDER
	ErrDirNotFound            Code = 0x80100023 // SCARD_E_DIR_NOT_FOUND
	ErrFileNotFound           Code = 0x80100024 // SCARD_E_FILE_NOT_FOUND
	ErrNoDir                  Code = 0x80100025 // SCARD_E_NO_DIR
	ErrNoFile                 Code = 0x80100026 // SCARD_E_NO_FILE
	ErrNoAccess               Code = 0x80100027 // SCARD_E_NO_ACCESS
	ErrWriteTooMany           Code = 0x80100028 // SCARD_E_WRITE_TOO_MANY
	ErrBadSeek                Code = 0x80100029 // SCARD_E_BAD_SEEK
	ErrInvalidCHV             Code = 0x8010002A // SCARD_E_INVALID_CHV
	ErrUnknownResMng          Code = 0x8010002B // SCARD_E_UNKNOWN_RES_MNG
	ErrNoSuchCertificate      Code = 0x8010002C // SCARD_E_NO_SUCH_CERTIFICATE
	ErrCertificateUnavailable Code = 0x8010002D // SCARD_E_CERTIFICATE_UNAVAILABLE
	ErrNoReadersAvailable     Code = 0x8010002E // SCARD_E_NO_READERS_AVAILABLE
	ErrCommDataLost           Code = 0x8010002F // SCARD_E_COMM_DATA_LOST
	ErrNoKeyContainer         Code = 0x80100030 // SCARD_E_NO_KEY_CONTAINER
	ErrServerTooBusy          Code = 0x80100031 // SCARD_E_SERVER_TOO_BUSY
	WarnUnsupportedCard       Code = 0x80100065 // SCARD_W_UNSUPPORTED_CARD
	WarnUnresponsiveCard      Code = 0x80100066 // SCARD_W_UNRESPONSIVE_CARD
	WarnUnpoweredCard         Code = 0x80100067 // SCARD_W_UNPOWERED_CARD
	WarnResetCard             Code = 0x80100068 // SCARD_W_RESET_CARD
	WarnRemovedCard           Code = 0x80100069 // SCARD_W_REMOVED_CARD
	WarnSecurityViolation     Code = 0x8010006A // SCARD_W_SECURITY_VIOLATION
	WarnWrongCHV              Code = 0x8010006B // SCARD_W_WRONG_CHV
	WarnCHVBlocked            Code = 0x8010006C // SCARD_W_CHV_BLOCKED
	WarnEOF                   Code = 0x8010006D // SCARD_W_EOF
	WarnCancelledByUser       Code = 0x8010006E // SCARD_W_CANCELLED_BY_USER
	WarnCardNotAuthenticated  Code = 0x8010006F // SCARD_W_CARD_NOT_AUTHENTICATED
)

type codeInfo struct{ name, text string }

var codeTable = map[Code]codeInfo{
	Success:                   {"SCARD_S_SUCCESS", "no error"},
	ErrInternal:               {"SCARD_F_INTERNAL_ERROR", "internal consistency check failed"},
	ErrCancelled:              {"SCARD_E_CANCELLED", "the action was cancelled"},
	ErrInvalidHandle:          {"SCARD_E_INVALID_HANDLE", "invalid context or card handle"},
	ErrInvalidParameter:       {"SCARD_E_INVALID_PARAMETER", "a parameter could not be interpreted"},
	ErrInvalidTarget:          {"SCARD_E_INVALID_TARGET", "registry startup information is missing or invalid"},
	ErrNoMemory:               {"SCARD_E_NO_MEMORY", "not enough memory"},
	ErrWaitedTooLong:          {"SCARD_F_WAITED_TOO_LONG", "an internal wait timed out"},
	ErrInsufficientBuffer:     {"SCARD_E_INSUFFICIENT_BUFFER", "the receive buffer is too small"},
	ErrUnknownReader:          {"SCARD_E_UNKNOWN_READER", "no such reader"},
	ErrTimeout:                {"SCARD_E_TIMEOUT", "the timeout expired"},
	ErrSharingViolation:       {"SCARD_E_SHARING_VIOLATION", "the card is in use by another connection"},
	ErrNoSmartcard:            {"SCARD_E_NO_SMARTCARD", "no card in the reader"},
	ErrUnknownCard:            {"SCARD_E_UNKNOWN_CARD", "unknown card type"},
	ErrCantDispose:            {"SCARD_E_CANT_DISPOSE", "the card cannot be disposed of as asked"},
	ErrProtoMismatch:          {"SCARD_E_PROTO_MISMATCH", "the requested protocol is not the card's active protocol"},
	ErrNotReady:               {"SCARD_E_NOT_READY", "the reader or card is not ready"},
	ErrInvalidValue:           {"SCARD_E_INVALID_VALUE", "a value could not be interpreted"},
	ErrSystemCancelled:        {"SCARD_E_SYSTEM_CANCELLED", "the action was cancelled by the system"},
	ErrCommError:              {"SCARD_F_COMM_ERROR", "internal communication error"},
	ErrUnknownError:           {"SCARD_F_UNKNOWN_ERROR", "internal error of unknown cause"},
	ErrInvalidATR:             {"SCARD_E_INVALID_ATR", "invalid ATR"},
	ErrNotTransacted:          {"SCARD_E_NOT_TRANSACTED", "the exchange with the card failed"},
	ErrReaderUnavailable:      {"SCARD_E_READER_UNAVAILABLE", "the reader is not available"},
	ErrShutdown:               {"SCARD_P_SHUTDOWN", "the operation was aborted to let the server stop"},
	ErrPCITooSmall:            {"SCARD_E_PCI_TOO_SMALL", "the PCI receive buffer is too small"},
	ErrReaderUnsupported:      {"SCARD_E_READER_UNSUPPORTED", "the reader driver does not meet minimal requirements"},
	ErrDuplicateReader:        {"SCARD_E_DUPLICATE_READER", "the reader driver made a duplicate reader name"},
	ErrCardUnsupported:        {"SCARD_E_CARD_UNSUPPORTED", "the card does not meet minimal requirements"},
	ErrNoService:              {"SCARD_E_NO_SERVICE", "the smart card service is not running"},
	ErrServiceStopped:         {"SCARD_E_SERVICE_STOPPED", "the smart card service stopped"},
	ErrUnsupportedFeature:     {"SCARD_E_UNSUPPORTED_FEATURE", "the feature is not supported"},
	ErrICCInstallation:        {"SCARD_E_ICC_INSTALLATION", "no primary provider for the card"},
	ErrICCCreateOrder:         {"SCARD_E_ICC_CREATEORDER", "the requested creation order is not supported"},
	ErrDirNotFound:            {"SCARD_E_DIR_NOT_FOUND", "directory not found on the card"},
	ErrFileNotFound:           {"SCARD_E_FILE_NOT_FOUND", "file not found on the card"},
	ErrNoDir:                  {"SCARD_E_NO_DIR", "the path is not a directory"},
	ErrNoFile:                 {"SCARD_E_NO_FILE", "the path is not a file"},
	ErrNoAccess:               {"SCARD_E_NO_ACCESS", "access to the file is denied"},
	ErrWriteTooMany:           {"SCARD_E_WRITE_TOO_MANY", "the card has no room for the data"},
	ErrBadSeek:                {"SCARD_E_BAD_SEEK", "error setting the file pointer"},
	ErrInvalidCHV:             {"SCARD_E_INVALID_CHV", "the PIN is wrong"},
	ErrUnknownResMng:          {"SCARD_E_UNKNOWN_RES_MNG", "unrecognised error code from a layered component"},
	ErrNoSuchCertificate:      {"SCARD_E_NO_SUCH_CERTIFICATE", "no such certificate"},
	ErrCertificateUnavailable: {"SCARD_E_CERTIFICATE_UNAVAILABLE", "the certificate could not be obtained"},
	ErrNoReadersAvailable:     {"SCARD_E_NO_READERS_AVAILABLE", "no reader is available"},
	ErrCommDataLost:           {"SCARD_E_COMM_DATA_LOST", "communication data was lost"},
	ErrNoKeyContainer:         {"SCARD_E_NO_KEY_CONTAINER", "no such key container"},
	ErrServerTooBusy:          {"SCARD_E_SERVER_TOO_BUSY", "the server is too busy"},
	WarnUnsupportedCard:       {"SCARD_W_UNSUPPORTED_CARD", "the card's ATR does not fit the reader's configuration"},
	WarnUnresponsiveCard:      {"SCARD_W_UNRESPONSIVE_CARD", "the card does not answer a reset"},
	WarnUnpoweredCard:         {"SCARD_W_UNPOWERED_CARD", "the card has no power"},
	WarnResetCard:             {"SCARD_W_RESET_CARD", "the card was reset: shared state is invalid"},
	WarnRemovedCard:           {"SCARD_W_REMOVED_CARD", "the card was removed"},
	WarnSecurityViolation:     {"SCARD_W_SECURITY_VIOLATION", "access denied for security reasons"},
	WarnWrongCHV:              {"SCARD_W_WRONG_CHV", "wrong PIN"},
	WarnCHVBlocked:            {"SCARD_W_CHV_BLOCKED", "PIN tries exhausted"},
	WarnEOF:                   {"SCARD_W_EOF", "end of file reached on the card"},
	WarnCancelledByUser:       {"SCARD_W_CANCELLED_BY_USER", "cancelled by the user"},
	WarnCardNotAuthenticated:  {"SCARD_W_CARD_NOT_AUTHENTICATED", "no PIN was presented to the card"},
}

// Name returns the PC/SC name of the code, "SCARD_W_REMOVED_CARD", or
// "SCARD_0x..." for a code the specification does not define.
func (c Code) Name() string {
	if i, ok := codeTable[c]; ok {
		return i.name
	}
	return fmt.Sprintf("SCARD_0x%08X", uint32(c))
}

// String returns the name and the value: "SCARD_E_TIMEOUT (0x8010000A)".
func (c Code) String() string {
	return fmt.Sprintf("%s (0x%08X)", c.Name(), uint32(c))
}

// Error describes the code: "pcsc: SCARD_E_TIMEOUT (0x8010000A): the timeout expired".
func (c Code) Error() string {
	if i, ok := codeTable[c]; ok {
		return "pcsc: " + c.String() + ": " + i.text
	}
	return "pcsc: " + c.String()
}

// CardRemoved reports whether the code says the card is no longer there to
// answer: it was removed ([WarnRemovedCard]), no card is in the reader
// ([ErrNoSmartcard]) or the reader itself went away
// ([ErrReaderUnavailable]).
func (c Code) CardRemoved() bool {
	switch c {
	case WarnRemovedCard, ErrNoSmartcard, ErrReaderUnavailable:
		return true
	}
	return false
}

// ErrNotSupported is returned on systems where this package has no way to
// reach a PC/SC service yet (anything but Linux).
var ErrNotSupported = errors.New("pcsc: PC/SC is not supported on this system")

// ErrClosed reports a call on a released context or a disconnected card, or
// on a context whose connection to the daemon was lost.
var ErrClosed = errors.New("pcsc: use of a closed context or card")

// ErrProtocol reports a daemon reply that does not follow the pcsc-lite
// message protocol (wrong size, impossible length). The connection is
// dropped after it.
var ErrProtocol = errors.New("pcsc: malformed reply from the daemon")

// Error is a failed PC/SC operation. It carries the daemon's return code
// when the daemon answered, or the cause when it did not (a socket error,
// the caller's context). It unwraps to Code, to Err, and, when the card is
// gone, to [apdu.ErrCardRemoved]:
//
//	errors.Is(err, apdu.ErrCardRemoved)
//	errors.Is(err, pcsc.ErrTimeout)
//	var pe *pcsc.Error; errors.As(err, &pe) // pe.Code, pe.Op, pe.Reader
type Error struct {
	Op     string // the operation: "connect", "transmit", "wait", ...
	Reader string // the reader's name, when the operation concerns one
	Code   Code   // the daemon's return code; Success when it gave none
	Err    error  // the cause when the daemon gave no code, else nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pcsc: ")
	b.WriteString(e.Op)
	if e.Reader != "" {
		fmt.Fprintf(&b, " %q", e.Reader)
	}
	if e.Code != Success {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Code.Error(), "pcsc: "))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "pcsc: "))
	}
	return b.String()
}

// Unwrap returns the code, the cause and, if the card is gone,
// [apdu.ErrCardRemoved].
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 3)
	if e.Code != Success {
		errs = append(errs, e.Code)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Code.CardRemoved() {
		errs = append(errs, apdu.ErrCardRemoved)
	}
	return errs
}
