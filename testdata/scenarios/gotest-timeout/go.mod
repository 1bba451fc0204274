module gostuck.test/gotest-timeout

go 1.21
