package pcsc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
)

// The byte-exact tests spell the wire in little-endian, the byte order of
// every machine this runs on in CI (amd64, arm64).
func requireLittleEndian(t testing.TB) {
	if ne.Uint16([]byte{1, 0}) != 1 {
		t.Skip("byte-exact wire tests are written for little-endian hosts")
	}
}

const vpcd = "Virtual PCD 00 00"

// cardT0 is the reader table entry of a powered T=0 card in vpcd.
var cardT0 = ReaderState{Name: vpcd, EventCounter: 1, State: StatePresent | StatePowered | StateNegotiable,
	ATR: []byte{0x3B, 0x02, 0x14, 0x50}, Protocol: ProtocolT0}

// wire decodes hex with spaces, for messages laid out field by field.
func wire(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// readerName is a reader name in its 128-byte NUL-padded field, as hex.
func readerName(name string) string {
	var b [maxReaderName]byte
	copy(b[:], name)
	return hex.EncodeToString(b[:])
}

// encodeReadersState lays states out as pcscd's reader table
// (struct pubReaderStatesList[16], 184 bytes each).
func encodeReadersState(states []ReaderState) []byte {
	b := make([]byte, readersStateLen)
	for i, s := range states {
		if i == maxReaders {
			break
		}
		e := b[i*readerStateLen:]
		copy(e[:maxReaderName], s.Name)
		f := e[maxReaderName:]
		ne.PutUint32(f[0:], s.EventCounter)
		ne.PutUint32(f[4:], uint32(s.State))
		ne.PutUint32(f[8:], uint32(s.Sharing))
		copy(f[12:12+maxATRSize], s.ATR)
		ne.PutUint32(f[48:], uint32(len(s.ATR)))
		ne.PutUint32(f[52:], uint32(s.Protocol))
	}
	return b
}

func TestStructSizes(t *testing.T) {
	// Sizes of pcsc-lite's structs on LP64 Linux (winscard_msg.h,
	// eventhandler.h; testdata/README.md).
	assert.Equal(t, 152, connectLen)
	assert.Equal(t, 184, readerStateLen)
	assert.Equal(t, 2944, readersStateLen)
	assert.Equal(t, 65548, maxBufferSize)
}

func TestRequestEncoding(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"CMD_VERSION 4.4", request(cmdVersion, protocolMajor, protocolMinor, 0),
			"0C000000 11000000  04000000 04000000 00000000"},
		{"SCARD_ESTABLISH_CONTEXT system scope", request(cmdEstablishContext, scopeSystem, 0, 0),
			"0C000000 01000000  02000000 00000000 00000000"},
		{"SCARD_RELEASE_CONTEXT", request(cmdReleaseContext, 0x12345678, 0),
			"08000000 02000000  78563412 00000000"},
		{"CMD_GET_READERS_STATE", appendHeader(nil, cmdGetReadersState, 0), "00000000 12000000"},
		{"CMD_WAIT_READER_STATE_CHANGE", appendHeader(nil, cmdWaitReaderStateChange, 0), "00000000 13000000"},
		{"SCARD_TRANSMIT T=0", transmitRequest(0xABCD, ProtocolT0, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}),
			"20000000 09000000  CDAB0000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000  00B2010C00"},
		{"SCARD_TRANSMIT T=1", transmitRequest(7, ProtocolT1, []byte{0x80, 0xCA, 0x9F, 0x17, 0x00}),
			"20000000 09000000  07000000 02000000 10000000 05000000 02000000 10000000 0C000100 00000000  80CA9F1700"},
		{"SCARD_RECONNECT reset", request(cmdReconnect, 7, uint32(shareShared), uint32(ProtocolAny), uint32(ResetCard), 0, 0),
			"18000000 05000000  07000000 02000000 03000000 01000000 00000000 00000000"},
		{"SCARD_DISCONNECT leave", request(cmdDisconnect, 7, uint32(LeaveCard), 0),
			"0C000000 06000000  07000000 00000000 00000000"},
		{"SCARD_STATUS", request(cmdStatus, 7, 0), "08000000 0B000000  07000000 00000000"},
		{"SCARD_BEGIN_TRANSACTION", request(cmdBeginTransaction, 7, 0), "08000000 07000000  07000000 00000000"},
		{"SCARD_END_TRANSACTION leave", request(cmdEndTransaction, 7, uint32(LeaveCard), 0),
			"0C000000 08000000  07000000 00000000 00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, hexOf(wire(t, tt.want)), hexOf(tt.got))
		})
	}
}

