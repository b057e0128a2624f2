// Package tlv reads and writes BER-TLV data objects as EMV uses them
// (EMV 4.4 Book 3 Annex B), and owns the EMV tag dictionary, Data Object
// Lists (Book 3 §5.4) and the printing of card data for people.
//
// # Reading
//
// Card data is untrusted. [Iter] walks a buffer one data object at a time
// without allocating: the values it returns are sub-slices of the input, so
// the exact bytes a card sent stay available for hashing (SDA and CDA sign
// the card's bytes, never a re-encoding). [Parse] decodes a whole buffer
// into a [Tree], for callers that prefer to hold it: one allocation holding
// no pointers, sixteen bytes an object, with [Tree.Find] searching every
// level and [Node.Children] going down one. [Tree.List] copies a tree into
// a [List] of [Object] values, the form that can be edited and encoded.
// [Find] looks one tag up without allocating; [Single] reads a response
// that must be exactly one template (70, 77, 80, 6F).
//
// The decoder follows Annex B: tags of one to three bytes, lengths of one to
// three bytes (81 xx, 82 xx xx), 00 padding before, between and after
// objects (and FF padding, as ISO/IEC 7816-4 allows). It refuses
// indefinite lengths (80), length fields of four bytes or more, values
// running past the end, templates nested deeper than [MaxDepth] and
// padding runs longer than [MaxPadding]. Non-minimal lengths (81 05) are
// accepted, as cards send them, except by [NewStrictIter].
//
// Every malformed input yields a [*ParseError] carrying the byte offset
// where the bad object starts and, where known, its tag; compare its Err
// with errors.Is against [ErrTruncated], [ErrLengthTooLong] and the other
// sentinels. No input panics.
//
// # Writing
//
// [AppendTLV], [AppendTag] and [AppendLength] encode with minimal lengths, so
// decoding then encoding a canonical input gives back the same bytes
// ([Object.Append], [List.Append]).
//
// # Dictionary
//
// [Lookup] describes every data element of Book 3 Annex A1 that has a tag,
// plus the contactless and scheme tags a terminal meets (Books A, B, C-2,
// C-3) and UnionPay's (UICS, JR/T 0025: the cardholder ID number 9F61,
// electronic cash 9F79, 9F77, 9F78, 9F6D, 9F74, ...): name, [Format],
// length range, templates and [Source].
//
// # Data Object Lists
//
// [ParseDOL] reads a PDOL, CDOL1, CDOL2, DDOL or TDOL. [DOL.Build] builds the
// data a command sends with the padding and truncation rules of Book 3
// §5.4, without allocating when the destination has room. [DOL.Split] and
// [DOL.Value] cut such data back into its elements (for CDA and logs).
//
// # Printing
//
// [Describe] writes data objects as an indented tree with names and decoded
// values. Cardholder data is masked ([MaskPAN] keeps the first 6 and last 4
// PAN digits); [DescribeUnmasked] shows it for test cards. PIN data is never
// shown.
package tlv
