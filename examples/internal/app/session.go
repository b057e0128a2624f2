package app

import (
	"os"

	"github.com/emvkit/emvkit/apdu"
)

// WriteSession writes a recorded session to the file at path, creating or
// truncating it.
func WriteSession(path string, s *apdu.Session) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := s.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
