module gostuck.test/conn-pool-lock-helper-leak

go 1.21
