// panic-recovered: a panic is recovered in a deferred function and a new
// panic is raised (-mode=wrap: "panic: X [recovered]" followed by the new
// panic) or the same value is re-raised (-mode=repanic: Go >= 1.23 prints
// "[recovered, repanicked]"). Another goroutine is blocked at the time; it
// only shows up with GOTRACEBACK=all or higher.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var never = make(chan int)

func consumer() {
	<-never // BLOCKS: visible only with GOTRACEBACK=all
}

func parse(input string) int {
	if input == "" {
		panic("unexpected end of input")
	}
	return len(input)
}

func process(mode, input string) int {
	defer func() {
		if r := recover(); r != nil {
			if mode == "repanic" {
				panic(r) // re-raise the same value
			}
			panic(fmt.Sprintf("process(%q) failed: %v", input, r))
		}
	}()
	return parse(input)
}

func main() {
	mode := flag.String("mode", "wrap", "wrap|repanic")
	flag.Parse()
	go consumer()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Println(process(*mode, ""))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
