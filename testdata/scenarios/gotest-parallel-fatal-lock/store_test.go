package store

import (
	"fmt"
	"sync"
	"testing"
)

// fixture is one store shared by all subtests; mu serialises its use.
type fixture struct {
	mu sync.Mutex
	db *Store
}

// with resets the shared store and runs fn on it, holding the fixture.
func (f *fixture) with(t *testing.T, fn func(*Store)) {
	t.Helper()
	f.mu.Lock() // BLOCKS: a failed subtest left f.mu locked
	if err := f.db.Reset(); err != nil {
		t.Fatalf("reset fixture: %v", err) // BUG: Goexit with f.mu locked (no defer f.mu.Unlock())
	}
	fn(f.db)
	f.mu.Unlock()
}

func TestStore(t *testing.T) {
	f := &fixture{db: New()}
	t.Run("read-only", func(t *testing.T) {
		f.db.readOnly = true
		defer func() { f.db.readOnly = false }()
		f.with(t, func(db *Store) {
			if err := db.Put("k", "v"); err != ErrReadOnly {
				t.Errorf("Put = %v", err)
			}
		})
	})
	for i := 0; i < 4; i++ {
		key := fmt.Sprintf("key-%d", i)
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			f.with(t, func(db *Store) {
				if err := db.Put(key, "v"); err != nil {
					t.Fatal(err)
				}
				if v, _ := db.Get(key); v != "v" {
					t.Errorf("Get(%q) = %q", key, v)
				}
			})
		})
	}
}
