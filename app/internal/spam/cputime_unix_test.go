//go:build unix

package spam

import (
	"syscall"
	"time"
)

// processCPUTime is user+system CPU time of this process. On a shared, loaded machine it
// measures the work a benchmark did where wall time also counts waiting for a core.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
