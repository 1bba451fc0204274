// cgo-crash: a C function called through cgo dereferences a nil pointer.
// A cgo traceback and symbolizer are registered that, like an addr2line
// without debug information, name every C frame `??` at `??:0`: the
// runtime then prints those frames without parentheses (`??` and
// `\t??:0 pc=0x…`), the shape dumps with C frames take in the wild.
package main

/*
#include <stdint.h>

struct tbArg { uintptr_t context, sigContext; uintptr_t *buf; uintptr_t max; };
struct symArg { uintptr_t pc; const char *file; uintptr_t lineno; const char *func; uintptr_t entry, more, data; };

static volatile int *nowhere;

static void cgoTraceback(void *p) {
	struct tbArg *a = p;
	// Two made-up C frames, then the end of the list.
	if (a->max < 3) return;
	a->buf[0] = 0x1000;
	a->buf[1] = 0x2000;
	a->buf[2] = 0;
}

static void cgoSymbolizer(void *p) {
	struct symArg *a = p;
	a->func = "??";
	a->file = "??";
	a->lineno = 0;
	a->more = 0;
}

static void *tracebackFn(void) { return (void *)cgoTraceback; }
static void *symbolizerFn(void) { return (void *)cgoSymbolizer; }

static int parse(int n) {
	return *nowhere + n; // CRASHES: nowhere is NULL
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

func main() {
	runtime.SetCgoTraceback(0, unsafe.Pointer(C.tracebackFn()), nil, unsafe.Pointer(C.symbolizerFn()))
	C.parse(1)
}
