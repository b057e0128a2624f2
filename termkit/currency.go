package termkit

import (
	"fmt"
	"strconv"
	"strings"

	xcurrency "golang.org/x/text/currency"

	"github.com/emvkit/emvkit/emv"
)

// Currency is an ISO 4217 currency as a terminal uses it: the numeric
// code EMV carries (5F2A, 9F42: n 3), the alphabetic code a person reads,
// and the exponent, the number of decimals of its minor unit (5F36).
type Currency struct {
	Code     uint16 // ISO 4217 numeric: 840
	Alpha    string // ISO 4217 alphabetic: "USD"
	Exponent int    // decimals of the minor unit: 2
}

// iso4217 maps the numeric codes of the currencies in common use at
// terminals to their alphabetic codes (ISO 4217, list one). The exponent
// is x/text's (CLDR's), not a copy here.
var iso4217 = map[uint16]string{
	8: "ALL", 12: "DZD", 32: "ARS", 36: "AUD", 44: "BSD", 48: "BHD", 50: "BDT", 52: "BBD",
	60: "BMD", 96: "BND", 124: "CAD", 144: "LKR", 152: "CLP", 156: "CNY", 170: "COP", 188: "CRC",
	203: "CZK", 208: "DKK", 214: "DOP", 230: "ETB", 242: "FJD", 320: "GTQ", 344: "HKD", 348: "HUF",
	352: "ISK", 356: "INR", 360: "IDR", 364: "IRR", 368: "IQD", 376: "ILS", 388: "JMD", 392: "JPY",
	398: "KZT", 400: "JOD", 404: "KES", 410: "KRW", 414: "KWD", 422: "LBP", 434: "LYD", 446: "MOP",
	458: "MYR", 480: "MUR", 484: "MXN", 496: "MNT", 504: "MAD", 512: "OMR", 524: "NPR", 554: "NZD",
	566: "NGN", 578: "NOK", 586: "PKR", 590: "PAB", 600: "PYG", 604: "PEN", 608: "PHP", 634: "QAR",
	643: "RUB", 682: "SAR", 702: "SGD", 704: "VND", 710: "ZAR", 752: "SEK", 756: "CHF", 764: "THB",
	780: "TTD", 784: "AED", 788: "TND", 800: "UGX", 818: "EGP", 826: "GBP", 834: "TZS", 840: "USD",
	858: "UYU", 860: "UZS", 901: "TWD", 933: "BYN", 941: "RSD", 944: "AZN", 946: "RON", 949: "TRY",
	950: "XAF", 951: "XCD", 952: "XOF", 953: "XPF", 975: "BGN", 978: "EUR", 980: "UAH", 981: "GEL",
	985: "PLN", 986: "BRL",
}

// LookupCurrency returns the currency of an ISO 4217 numeric code, with
// its exponent. A code it does not know is an error naming it.
func LookupCurrency(code uint16) (Currency, error) {
	alpha, ok := iso4217[code]
	if !ok {
		return Currency{}, fmt.Errorf("termkit: ISO 4217 currency %03d is not one this package knows", code)
	}
	u, err := xcurrency.ParseISO(alpha)
	if err != nil {
		return Currency{}, fmt.Errorf("termkit: ISO 4217 currency %03d (%s): %v", code, alpha, err)
	}
	scale, _ := xcurrency.Standard.Rounding(u)
	return Currency{Code: code, Alpha: alpha, Exponent: scale}, nil
}

// CurrencyName returns the alphabetic code of an ISO 4217 numeric code,
// or the code in three digits when this package does not know it.
func CurrencyName(code uint16) string {
	if a, ok := iso4217[code]; ok {
		return a
	}
	return fmt.Sprintf("%03d", code)
}

// String returns the alphabetic code, or the numeric one when there is
// none.
func (c Currency) String() string {
	if c.Alpha != "" {
		return c.Alpha
	}
	return fmt.Sprintf("%03d", c.Code)
}

// maxAmount is the largest Amount, Authorised: n 12 (Book 3 Annex A).
const maxAmount = 999999999999

// Parse reads an amount in major units ("12.34", "10", ".5") as minor
// units of the currency, the unit of Amount, Authorised (9F02, n 12; Book
// 3 Annex A). It refuses more decimals than the exponent, anything but
// digits and one point, and more than 12 digits.
func (c Currency) Parse(s string) (uint64, error) {
	whole, frac, dot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && (!dot || frac == "") {
		return 0, fmt.Errorf("termkit: %q is not an amount", s)
	}
	if len(frac) > c.Exponent {
		return 0, fmt.Errorf("termkit: %q has more than %d decimals for %s", s, c.Exponent, c)
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("termkit: %q is not an amount", s)
		}
	}
	digits := whole + frac + strings.Repeat("0", c.Exponent-len(frac))
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v > maxAmount {
		return 0, fmt.Errorf("termkit: %q is not an amount of at most 12 digits", s)
	}
	return v, nil
}

// Format writes minor units in major units with the exponent's number of
// decimals: 1234 in US dollars is "12.34", in yen "1234".
func (c Currency) Format(v uint64) string {
	s := strconv.FormatUint(v, 10)
	if c.Exponent <= 0 {
		return s
	}
	if len(s) <= c.Exponent {
		s = strings.Repeat("0", c.Exponent-len(s)+1) + s
	}
	return s[:len(s)-c.Exponent] + "." + s[len(s)-c.Exponent:]
}

// Display writes the amount as a receipt or a screen shows it: "USD
// 12.34".
func (c Currency) Display(v uint64) string { return c.String() + " " + c.Format(v) }

// ConfigCurrency is the currency a terminal configuration transacts in:
// its Transaction Currency Code (5F2A) and Exponent (5F36) as configured,
// with the alphabetic code of [CurrencyName].
func ConfigCurrency(cfg *emv.Config) Currency {
	c := Currency{Code: cfg.Currency, Exponent: cfg.CurrencyExponent}
	if a, ok := iso4217[cfg.Currency]; ok {
		c.Alpha = a
	}
	return c
}
