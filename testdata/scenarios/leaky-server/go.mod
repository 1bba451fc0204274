module gostuck.test/leaky-server

go 1.21