func TestConnectRequest(t *testing.T) {
	requireLittleEndian(t)
	got, err := connectRequest(0x12345678, "Virtual PCD 00 00", shareShared, ProtocolAny)
	require.NoError(t, err)
	want := wire(t, "98000000 04000000  78563412"+readerName("Virtual PCD 00 00")+
		"02000000 03000000 00000000 00000000 00000000")
	assert.Equal(t, hexOf(want), hexOf(got))

	for _, bad := range []string{"", strings.Repeat("R", maxReaderName), "a\x00b"} {
		_, err := connectRequest(1, bad, shareShared, ProtocolAny)
		assert.ErrorIs(t, err, ErrUnknownReader, "%q", bad)
	}
	// The longest name that fits with its NUL.
	_, err = connectRequest(1, strings.Repeat("R", maxReaderName-1), shareShared, ProtocolAny)
	assert.NoError(t, err)
}

func TestConnectReply(t *testing.T) {
	requireLittleEndian(t)
	reply := wire(t, "78563412"+readerName("Virtual PCD 00 00")+"02000000 03000000 CDAB0000 01000000 00000000")
	h, p, rv, err := connectReply(reply)
	require.NoError(t, err)
	assert.Equal(t, uint32(0xABCD), h)
	assert.Equal(t, ProtocolT0, p)
	assert.Equal(t, Success, rv)

	_, _, _, err = connectReply(reply[:len(reply)-1])
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestTransmitReply(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		name  string
		reply string
		n     int
		rv    Code
		err   error
	}{
		{"success", "07000000 01000000 10000000 05000000 01000000 10000000 04000000 00000000", 4, Success, nil},
		{"removed card", "07000000 01000000 10000000 05000000 01000000 10000000 00000000 69001080", 0, WarnRemovedCard, nil},
		{"length at the limit", "07000000 01000000 10000000 05000000 01000000 10000000 0C000100 00000000", maxBufferSize, Success, nil},
		{"length over the limit", "07000000 01000000 10000000 05000000 01000000 10000000 0D000100 00000000", 0, 0, ErrProtocol},
		{"short struct", "07000000 01000000", 0, 0, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, rv, err := transmitReply(wire(t, tt.reply))
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.rv, rv)
		})
	}
}

func TestParseReadersState(t *testing.T) {
	requireLittleEndian(t)
	states := []ReaderState{
		{Name: "Virtual PCD 00 00", EventCounter: 3, State: StatePresent | StatePowered | StateNegotiable,
			ATR: []byte{0x3B, 0x02, 0x14, 0x50}, Protocol: ProtocolT0},
		{},
		{Name: "  Gemalto PC Twin Reader 01 00  ", State: StateAbsent, Sharing: -1},
	}
	got, err := parseReadersState(encodeReadersState(states))
	require.NoError(t, err)
	assert.Equal(t, []ReaderState{
		{Name: "Virtual PCD 00 00", EventCounter: 3, State: StatePresent | StatePowered | StateNegotiable,
			ATR: []byte{0x3B, 0x02, 0x14, 0x50}, Protocol: ProtocolT0},
		{Name: "Gemalto PC Twin Reader 01 00", State: StateAbsent, Sharing: -1},
	}, got, "empty slots skipped, names trimmed, order kept")

	// The fields sit where pcsc-lite puts them: counter at 128, state at
	// 132, sharing at 136, ATR at 140, ATR length at 176, protocol at 180.
	b := encodeReadersState(states[:1])
	assert.Equal(t, "03000000"+"34000000"+"00000000", hexOf(b[128:140]))
	assert.Equal(t, "3B021450", hexOf(b[140:144]))
	assert.Equal(t, "04000000"+"01000000", hexOf(b[176:184]))

	t.Run("name filling its field", func(t *testing.T) {
		b := make([]byte, readersStateLen)
		copy(b, bytes.Repeat([]byte{'R'}, maxReaderName))
		got, err := parseReadersState(b)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, strings.Repeat("R", maxReaderName), got[0].Name)
	})
	t.Run("ATR length 34: not powered up yet", func(t *testing.T) {
		b := encodeReadersState(states[:1])
		ne.PutUint32(b[176:], 34) // READER_NOT_INITIALIZED
		got, err := parseReadersState(b)
		require.NoError(t, err)
		assert.Nil(t, got[0].ATR)
	})
	t.Run("ATR length over 34", func(t *testing.T) {
		b := encodeReadersState(states[:1])
		ne.PutUint32(b[176:], 35)
		_, err := parseReadersState(b)
		assert.ErrorIs(t, err, ErrProtocol)
	})
	t.Run("wrong table size", func(t *testing.T) {
		_, err := parseReadersState(make([]byte, readersStateLen-1))
		assert.ErrorIs(t, err, ErrProtocol)
	})
	t.Run("ATR is a copy", func(t *testing.T) {
		b := encodeReadersState(states[:1])
		got, err := parseReadersState(b)
		require.NoError(t, err)
		b[140] = 0
		assert.Equal(t, byte(0x3B), got[0].ATR[0])
	})
}

