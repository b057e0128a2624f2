// Package jsonpath decodes a configuration file's JSON into Go structs
// strictly and names every error by the JSON path of the value it is about
// ("applications[4].params.floor_limit",
// "contactless.combinations[1].limits.cvm_required").
//
// It is the one decoder of the terminal configuration file, whose contact
// part package emv reads and whose contactless section package contactless
// reads; it sits below both so that neither imports the other. Its rules:
//
//   - keys match a struct field's json tag exactly (encoding/json would
//     also take "Country" for "country"); a key no field names is an error;
//   - a key given twice in one object is an error, anywhere in the file,
//     raw values included (RFC 8259 §4: names SHOULD be unique, and readers
//     differ on which one wins);
//   - null is the same as leaving the key out;
//   - a value of the wrong JSON kind says what it is and what it should be
//     ("a JSON string, want an integer");
//   - nothing may follow the top-level object.
//
// The walk follows the destination's types: a struct reads an object, a
// pointer to a struct an object or null, a slice of structs an array of
// objects, a json.RawMessage any value (kept whole, for another reader),
// and any other type is decoded by encoding/json. Its depth is bounded by
// the types; a raw value's nesting is bounded by encoding/json's limit.
package jsonpath
