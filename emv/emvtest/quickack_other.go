//go:build !linux

package emvtest

import "net"

// quickAck is a Linux socket option; elsewhere exchanges keep the
// system's ACK timing.
func quickAck(net.Conn) {}
