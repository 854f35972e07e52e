//go:build unix

package store

import "syscall"

// allocRing maps size bytes of anonymous memory: pages are committed only
// when first written, and the collector neither scans nor counts them.
func allocRing(size int) ([]byte, func() error) {
	ring, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		ring = make([]byte, size)
		return ring, nil
	}
	return ring, func() error { return syscall.Munmap(ring) }
}
