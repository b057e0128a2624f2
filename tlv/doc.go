// Package tlv reads and writes BER-TLV data objects as EMV uses them
// (EMV 4.4 Book 3 Annex B), and owns the EMV tag dictionary and Data Object
// Lists (Book 3 §5.4).
//
// # Reading
//
// Card data is untrusted. [Iter] walks a buffer one data object at a time
// without allocating: the values it returns are sub-slices of the input, so
// the exact bytes a card sent stay available for hashing (SDA and CDA sign
// the card's bytes, never a re-encoding). [Parse] builds a tree of [Object]
// values for callers that prefer convenience over speed.
//
// Every malformed input yields a [*ParseError] carrying the byte offset and,
// where known, the tag; no input panics, and nesting, tag size, length size
// and padding are all bounded.
//
// # Writing
//
// [AppendTLV], [AppendTag] and [AppendLength] encode with minimal lengths, so
// decoding then encoding a canonical input gives back the same bytes.
//
// # Dictionary and DOLs
//
// [Lookup] describes every data element of Book 3 Annex A plus the common
// scheme and contactless tags a terminal meets. [ParseDOL] and [DOL.Build]
// implement the Data Object List rules of Book 3 §5.4.
package tlv
