module gostuck.test/gotest-hang

go 1.21
