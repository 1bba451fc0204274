module gostuck.test/leaked-rlock

go 1.21
