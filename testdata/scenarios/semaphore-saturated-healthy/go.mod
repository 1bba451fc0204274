module gostuck.test/semaphore-saturated-healthy

go 1.21
