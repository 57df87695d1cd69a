//go:build !linux

package startmem

import "errors"

// Release does nothing outside Linux.
func Release() (Released, error) {
	return Released{}, errors.New("release start-up pages: only on Linux")
}
