module gostuck.test/registry-refresh-lock-leak

go 1.21
