module gostuck.test/healthy-pool

go 1.21
