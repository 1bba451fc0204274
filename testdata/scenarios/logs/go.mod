module gostuck.test/logs

go 1.21
