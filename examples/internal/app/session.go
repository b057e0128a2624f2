package app

import (
	"os"

	"github.com/emvkit/emvkit/apdu"
)

// WriteSession writes a recorded session to the file at path, creating or
// truncating it, readable and writable by its owner only (mode 0600): a
// real card's session holds its PAN, track 2 and cardholder name.
func WriteSession(path string, s *apdu.Session) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // a file that was already there
		f.Close()
		return err
	}
	if err := s.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
