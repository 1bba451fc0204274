module gostuck.test/panic-recovered

go 1.21
