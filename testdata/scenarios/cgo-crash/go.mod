module gostuck.test/cgo-crash

go 1.21
