module gostuck.test/cond-under-lock

go 1.21
