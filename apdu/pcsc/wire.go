package pcsc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// The pcsc-lite client/server protocol (src/winscard_msg.h, src/winscard_svc.c
// and src/eventhandler.h of pcsc-lite; testdata/README.md gives the exact
// sources). Every request is a header {uint32 size; uint32 command} followed
// by size bytes of a fixed C struct; the daemon answers with the same struct,
// its out fields and rv filled in. Integers are in the host's byte order,
// since client and daemon share a machine.

// Protocol version this client speaks. pcsc-lite 1.8.24 to 1.9.x (Debian
// bookworm ships 1.9.9) answer CMD_VERSION with 4.4 and refuse any other
// version with SCARD_E_SERVICE_STOPPED.
const (
	protocolMajor = 4
	protocolMinor = 4
)

// Message commands (enum pcsc_msg_commands).
const (
	cmdEstablishContext      uint32 = 0x01
	cmdReleaseContext        uint32 = 0x02
	cmdConnect               uint32 = 0x04
	cmdReconnect             uint32 = 0x05
	cmdDisconnect            uint32 = 0x06
	cmdBeginTransaction      uint32 = 0x07
	cmdEndTransaction        uint32 = 0x08
	cmdTransmit              uint32 = 0x09
	cmdStatus                uint32 = 0x0B
	cmdVersion               uint32 = 0x11
	cmdGetReadersState       uint32 = 0x12
	cmdWaitReaderStateChange uint32 = 0x13
)

// Sizes fixed by pcsc-lite's build (pcscd -v prints the first two).
const (
	maxReaderName = 128 // MAX_READERNAME
	maxReaders    = 16  // PCSCLITE_MAX_READERS_CONTEXTS
	maxATRSize    = 33  // MAX_ATR_SIZE
	// READER_NOT_INITIALIZED: the ATR length pcscd publishes while a
	// card's power-up is still under way (eventhandler.h).
	readerNotInitialized = maxATRSize + 1
	maxBufferSize        = 4 + 3 + 1<<16 + 3 + 2
	ioRequestSize        = 2 * strconv.IntSize / 8 // sizeof(SCARD_IO_REQUEST): two C longs, as wide as Go ints on Linux
	headerSize           = 8
	readerStateLen       = maxReaderName + 4 + 4 + 4 + maxATRSize + 3 + 4 + 4 // 184: cardAtrLength is 4-aligned
	readersStateLen      = maxReaders * readerStateLen                        // 2944
)

// Struct sizes on the wire. The structs exchanged through conn.call
// (establish, release, reconnect, disconnect, begin, end, status) are only
// 32-bit fields, as long as the fields given.
const (
	versionLen  = 12                      // version_struct
	connectLen  = 4 + maxReaderName + 5*4 // connect_struct: 152
	transmitLen = 32                      // transmit_struct
	waitLen     = 8                       // wait_reader_state_change
)

// scopeSystem is SCARD_SCOPE_SYSTEM, the scope pcsc-lite clients establish.
const scopeSystem = 2

var ne = binary.NativeEndian

// appendHeader appends the header of a request with a body of n bytes.
func appendHeader(b []byte, cmd uint32, n int) []byte {
	b = ne.AppendUint32(b, uint32(n))
	return ne.AppendUint32(b, cmd)
}

// request encodes a request: the header, then the struct's fields, each a
// 32-bit integer.
func request(cmd uint32, fields ...uint32) []byte {
	b := make([]byte, 0, headerSize+4*len(fields))
	b = appendHeader(b, cmd, 4*len(fields))
	for _, f := range fields {
		b = ne.AppendUint32(b, f)
	}
	return b
}

// words decodes a reply struct of n 32-bit fields.
func words(b []byte, n int) ([]uint32, error) {
	if len(b) != 4*n {
		return nil, fmt.Errorf("%w: %d bytes where %d were expected", ErrProtocol, len(b), 4*n)
	}
	w := make([]uint32, n)
	for i := range w {
		w[i] = ne.Uint32(b[4*i:])
	}
	return w, nil
}

// connectRequest encodes SCARD_CONNECT (connect_struct). The reader name
// must fit MAX_READERNAME with its NUL.
func connectRequest(hContext uint32, reader string, share shareMode, prefer Protocol) ([]byte, error) {
	if len(reader) >= maxReaderName || strings.IndexByte(reader, 0) >= 0 || reader == "" {
		return nil, &Error{Op: "connect", Reader: reader, Code: ErrUnknownReader}
	}
	b := make([]byte, 0, headerSize+connectLen)
	b = appendHeader(b, cmdConnect, connectLen)
	b = ne.AppendUint32(b, hContext)
	var name [maxReaderName]byte
	copy(name[:], reader)
	b = append(b, name[:]...)
	b = ne.AppendUint32(b, uint32(share))
	b = ne.AppendUint32(b, uint32(prefer))
	b = ne.AppendUint32(b, 0) // hCard (out)
	b = ne.AppendUint32(b, 0) // dwActiveProtocol (out)
	b = ne.AppendUint32(b, 0) // rv (out)
	return b, nil
}

// connectReply decodes the answer to SCARD_CONNECT.
func connectReply(b []byte) (hCard uint32, active Protocol, rv Code, err error) {
	if len(b) != connectLen {
		return 0, 0, 0, fmt.Errorf("%w: connect reply of %d bytes, want %d", ErrProtocol, len(b), connectLen)
	}
	w := b[4+maxReaderName:]
	return ne.Uint32(w[8:]), Protocol(ne.Uint32(w[12:])), Code(ne.Uint32(w[16:])), nil
}

