module gostuck.test/ancestors

go 1.21
