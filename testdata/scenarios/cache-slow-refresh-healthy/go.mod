module gostuck.test/cache-slow-refresh-healthy

go 1.21
