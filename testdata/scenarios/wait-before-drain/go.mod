module gostuck.test/wait-before-drain

go 1.21
