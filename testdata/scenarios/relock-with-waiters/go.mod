module gostuck.test/relock-with-waiters

go 1.21
