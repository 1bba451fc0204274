module gostuck.test/batcher-flush-healthy

go 1.21
