//go:build linux

package emvtest

import (
	"net"
	"syscall"
)

// quickAck turns off delayed ACKs on the card's side of a vpcd connection.
// vpcd writes a message's length and its bytes in two sends; with Nagle's
// algorithm on its side and delayed ACKs on ours, every exchange would wait
// about 40 ms for the ACK of the length. Linux clears TCP_QUICKACK by
// itself, so it is set again before each read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
