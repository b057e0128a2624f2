//go:build unix

package emv_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used, user and system:
// on a machine shared with other work it measures what a benchmark cost,
// where wall time also counts the waits for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
