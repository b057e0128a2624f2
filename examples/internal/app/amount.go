package app

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseAmount reads an amount in major units ("12.34", "10", "0.5") as
// minor units of a currency with the given exponent (Book 3 Annex A:
// Amount, Authorised is in the currency's minor unit, 5F36 digits).
func ParseAmount(s string, exponent int) (uint64, error) {
	whole, frac, dot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && (!dot || frac == "") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	if len(frac) > exponent {
		return 0, fmt.Errorf("%q has more than %d decimals", s, exponent)
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an amount", s)
		}
	}
	digits := whole + frac + strings.Repeat("0", exponent-len(frac))
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v > 999999999999 {
		return 0, fmt.Errorf("%q is not an amount of at most 12 digits", s)
	}
	return v, nil
}

// FormatAmount writes minor units in major units with the exponent's
// number of decimals: FormatAmount(1234, 2) is "12.34".
func FormatAmount(v uint64, exponent int) string {
	s := strconv.FormatUint(v, 10)
	if exponent <= 0 {
		return s
	}
	if len(s) <= exponent {
		s = strings.Repeat("0", exponent-len(s)+1) + s
	}
	return s[:len(s)-exponent] + "." + s[len(s)-exponent:]
}
