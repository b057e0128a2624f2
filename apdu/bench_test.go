package apdu

import (
	"context"
	"testing"
)

// memCard is an in-memory card answering READ RECORD with a 186-byte
// record and 9000, and GET RESPONSE with the pending data.
type memCard struct {
	record  []byte
	chained bool // answer 61xx first and hand the record out by GET RESPONSE
}

func (c *memCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if c.chained && cmd[1] != InsGetResponse {
		return []byte{0x61, byte(len(c.record) - 2)}, nil
	}
	return c.record, nil
}

func benchRecord() []byte {
	rec := []byte{0x70, 0x81, 0xB7}
	rec = append(rec, 0x5A, 0x08, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19)
	rec = append(rec, 0x8F, 0x01, 0x94, 0x90, 0x81, 0xA8)
	rec = append(rec, make([]byte, 0xA8)...)
	return append(rec, 0x90, 0x00)
}

func benchExchange(b *testing.B, t Transceiver) {
	ctx := context.Background()
	cmd := ReadRecord(2, 1)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := Exchange(ctx, t, cmd)
		if err != nil || resp.SW != SWOK {
			b.Fatal(err, resp.SW)
		}
	}
}

// The T=0 wrapper when the card answers at once (T=1 readers, most
// cards): it only parses the command and the status word.
func BenchmarkExchangeT0Direct(b *testing.B) {
	benchExchange(b, NewT0(&memCard{record: benchRecord()}))
}

// The T=0 wrapper following 61xx with one GET RESPONSE.
func BenchmarkExchangeT0GetResponse(b *testing.B) {
	benchExchange(b, NewT0(&memCard{record: benchRecord(), chained: true}))
}

// benchRecorder measures a Recorder over card, renewed every 1024
// exchanges to keep the trace from growing without end.
func benchRecorder(b *testing.B, card Transceiver) {
	var rec *Recorder
	ctx := context.Background()
	cmd := ReadRecord(2, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%1024 == 0 {
			rec = NewRecorder(card)
		}
		if _, err := Exchange(ctx, rec, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

// The Recorder copies the command (redacting if needed) and the response.
func BenchmarkExchangeRecorder(b *testing.B) {
	benchRecorder(b, &memCard{record: benchRecord()})
}

// A Recorder over a T=0 wrapper over a chained card: the stack a kernel
// uses with a PC/SC T=0 reader.
func BenchmarkExchangeRecorderT0(b *testing.B) {
	benchRecorder(b, NewT0(&memCard{record: benchRecord(), chained: true}))
}

func BenchmarkMaskPAN(b *testing.B) {
	rec := benchRecord()
	data := rec[:len(rec)-2]
	b.ReportAllocs()
	for b.Loop() {
		_ = MaskPAN(data)
	}
}
