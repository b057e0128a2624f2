package emvtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The other secrets of a profile, the seed its RSA key chain is derived
// from and the card's reference PIN, are named and never shown in an
// error either, whatever the wrong value is.
func TestParseProfileSecretErrorsHideTheValue(t *testing.T) {
	good, err := VisaCDA().JSON()
	require.NoError(t, err)
	for _, tc := range []struct {
		name, old, new, want, value string
	}{
		{"seed number", `"name":`, `"keys": {"seed": 987654321987}, "name":`, "emvtest: invalid profile: keys.seed: a JSON number cannot be string", "987654321987"},
		{"seed object", `"name":`, `"keys": {"seed": {"s": "987654321987"}}, "name":`, "emvtest: invalid profile: keys.seed: a JSON object cannot be string", "987654321987"},
		{"PIN number", `"aid": "A0000000031010"`, `"aid": "A0000000031010", "pin": 98765`, "emvtest: invalid profile: applications.pin: a JSON number cannot be emvtest.PIN", "98765"},
		{"PIN letters", `"aid": "A0000000031010"`, `"aid": "A0000000031010", "pin": "98a65"`, "emvtest: invalid profile: applications[0].pin must be 4 to 12 digits", "98a65"},
		{"PIN too long", `"aid": "A0000000031010"`, `"aid": "A0000000031010", "pin": "9876543210987"`, "emvtest: invalid profile: applications[0].pin must be 4 to 12 digits", "9876543210987"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := strings.Replace(string(good), tc.old, tc.new, 1)
			require.NotEqual(t, string(good), js)
			if strings.Contains(tc.new, `"pin"`) {
				// The built-in profile has its own PIN: drop it so the
				// one under test is the only one.
				js = strings.Replace(js, `"pin": "1234",`, ``, 1)
			}
			_, err := ParseProfile([]byte(js))
			require.ErrorIs(t, err, ErrProfile)
			assert.Equal(t, tc.want, err.Error())
			assert.NotContains(t, err.Error(), tc.value)
		})
	}
}
