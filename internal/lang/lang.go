package lang

// English is the language a terminal that names none shows its messages
// in.
const English = "en"

// Default is the terminal's default language: the first of terminal, else
// English.
func Default(terminal []string) string {
	if len(terminal) > 0 {
		return terminal[0]
	}
	return English
}

// Choose returns the language of the cardholder messages for a Language
// Preference pref (5F2D; Book 3 Annex A: an 2-8, up to four ISO 639-1 codes
// in order of preference) on a terminal with the languages terminal
// (ISO 639-1, lower case; nil: English only): the first code of pref the
// terminal has, else the terminal's default (Book 4 §11.1). The codes are
// compared in lower case, the case ISO 639-1 and Annex A give them; a value
// that is not whole two-letter codes yields what codes it has before the
// fault. At most four codes are read, whatever the length of pref.
//
// Book 4 §11.1 lets a terminal with several languages ask the cardholder
// to choose when none matches; Choose has no such prompt and takes the
// default.
//
// "cn" is read as "zh": it is the country code of China, not a language
// code, yet UnionPay cards carry it as their preference for Chinese (the
// recorded UnionPay test card 6210948000000011 of binaryfoo/emv-bertlv has
// 5F2D "cn"), and no ISO 639-1 language has that code.
func Choose(pref []byte, terminal []string) string {
	if terminal == nil {
		terminal = []string{English}
	}
	for i := 0; i+1 < len(pref) && i < 8; i += 2 {
		c0, c1 := lower(pref[i]), lower(pref[i+1])
		if c0 < 'a' || c0 > 'z' || c1 < 'a' || c1 > 'z' {
			break
		}
		if c0 == 'c' && c1 == 'n' {
			c0, c1 = 'z', 'h'
		}
		// The terminal's own string is returned: no code is made.
		for _, t := range terminal {
			if len(t) == 2 && t[0] == c0 && t[1] == c1 {
				return t
			}
		}
	}
	return Default(terminal)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Valid reports whether l is an ISO 639-1 code as a terminal configures
// it: two lower-case letters.
func Valid(l string) bool {
	return len(l) == 2 && l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z'
}
