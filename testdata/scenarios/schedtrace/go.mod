module gostuck.test/schedtrace

go 1.21
