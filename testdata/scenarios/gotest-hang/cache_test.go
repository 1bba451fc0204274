package cache

import (
	"fmt"
	"os"
	"testing"
)

// TestOutput prints a deterministic payload: many lines, a long line, bytes
// that are not UTF-8 and a line without a newline, so that what reaches
// `gostuck run`'s stdout can be compared byte for byte.
func TestOutput(t *testing.T) {
	w := os.Stdout
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(w, "payload line %04d: the quick brown fox\n", i)
	}
	long := make([]byte, 100000)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	w.Write(long)
	w.Write([]byte("\n\xff\xfe not utf-8 \x00 and a tab\tend\n"))
	w.Write([]byte("no newline at the end of this write"))
	w.Write([]byte("\n"))
}

func TestGet(t *testing.T) {
	c := New()
	if got := c.Get("x"); got != "" {
		t.Fatalf("Get = %q", got)
	}
}

func TestRefresh(t *testing.T) {
	c := New()
	c.Refresh(func(c *Cache) map[string]string {
		old := c.Get("version") // BLOCKS: recursive lock on c.mu
		return map[string]string{"version": old + "1"}
	})
}
