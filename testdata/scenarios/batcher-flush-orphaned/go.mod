module gostuck.test/batcher-flush-orphaned

go 1.21
