package apdu

import "fmt"

// SW is a status word, SW1 and SW2 read big-endian: 0x9000.
type SW uint16

// Status words the EMV books use (Book 1 §11, Book 3 §6.3.5 and §10).
const (
	SWOK                             SW = 0x9000
	SWWarningSelectedFileInvalidated SW = 0x6283 // application blocked (Book 1 §12.3.2)
	SWVerifyFailedNoInfo             SW = 0x6300
	SWWrongLength                    SW = 0x6700
	SWCommandIncompatible            SW = 0x6981
	SWSecurityStatusNotSatisfied     SW = 0x6982
	SWAuthenticationBlocked          SW = 0x6983 // PIN try limit exceeded / blocked
	SWReferencedDataInvalidated      SW = 0x6984
	SWConditionsNotSatisfied         SW = 0x6985
	SWCommandNotAllowed              SW = 0x6986
	SWIncorrectData                  SW = 0x6A80
	SWFunctionNotSupported           SW = 0x6A81 // card or application blocked
	SWFileNotFound                   SW = 0x6A82
	SWRecordNotFound                 SW = 0x6A83
	SWNotEnoughMemory                SW = 0x6A84
	SWIncorrectP1P2                  SW = 0x6A86
	SWReferencedDataNotFound         SW = 0x6A88
	SWWrongP1P2                      SW = 0x6B00
	SWINSNotSupported                SW = 0x6D00
	SWCLANotSupported                SW = 0x6E00
	SWNoPreciseDiagnosis             SW = 0x6F00
)

// SW1 returns the first status byte.
func (sw SW) SW1() byte { return byte(sw >> 8) }

// SW2 returns the second status byte.
func (sw SW) SW2() byte { return byte(sw) }

// OK reports whether sw is 9000.
func (sw SW) OK() bool { return sw == SWOK }

// IsWarning reports whether sw is a warning (62xx or 63xx): the command was
// processed and may have returned data (Book 1 §9.4.4 keeps the data of 62xx
// and 63xx responses).
func (sw SW) IsWarning() bool { return sw.SW1() == 0x62 || sw.SW1() == 0x63 }

// VerifyTriesLeft reports, for a 63Cx answer to VERIFY, the number of PIN
// tries left (Book 3 §6.5.12.4).
func (sw SW) VerifyTriesLeft() (n int, ok bool) {
	if sw&0xFFF0 == 0x63C0 {
		return int(sw & 0x0F), true
	}
	return 0, false
}

var swNames = map[SW]string{
	SWOK:                             "success",
	SWWarningSelectedFileInvalidated: "selected file invalidated",
	SWVerifyFailedNoInfo:             "verification failed",
	0x6281:                           "part of returned data may be corrupted",
	0x6282:                           "end of file or record reached",
	0x6400:                           "state of non-volatile memory unchanged",
	0x6581:                           "memory failure",
	SWWrongLength:                    "wrong length",
	0x6882:                           "secure messaging not supported",
	SWCommandIncompatible:            "command incompatible with file structure",
	SWSecurityStatusNotSatisfied:     "security status not satisfied",
	SWAuthenticationBlocked:          "authentication method blocked",
	SWReferencedDataInvalidated:      "referenced data invalidated",
	SWConditionsNotSatisfied:         "conditions of use not satisfied",
	SWCommandNotAllowed:              "command not allowed",
	0x6987:                           "expected secure messaging data objects missing",
	0x6988:                           "secure messaging data objects incorrect",
	SWIncorrectData:                  "incorrect parameters in the data field",
	SWFunctionNotSupported:           "function not supported",
	SWFileNotFound:                   "file or application not found",
	SWRecordNotFound:                 "record not found",
	SWNotEnoughMemory:                "not enough memory space in the file",
	SWIncorrectP1P2:                  "incorrect parameters P1-P2",
	SWReferencedDataNotFound:         "referenced data not found",
	SWWrongP1P2:                      "wrong parameters P1-P2",
	SWINSNotSupported:                "instruction code not supported or invalid",
	SWCLANotSupported:                "class not supported",
	SWNoPreciseDiagnosis:             "no precise diagnosis",
}

// Name returns the status word's meaning ("file or application not found"),
// or "" for one the table does not know.
func (sw SW) Name() string {
	if n, ok := swNames[sw]; ok {
		return n
	}
	switch {
	case sw.SW1() == 0x61:
		return fmt.Sprintf("%d more bytes available", sw.SW2())
	case sw.SW1() == 0x6C:
		return fmt.Sprintf("wrong Le, exact length %d", sw.SW2())
	case sw&0xFFF0 == 0x63C0:
		return fmt.Sprintf("verification failed, %d tries left", sw&0x0F)
	}
	return ""
}

// String returns the status word in hex with its meaning: "6A82 (file or
// application not found)".
func (sw SW) String() string {
	if n := sw.Name(); n != "" {
		return fmt.Sprintf("%04X (%s)", uint16(sw), n)
	}
	return fmt.Sprintf("%04X", uint16(sw))
}
