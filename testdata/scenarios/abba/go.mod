module gostuck.test/abba

go 1.21
