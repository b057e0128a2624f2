package jsonpath

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Error is a value of the file that cannot be decoded: its JSON path
// (empty for the file as a whole) and why.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string {
	p := e.Path
	if p == "" {
		p = "(the file)"
	}
	return "jsonpath: " + p + ": " + e.Reason
}

// Decode reads data, one JSON object, into the struct v points to, by the
// rules of the package documentation. Every error is an *Error.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return &Error{Reason: fmt.Sprintf("cannot decode into %T, want a pointer to a struct", v)}
	}
	d := &decoder{d: json.NewDecoder(bytes.NewReader(data))}
	set, err := d.objectOrNull("", rv.Elem())
	if err != nil {
		return err
	}
	if !set {
		return &Error{Reason: "null, want a JSON object"}
	}
	if _, err := d.d.Token(); err != io.EOF {
		return &Error{Reason: "data after the configuration object"}
	}
	return nil
}

// Hex is a byte string written as a hex string in the file; spaces between
// bytes are allowed, null and absence leave it nil.
type Hex []byte

// HexError reports a string that is not hex.
type HexError struct {
	S   string
	Err error
}

func (e *HexError) Error() string { return fmt.Sprintf("%q is not hex: %v", e.S, e.Err) }

// UnmarshalJSON reads a hex string; spaces between bytes are allowed.
func (h *Hex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // absent
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return &HexError{s, err}
	}
	*h = v
	return nil
}

// MarshalJSON writes the bytes as a hex string (upper case), nil as null.
func (h Hex) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return json.Marshal(strings.ToUpper(hex.EncodeToString(h)))
}

// decoder reads the file token by token, so that it knows the JSON path
// of every value it reads.
type decoder struct{ d *json.Decoder }

// join is the path of key in the object at path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// syntax turns an error of the JSON reader at path into an *Error.
func syntax(path string, err error) error {
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Path: path, Reason: "the JSON ends early"}
	case errors.As(err, &se):
		return &Error{Path: path, Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	return &Error{Path: path, Reason: strings.TrimPrefix(err.Error(), "json: ")}
}

// kind names the JSON kind of a token for an error.
func kind(tok json.Token) string {
	switch tok.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	case json.Delim:
		if tok == json.Delim('[') {
			return "array"
		}
		return "object"
	}
	return "null"
}

// value reads the value at path into v.
func (d *decoder) value(path string, v reflect.Value) error {
	t := v.Type()
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		return d.raw(path, v)
	case t.Kind() == reflect.Struct:
		_, err := d.objectOrNull(path, v)
		return err
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		p := reflect.New(t.Elem())
		set, err := d.objectOrNull(path, p.Elem())
		if set {
			v.Set(p)
		}
		return err
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return d.array(path, v)
	}
	return d.leaf(path, v)
}

// objectOrNull reads a JSON object into the struct v and reports whether
// there was one (false for null). Each key must be one of v's json tags,
// once.
func (d *decoder) objectOrNull(path string, v reflect.Value) (bool, error) {
	tok, err := d.d.Token()
	if err != nil {
		return false, syntax(path, err)
	}
	if tok == nil {
		return false, nil
	}
	if tok != json.Delim('{') {
		return false, &Error{Path: path, Reason: fmt.Sprintf("a JSON %s, want an object", kind(tok))}
	}
	t := v.Type()
	seen := make(map[string]bool)
	for d.d.More() {
		tok, err := d.d.Token()
		if err != nil {
			return true, syntax(path, err)
		}
		key, _ := tok.(string) // the decoder gives a string here or an error
		p := join(path, key)
		if seen[key] {
			return true, &Error{Path: p, Reason: "key given twice"}
		}
		seen[key] = true
		i := fieldByKey(t, key)
		if i < 0 {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			return true, &Error{Path: p, Reason: fmt.Sprintf("unknown key %q %s", key, where)}
		}
		if err := d.value(p, v.Field(i)); err != nil {
			return true, err
		}
	}
	_, err = d.d.Token() // }
	return true, syntax(path, err)
}

// fieldByKey returns the index of the field of struct t whose json tag
// is key, -1 if none.
func fieldByKey(t reflect.Type, key string) int {
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == key && name != "" && name != "-" {
			return i
		}
	}
	return -1
}

// array reads a JSON array (or null) into the slice of structs v.
func (d *decoder) array(path string, v reflect.Value) error {
	tok, err := d.d.Token()
	if err != nil {
		return syntax(path, err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return &Error{Path: path, Reason: fmt.Sprintf("a JSON %s, want an array", kind(tok))}
	}
	for i := 0; d.d.More(); i++ {
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		if _, err := d.objectOrNull(fmt.Sprintf("%s[%d]", path, i), v.Index(i)); err != nil {
			return err
		}
	}
	_, err = d.d.Token() // ]
	return syntax(path, err)
}

// want says what a JSON value for a field of type t must be.
func want(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Hex]():
		return "a hex string"
	case reflect.TypeFor[string]():
		return "a string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return want(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("an integer from 0 to %d", uint64(1)<<t.Bits()-1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
	}
	return t.String()
}

// leaf reads a value that is not an object or an array of objects.
func (d *decoder) leaf(path string, v reflect.Value) error {
	err := d.d.Decode(v.Addr().Interface())
	var te *json.UnmarshalTypeError
	var he *HexError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &he):
		return &Error{Path: path, Reason: he.Error()}
	case errors.As(err, &te):
		return &Error{Path: path, Reason: fmt.Sprintf("a JSON %s, want %s", te.Value, want(v.Type()))}
	}
	return syntax(path, err)
}

// raw keeps a value another reader decodes or nobody does (a comment);
// its keys must not repeat either.
func (d *decoder) raw(path string, v reflect.Value) error {
	var m json.RawMessage
	if err := d.d.Decode(&m); err != nil {
		return syntax(path, err)
	}
	if err := noDuplicateKeys(json.NewDecoder(bytes.NewReader(m)), path); err != nil {
		return err
	}
	v.Set(reflect.ValueOf(m))
	return nil
}

// noDuplicateKeys walks one well-formed JSON value and fails on the
// first key given twice in an object.
func noDuplicateKeys(d *json.Decoder, path string) error {
	tok, err := d.Token()
	if err != nil {
		return syntax(path, err)
	}
	switch tok {
	case json.Delim('{'):
		seen := make(map[string]bool)
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				return syntax(path, err)
			}
			key, _ := tok.(string)
			p := join(path, key)
			if seen[key] {
				return &Error{Path: p, Reason: "key given twice"}
			}
			seen[key] = true
			if err := noDuplicateKeys(d, p); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; d.More(); i++ {
			if err := noDuplicateKeys(d, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = d.Token() // } or ]
	return syntax(path, err)
}
