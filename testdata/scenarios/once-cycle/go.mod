module gostuck.test/once-cycle

go 1.21
