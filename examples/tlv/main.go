// Command tlv prints BER-TLV data (EMV Book 3 Annex B) as a tree with the
// tag names of the EMV dictionary and the values decoded by their format,
// cardholder data masked (tlv.Describe).
//
//	go run ./examples/tlv 6F1A840E315041592E5359532E4444463031A5088801015F2D02656E
//	echo '70 0A 5A 08 47 61 73 90 01 01 01 19' | go run ./examples/tlv
//	go run ./examples/tlv -f record.bin
//	go run ./examples/tlv -unmask 5A084761739001010119
//	go run ./examples/tlv -as tvr 0000048000
//	go run ./examples/tlv -as 9F33 E0F8C8
//	go run ./examples/tlv -as atr 3B6800000073C84013009000
//
// With -as the data is one value, decoded bit by bit as what -as names:
// tvr, tsi, cvm-list, cvm-results, terminal-capabilities,
// additional-terminal-capabilities, aip, auc, cid, iad-visa,
// iad-mastercard, ttq, ctq, atr, sw, dol, country or currency, or the
// tag of one in hex (95, 9F33, 8C, 5F2A, ...). The names come from the
// package that owns each table: tvr, cvm, tlv, apdu, termkit, and x/text
// for country names.
//
// The data is hex (upper or lower case; spaces, newlines and colons
// between bytes are ignored) given as arguments, on standard input, or in
// the file of -f. A file that is not hex text is read as binary TLV.
//
// Flags:
//
//	-f FILE    read the data from FILE ("-": standard input)
//	-unmask    show the PAN, track data and cardholder name in clear (test
//	           cards only); PIN data is never shown
//	-as WHAT   decode the data as one value of that kind, bit by bit
//
// A flag given a value it cannot take exits with status 2.
//
// Malformed data is printed up to the bad data object, followed by the
// error, and the exit status is 1.
package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emvkit/emvkit/tlv"
)

// maxInput bounds the data read: 1 MiB of binary TLV or its hex.
const maxInput = 2 << 20

// maxValue bounds the value -as decodes (the longest EMV data element
// is 255 bytes; an ATR at most 33).
const maxValue = 512

// usageError is a flag given a value it cannot take: exit status 2.
// printed says the flag package has reported it already.
type usageError struct {
	err     error
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var pe *tlv.ParseError
	var ue *usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintln(os.Stderr, "tlv:", err)
		}
		os.Exit(2)
	case err == nil:
	case errors.As(err, &pe):
		os.Exit(1) // the "error:" line is printed already
	default:
		fmt.Fprintln(os.Stderr, "tlv:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tlv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", `read the data from this file ("-": standard input)`)
	unmask := fs.Bool("unmask", false, "show cardholder data in clear (test cards only)")
	as := fs.String("as", "", "decode the data as one value bit by bit: "+decoderNames()+", or the tag in hex")
	if err := fs.Parse(args); err != nil {
		return &usageError{err: err, printed: true}
	}
	var dec decoder
	if *as != "" {
		var ok bool
		if dec, ok = lookupDecoder(*as); !ok {
			return &usageError{err: fmt.Errorf("-as %q: want one of %s, or the tag of one", *as, decoderNames())}
		}
		if *unmask {
			return &usageError{err: errors.New("-unmask: describes TLV; -as decodes one value, which holds no cardholder data")}
		}
	}
	data, err := input(fs.Args(), *file, stdin)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("no data")
	}
	if *as != "" {
		if len(data) > maxValue {
			return fmt.Errorf("-as: %d bytes, a value is at most %d", len(data), maxValue)
		}
		return dec.decode(stdout, data)
	}
	if *unmask {
		return tlv.DescribeUnmasked(stdout, data)
	}
	return tlv.Describe(stdout, data)
}

// input returns the bytes to describe: the arguments as hex, or the file
// (or standard input) as hex text or, for a file, binary.
func input(args []string, file string, stdin io.Reader) ([]byte, error) {
	switch {
	case len(args) > 0 && file != "":
		return nil, errors.New("give the data as arguments or with -f, not both")
	case len(args) > 0:
		return decodeHex(strings.Join(args, ""))
	}
	r, name, binaryOK := stdin, "standard input", false
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name, binaryOK = f, file, true
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: more than %d bytes", name, maxInput)
	}
	if isHexText(b) {
		return decodeHex(string(b))
	}
	if binaryOK {
		return b, nil
	}
	return nil, fmt.Errorf("%s: not hex (use -f FILE for binary data)", name)
}

// isHexText reports whether b holds only hex digits and separators.
func isHexText(b []byte) bool {
	for _, c := range b {
		if !strings.ContainsRune("0123456789abcdefABCDEF \t\r\n:", rune(c)) {
			return false
		}
	}
	return true
}

func decodeHex(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', ':':
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd number of hex digits (%d)", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		var ie hex.InvalidByteError
		if errors.As(err, &ie) {
			return nil, fmt.Errorf("not hex: %q at digit %d", rune(ie), strings.IndexByte(s, byte(ie))+1)
		}
		return nil, fmt.Errorf("not hex: %w", err)
	}
	return b, nil
}
