module gostuck.test/server-partial-deadlock

go 1.21
