//! Which frames are the user's and which are the Go runtime's or standard library's.

/// The package path of a printed function name: `github.com/a/b.(*T).M` →
/// `github.com/a/b`, `main.main.func1` → `main`, `sync.(*Mutex).Lock` → `sync`.
#[must_use]
pub fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => function,
    }
}

/// Top-level directories of GOROOT/src (Go 1.17–1.27).
const STD_ROOTS: &[&str] = &[
    "archive",
    "arena",
    "bufio",
    "builtin",
    "bytes",
    "cmd",
    "cmp",
    "compress",
    "container",
    "context",
    "crypto",
    "database",
    "debug",
    "embed",
    "encoding",
    "errors",
    "expvar",
    "flag",
    "fmt",
    "go",
    "hash",
    "html",
    "image",
    "index",
    "internal",
    "io",
    "iter",
    "log",
    "maps",
    "math",
    "mime",
    "net",
    "os",
    "path",
    "plugin",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "structs",
    "sync",
    "syscall",
    "testing",
    "text",
    "time",
    "unicode",
    "unique",
    "unsafe",
    "vendor",
    "weak",
];

/// True for frames of the runtime and standard library, judged by the package
/// path: its first element must be a top-level directory of GOROOT/src. User
/// modules always have a dot in their first element, except `main` and
/// dot-less module names (`example/foo`), which are not in that list.
#[must_use]
pub fn is_std_frame(function: &str, file: &str) -> bool {
    if matches!(function, "panic" | "non-Go function") {
        return true;
    }
    // Every Go function is qualified by its package (`main.f`); a name
    // without a dot is a C frame named by a cgo symbolizer (`??`, `cFunction`).
    if !function.contains('.') {
        return true;
    }
    // `go test` generates package main in _testmain.go: harness, not user code.
    if file.ends_with("_testmain.go") {
        return true;
    }

    let pkg = package_of(function);
    let first = pkg.split('/').next().unwrap_or(pkg);
    STD_ROOTS.binary_search(&first).is_ok()
}

/// True for frames that only exist to park a goroutine or run the scheduler.
#[must_use]
pub fn is_runtime_frame(function: &str) -> bool {
    function.starts_with("runtime.")
        || function.starts_with("internal/runtime/")
        || function == "panic"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_paths_are_cut_at_the_first_dot_after_the_last_slash() {
        assert_eq!(package_of("github.com/a/b.(*T).M"), "github.com/a/b");
        assert_eq!(package_of("main.main.func1"), "main");
        assert_eq!(package_of("sync.(*Mutex).Lock"), "sync");
        assert_eq!(package_of("net/http.(*Server).Serve"), "net/http");
    }

    #[test]
    fn std_frames_need_a_goroot_like_path() {
        assert!(is_std_frame(
            "sync.(*Mutex).Lock",
            "/usr/local/go/src/sync/mutex.go"
        ));
        assert!(is_std_frame(
            "runtime.gopark",
            "C:\\Go\\src\\runtime\\proc.go"
        ));
        assert!(!is_std_frame("main.main", "/usr/local/go/src/main/x.go"));
        assert!(is_std_frame(
            "sync.runtime_SemacquireWaitGroup",
            "/go/src/runtime/sema.go"
        ));
        assert!(
            STD_ROOTS.windows(2).all(|w| w[0] < w[1]),
            "STD_ROOTS must stay sorted"
        );
        assert!(!is_std_frame("example/foo.Run", "/home/me/foo/run.go"));
        assert!(!is_std_frame(
            "github.com/x/y.F",
            "/go/pkg/mod/github.com/x/y/f.go"
        ));
        assert!(is_std_frame(
            "vendor/golang.org/x/net/http2.F",
            "/usr/local/go/src/vendor/golang.org/x/net/http2/f.go"
        ));
    }
}