// transmitRequest encodes SCARD_TRANSMIT (transmit_struct) followed by the
// command APDU. The send and receive PCI carry the card's active protocol:
// pcscd answers SCARD_E_PROTO_MISMATCH to any other.
func transmitRequest(hCard uint32, proto Protocol, cmd []byte) []byte {
	b := make([]byte, 0, headerSize+transmitLen+len(cmd))
	b = appendHeader(b, cmdTransmit, transmitLen)
	b = ne.AppendUint32(b, hCard)
	b = ne.AppendUint32(b, uint32(proto)) // ioSendPciProtocol
	b = ne.AppendUint32(b, ioRequestSize) // ioSendPciLength
	b = ne.AppendUint32(b, uint32(len(cmd)))
	b = ne.AppendUint32(b, uint32(proto)) // ioRecvPciProtocol
	b = ne.AppendUint32(b, ioRequestSize) // ioRecvPciLength
	b = ne.AppendUint32(b, maxBufferSize) // pcbRecvLength: room for the answer
	b = ne.AppendUint32(b, 0)             // rv
	return append(b, cmd...)
}

// transmitReply decodes the transmit_struct of the answer: the return code
// and the length of the response that follows it on success.
func transmitReply(b []byte) (n int, rv Code, err error) {
	w, err := words(b, transmitLen/4)
	if err != nil {
		return 0, 0, err
	}
	rv = Code(w[7])
	if rv != Success {
		return 0, rv, nil
	}
	if w[6] > maxBufferSize {
		return 0, 0, fmt.Errorf("%w: response length %d over %d", ErrProtocol, w[6], maxBufferSize)
	}
	return int(w[6]), rv, nil
}

// ReaderState is one reader as the daemon publishes it
// (struct pubReaderStatesList).
type ReaderState struct {
	Name         string    // the reader's name, trimmed
	EventCounter uint32    // card events seen since the reader appeared
	State        CardState // SCARD_ABSENT, SCARD_PRESENT, ... bits
	Sharing      int32     // number of shared connections; -1 exclusive
	ATR          []byte    // the card's answer to reset, when powered
	Protocol     Protocol  // the card's current protocol
}

// CardState is the reader state bit field of pcsc-lite (SCARD_ABSENT,
// SCARD_PRESENT, ...).
type CardState uint32

// Card state bits (pcsclite.h).
const (
	StateUnknown    CardState = 0x0001 // SCARD_UNKNOWN
	StateAbsent     CardState = 0x0002 // SCARD_ABSENT
	StatePresent    CardState = 0x0004 // SCARD_PRESENT
	StateSwallowed  CardState = 0x0008 // SCARD_SWALLOWED
	StatePowered    CardState = 0x0010 // SCARD_POWERED
	StateNegotiable CardState = 0x0020 // SCARD_NEGOTIABLE
	StateSpecific   CardState = 0x0040 // SCARD_SPECIFIC
)

// String names the set bits: "present|powered|negotiable".
func (s CardState) String() string {
	names := [...]string{"unknown", "absent", "present", "swallowed", "powered", "negotiable", "specific"}
	var parts []string
	for i, n := range names {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := s &^ 0x7F; rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%X", uint32(rest)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// CardPresent reports whether a card is in the reader.
func (r ReaderState) CardPresent() bool {
	return r.State&StatePresent != 0
}

// findReader returns the state of the reader called name in states.
func findReader(states []ReaderState, name string) (ReaderState, bool) {
	for _, s := range states {
		if s.Name == name {
			return s, true
		}
	}
	return ReaderState{}, false
}

// parseReadersState decodes the daemon's table of readers (the answer to
// CMD_GET_READERS_STATE and CMD_WAIT_READER_STATE_CHANGE): 16 fixed slots
// of 184 bytes; a slot whose name is empty is unused. The returned states
// own their memory.
func parseReadersState(b []byte) ([]ReaderState, error) {
	if len(b) != readersStateLen {
		return nil, fmt.Errorf("%w: reader table of %d bytes, want %d", ErrProtocol, len(b), readersStateLen)
	}
	var out []ReaderState
	for i := 0; i < maxReaders; i++ {
		s := b[i*readerStateLen : (i+1)*readerStateLen]
		name := cString(s[:maxReaderName])
		if name == "" {
			continue
		}
		f := s[maxReaderName:]
		atrOff := 12
		atrLen := ne.Uint32(f[atrOff+maxATRSize+3:])
		if atrLen == readerNotInitialized {
			atrLen = 0 // the card is not powered up yet
		}
		if atrLen > maxATRSize {
			return nil, fmt.Errorf("%w: reader %q: ATR length %d over %d", ErrProtocol, name, atrLen, maxATRSize)
		}
		var atr []byte
		if atrLen > 0 {
			atr = bytes.Clone(f[atrOff : atrOff+int(atrLen)])
		}
		out = append(out, ReaderState{
			Name:         name,
			EventCounter: ne.Uint32(f[0:]),
			State:        CardState(ne.Uint32(f[4:])),
			Sharing:      int32(ne.Uint32(f[8:])),
			ATR:          atr,
			Protocol:     Protocol(ne.Uint32(f[atrOff+maxATRSize+3+4:])),
		})
	}
	return out, nil
}

// cString returns the text of a fixed-size C string field up to its first
// NUL (or the whole field if it has none), with surrounding white space
// trimmed.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}