func TestCardStateString(t *testing.T) {
	assert.Equal(t, "present|powered|negotiable", (StatePresent | StatePowered | StateNegotiable).String())
	assert.Equal(t, "absent", StateAbsent.String())
	assert.Equal(t, "none", CardState(0).String())
	assert.Equal(t, "present|0x10000", (StatePresent | 0x10000).String())
}

func TestProtocolString(t *testing.T) {
	assert.Equal(t, "T=0", ProtocolT0.String())
	assert.Equal(t, "T=1", ProtocolT1.String())
	assert.Equal(t, "T=0|T=1", ProtocolAny.String())
	assert.Equal(t, "protocol(0x10)", Protocol(0x10).String())
}

func TestCodes(t *testing.T) {
	tests := []struct {
		code    Code
		name    string
		value   uint32
		removed bool
	}{
		{Success, "SCARD_S_SUCCESS", 0, false},
		{ErrCancelled, "SCARD_E_CANCELLED", 0x80100002, false},
		{ErrTimeout, "SCARD_E_TIMEOUT", 0x8010000A, false},
		{ErrNoSmartcard, "SCARD_E_NO_SMARTCARD", 0x8010000C, true},
		{ErrProtoMismatch, "SCARD_E_PROTO_MISMATCH", 0x8010000F, false},
		{ErrNotTransacted, "SCARD_E_NOT_TRANSACTED", 0x80100016, false},
		{ErrReaderUnavailable, "SCARD_E_READER_UNAVAILABLE", 0x80100017, true},
		{ErrNoService, "SCARD_E_NO_SERVICE", 0x8010001D, false},
		{ErrServiceStopped, "SCARD_E_SERVICE_STOPPED", 0x8010001E, false},
		{ErrNoReadersAvailable, "SCARD_E_NO_READERS_AVAILABLE", 0x8010002E, false},
		{WarnResetCard, "SCARD_W_RESET_CARD", 0x80100068, false},
		{WarnRemovedCard, "SCARD_W_REMOVED_CARD", 0x80100069, true},
		{WarnCardNotAuthenticated, "SCARD_W_CARD_NOT_AUTHENTICATED", 0x8010006F, false},
		{Code(0x80100099), "SCARD_0x80100099", 0x80100099, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.value, uint32(tt.code))
			assert.Equal(t, tt.name, tt.code.Name())
			assert.True(t, strings.HasPrefix(tt.code.Error(), "pcsc: "+tt.name+" (0x"), tt.code.Error())
			assert.Equal(t, tt.removed, tt.code.CardRemoved())
			err := error(&Error{Op: "transmit", Reader: "R", Code: tt.code})
			assert.Equal(t, tt.removed, errors.Is(err, apdu.ErrCardRemoved))
			if tt.code != Success {
				assert.ErrorIs(t, err, tt.code)
			}
		})
	}
	// Every named code has a distinct name and a description.
	seen := map[string]bool{}
	for c, i := range codeTable {
		assert.False(t, seen[i.name], "duplicate name %s", i.name)
		seen[i.name] = true
		assert.NotEmpty(t, i.text, c.Name())
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "transmit", Reader: "Virtual PCD 00 00", Code: WarnRemovedCard},
			`pcsc: transmit "Virtual PCD 00 00": SCARD_W_REMOVED_CARD (0x80100069): the card was removed`},
		{&Error{Op: "list readers", Code: ErrNoReadersAvailable},
			`pcsc: list readers: SCARD_E_NO_READERS_AVAILABLE (0x8010002E): no reader is available`},
		{&Error{Op: "transmit", Reader: "R", Err: ErrClosed},
			`pcsc: transmit "R": use of a closed context or card`},
		{&Error{Op: "wait for card", Reader: "R", Code: ErrTimeout, Err: errors.New("context deadline exceeded")},
			`pcsc: wait for card "R": SCARD_E_TIMEOUT (0x8010000A): the timeout expired: context deadline exceeded`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := error(&Error{Op: "transmit", Reader: "R", Code: ErrNoSmartcard, Err: cause})
	assert.ErrorIs(t, err, ErrNoSmartcard)
	assert.ErrorIs(t, err, cause)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.NotErrorIs(t, err, ErrTimeout)
	var code Code
	require.ErrorAs(t, err, &code)
	assert.Equal(t, ErrNoSmartcard, code)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "R", pe.Reader)

	// A failed exchange whose reader lost the card wraps apdu.ErrCardRemoved
	// in Err.
	err = &Error{Op: "transmit", Code: ErrNotTransacted}
	assert.NotErrorIs(t, err, apdu.ErrCardRemoved)
}
