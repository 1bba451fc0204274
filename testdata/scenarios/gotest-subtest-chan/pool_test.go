package pool

import (
	"errors"
	"testing"
)

func double(x int) (int, error) { return 2 * x, nil }

var errNegative = errors.New("negative input")

func checkedSqrt(x int) (int, error) {
	if x < 0 {
		return 0, errNegative
	}
	r := 0
	for (r+1)*(r+1) <= x {
		r++
	}
	return r, nil
}

func TestMap(t *testing.T) {
	t.Run("double", func(t *testing.T) {
		got, err := Map([]int{1, 2, 3, 4}, 2, double)
		if err != nil || len(got) != 4 || got[3] != 8 {
			t.Fatalf("Map = %v, %v", got, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Run("negative", func(t *testing.T) {
			_, err := Map([]int{4, 9, -1, 16}, 2, checkedSqrt) // hangs inside Map
			if !errors.Is(err, errNegative) {
				t.Fatalf("err = %v, want %v", err, errNegative)
			}
		})
	})
}
