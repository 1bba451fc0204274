module gostuck.test/select-no-cases

go 1.21
