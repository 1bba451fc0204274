module gostuck.test/helper-methods

go 1.21
