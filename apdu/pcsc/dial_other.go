//go:build !linux

package pcsc

import (
	"context"
	"net"
)

// dialSocket reports that this system has no supported PC/SC service yet:
// macOS (PCSC.framework) and Windows (WinSCard) speak no socket protocol
// this package knows.
func dialSocket(context.Context, string) (net.Conn, error) {
	return nil, ErrNotSupported
}
