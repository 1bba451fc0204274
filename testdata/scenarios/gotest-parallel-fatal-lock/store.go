// Package store is a small key-value store. Its tests share one fixture
// guarded by a mutex; the helper that resets the fixture calls t.Fatalf
// (runtime.Goexit) while holding the mutex, without a deferred Unlock. The
// read-only subtest fails that way first, and the parallel subtests that
// run after it wait for the fixture's mutex until -timeout.
package store

import (
	"errors"
	"sync"
)

var ErrReadOnly = errors.New("store is read-only")

type Store struct {
	mu       sync.Mutex
	data     map[string]string
	readOnly bool
}

func New() *Store { return &Store{data: map[string]string{}} }

func (s *Store) Put(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnly {
		return ErrReadOnly
	}
	s.data[k] = v
	return nil
}

func (s *Store) Get(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[k]
	return v, ok
}

// Reset empties the store.
func (s *Store) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnly {
		return ErrReadOnly
	}
	s.data = map[string]string{}
	return nil
}
