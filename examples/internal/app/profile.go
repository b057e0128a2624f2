package app

import (
	"fmt"
	"strings"

	"github.com/emvkit/emvkit/emv/emvtest"
)

// LoadProfile returns the built-in card profile of that name, or reads a
// profile file when the name ends in ".json" (testdata/cards/*.json).
func LoadProfile(name string) (*emvtest.Profile, error) {
	if strings.HasSuffix(name, ".json") {
		return emvtest.LoadProfile(name)
	}
	if p := emvtest.BuiltinProfile(name); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("no built-in card %q (have %s; or give a profile file ending in .json)", name, strings.Join(emvtest.BuiltinProfiles(), ", "))
}
