package tlv

import (
	"errors"
	"fmt"
)

// Sentinel errors carried by [ParseError]; compare with errors.Is.
var (
	// ErrTruncated: the data ends inside a tag, a length or a value.
	ErrTruncated = errors.New("data ends inside a data object")
	// ErrTagTooLong: a tag runs past three bytes, the most EMV uses.
	ErrTagTooLong = errors.New("tag longer than 3 bytes")
	// ErrIndefiniteLength: length byte 80, which BER allows and EMV does not.
	ErrIndefiniteLength = errors.New("indefinite length")
	// ErrLengthTooLong: a length field longer than three bytes (first
	// length byte 83 or above); EMV uses 81 xx and 82 xx xx at most
	// (Book 3 Annex B).
	ErrLengthTooLong = errors.New("length field longer than 3 bytes")
	// ErrNonMinimalLength: a long-form length that fits a shorter form
	// (refused only by a strict [Iter]).
	ErrNonMinimalLength = errors.New("non-minimal length encoding")
	// ErrTooDeep: constructed objects nested deeper than [MaxDepth].
	ErrTooDeep = errors.New("constructed objects nested too deep")
	// ErrPadding: a run of 00/FF padding longer than [MaxPadding].
	ErrPadding = errors.New("padding run too long")
	// ErrTrailingData: bytes follow the object where none may.
	ErrTrailingData = errors.New("trailing data")
	// ErrTooLarge: a buffer of 4 GiB or more given to [Parse], whose tree
	// keeps offsets in 32 bits. No card answer comes near it.
	ErrTooLarge = errors.New("buffer too large to parse")
)

// ParseError reports where and why BER-TLV decoding failed.
type ParseError struct {
	// Offset is where the bad object (or padding run) starts, counted from
	// the start of the buffer given to the decoder.
	Offset int
	// Tag is the tag of the bad object. When the tag itself is bad (cut
	// short or too long) it holds the tag bytes read so far; it is 0 for
	// errors that belong to no object ([ErrPadding], empty input).
	Tag Tag
	// Err is one of the sentinel errors above.
	Err error
}

func (e *ParseError) Error() string {
	if e.Tag == 0 {
		return fmt.Sprintf("tlv: at offset %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("tlv: tag %s at offset %d: %v", e.Tag, e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }
