module gostuck.test/gotest-parallel-fatal-lock

go 1.21
