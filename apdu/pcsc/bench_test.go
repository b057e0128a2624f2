package pcsc

import (
	"context"
	"io"
	"net"
	"testing"
)

func BenchmarkParseReadersState(b *testing.B) {
	table := encodeReadersState([]ReaderState{cardT0, {Name: "Virtual PCD 00 01", State: StateAbsent}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseReadersState(table); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransmit measures the client's side of one SCARD_TRANSMIT: a
// daemon on the other end of an in-memory pipe answers at once.
func BenchmarkTransmit(b *testing.B) {
	client, daemon := net.Pipe()
	cmd := []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}
	resp := make([]byte, 200)
	resp[198], resp[199] = 0x90, 0x00
	reply := make([]byte, transmitLen, transmitLen+len(resp))
	ne.PutUint32(reply[24:], uint32(len(resp)))
	reply = append(reply, resp...)
	go func() {
		req := make([]byte, headerSize+transmitLen+len(cmd))
		for {
			if _, err := io.ReadFull(daemon, req); err != nil {
				return
			}
			if _, err := daemon.Write(reply); err != nil {
				return
			}
		}
	}()
	x := &Context{c: &conn{nc: client}, handle: 1}
	defer x.c.close()
	card := &Card{x: x, reader: "R", handle: 0xABCD, protocol: ProtocolT0}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := card.Transmit(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
}
