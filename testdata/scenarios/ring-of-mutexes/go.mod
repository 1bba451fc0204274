module gostuck.test/ring-of-mutexes

go 1.21
