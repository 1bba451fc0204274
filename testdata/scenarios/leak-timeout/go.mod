module gostuck.test/leak-timeout

go 1.21
