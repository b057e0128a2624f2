//go:build linux

package pcsc

import (
	"context"
	"net"
)

// dialSocket connects to pcsc-lite's daemon on its Unix socket.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
