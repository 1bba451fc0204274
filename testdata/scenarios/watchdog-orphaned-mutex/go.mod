module gostuck.test/watchdog-orphaned-mutex

go 1.21
