module gostuck.test/token-bucket-leak

go 1.21
