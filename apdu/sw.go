package apdu

import "fmt"

// SW is a status word, SW1 and SW2 read big-endian: 0x9000.
type SW uint16

// Status words the EMV books use (Book 1 §11, Book 3 §6.3.5 and §10), with
// the ISO 7816-4 §5.1.3 codes a terminal meets around them. 61xx (more
// data, see [SW.MoreData]), 6Cxx (wrong Le, see [SW.ExactLength]) and 63Cx
// (PIN tries left, see [SW.VerifyTriesLeft]) carry a count in SW2 and have
// no constant.
const (
	SWOK                             SW = 0x9000
	SWWarningNoInfo                  SW = 0x6200 // warning, non-volatile memory unchanged
	SWWarningSelectedFileInvalidated SW = 0x6283 // application blocked (Book 1 §12.3.2)
	SWVerifyFailedNoInfo             SW = 0x6300 // also issuer authentication failed (Book 3 §6.5.4.4)
	SWMemoryUnchanged                SW = 0x6400 // script command failed (Book 3 §10.10)
	SWMemoryFailure                  SW = 0x6581
	SWWrongLength                    SW = 0x6700
	SWCommandIncompatible            SW = 0x6981
	SWSecurityStatusNotSatisfied     SW = 0x6982
	SWAuthenticationBlocked          SW = 0x6983 // PIN try limit exceeded / blocked
	SWReferencedDataInvalidated      SW = 0x6984
	SWConditionsNotSatisfied         SW = 0x6985
	SWCommandNotAllowed              SW = 0x6986
	SWSMDataObjectsMissing           SW = 0x6987 // ISO/IEC 7816-4: expected secure messaging data objects missing
	SWSMDataObjectsIncorrect         SW = 0x6988 // ISO/IEC 7816-4: secure messaging data objects incorrect
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
	SWWarningNoInfo:                  "warning, no information given",
	0x6281:                           "part of returned data may be corrupted",
	0x6282:                           "end of file or record reached",
	SWWarningSelectedFileInvalidated: "selected file invalidated",
	0x6284:                           "file control information not formatted",
	0x6285:                           "selected file in termination state",
	0x6286:                           "no input data available from a sensor",
	SWVerifyFailedNoInfo:             "verification failed",
	0x6381:                           "file filled up by the last write",
	SWMemoryUnchanged:                "state of non-volatile memory unchanged",
	0x6500:                           "state of non-volatile memory changed",
	SWMemoryFailure:                  "memory failure",
	SWWrongLength:                    "wrong length",
	0x6800:                           "functions in CLA not supported",
	0x6881:                           "logical channel not supported",
	0x6882:                           "secure messaging not supported",
	0x6883:                           "last command of the chain expected",
	0x6884:                           "command chaining not supported",
	0x6900:                           "command not allowed",
	SWCommandIncompatible:            "command incompatible with file structure",
	SWSecurityStatusNotSatisfied:     "security status not satisfied",
	SWAuthenticationBlocked:          "authentication method blocked",
	SWReferencedDataInvalidated:      "referenced data invalidated",
	SWConditionsNotSatisfied:         "conditions of use not satisfied",
	SWCommandNotAllowed:              "command not allowed",
	SWSMDataObjectsMissing:           "expected secure messaging data objects missing",
	SWSMDataObjectsIncorrect:         "secure messaging data objects incorrect",
	SWIncorrectData:                  "incorrect parameters in the data field",
	SWFunctionNotSupported:           "function not supported",
	SWFileNotFound:                   "file or application not found",
	SWRecordNotFound:                 "record not found",
	SWNotEnoughMemory:                "not enough memory space in the file",
	0x6A85:                           "Lc inconsistent with TLV structure",
	SWIncorrectP1P2:                  "incorrect parameters P1-P2",
	0x6A87:                           "Lc inconsistent with P1-P2",
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
	if n, ok := sw.MoreData(); ok {
		return fmt.Sprintf("%d more bytes available", n)
	}
	if n, ok := sw.ExactLength(); ok {
		return fmt.Sprintf("wrong Le, exact length %d", n)
	}
	if n, ok := sw.VerifyTriesLeft(); ok {
		return fmt.Sprintf("verification failed, %d tries left", n)
	}
	return ""
}

// MoreData reports, for 61xx, the number of response bytes the card still
// holds for GET RESPONSE (ISO 7816-4 §5.1.3, EMV Book 1 §9.3.1.3). SW2 00
// means 256, the Le that GET RESPONSE then sends as 00.
func (sw SW) MoreData() (n int, ok bool) {
	if sw.SW1() != 0x61 {
		return 0, false
	}
	return leValue(sw.SW2()), true
}

// ExactLength reports, for 6Cxx, the Le the card asks the command to be
// sent again with (ISO 7816-4 §5.1.3, EMV Book 1 §9.3.1.3). SW2 00 means 256.
func (sw SW) ExactLength() (n int, ok bool) {
	if sw.SW1() != 0x6C {
		return 0, false
	}
	return leValue(sw.SW2()), true
}

// String returns the status word in hex with its meaning: "6A82 (file or
// application not found)".
func (sw SW) String() string {
	if n := sw.Name(); n != "" {
		return fmt.Sprintf("%04X (%s)", uint16(sw), n)
	}
	return fmt.Sprintf("%04X", uint16(sw))
}
