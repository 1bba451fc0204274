module gostuck.test/cache-refresh-early-return

go 1.21
