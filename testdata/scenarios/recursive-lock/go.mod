module gostuck.test/recursive-lock

go 1.21
