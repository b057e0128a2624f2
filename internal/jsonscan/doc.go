// Package jsonscan checks JSON text (RFC 8259) without decoding it: where
// a value ends and whether it is well formed, by the same rules as
// encoding/json's json.Valid (any byte from 0x20 up inside a string, the
// escapes of RFC 8259 §7, nesting at most 10,000 deep), in one pass
// without a state machine. The one-pass readers of session files (package
// apdu) and of their kernel object (package emv) use it for the values
// they keep whole, for another reader.
package jsonscan
