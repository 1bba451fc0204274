module gostuck.test/lock-in-caller

go 1.21
