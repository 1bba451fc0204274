module gostuck.test/gotest-subtest-chan

go 1.21
