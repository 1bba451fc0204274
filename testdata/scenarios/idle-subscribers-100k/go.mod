module gostuck.test/idle-subscribers-100k

go 1.21
