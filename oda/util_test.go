package oda

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }

func fmtInt(i int) string  { return strconv.Itoa(i) }
func hexs(b []byte) string { return hex.EncodeToString(b) }
