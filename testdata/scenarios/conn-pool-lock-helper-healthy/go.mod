module gostuck.test/conn-pool-lock-helper-healthy

go 1.21
