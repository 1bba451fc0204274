module gostuck.test/pool-grow-healthy

go 1.21
