//go:build !unix

package emv_test

import "time"

// processCPU is not measured here: benchmarks report no CPU figures.
func processCPU() time.Duration { return 0 }
