module gostuck.test/timer-drain

go 1.21
