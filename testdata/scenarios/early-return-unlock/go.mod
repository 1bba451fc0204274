module gostuck.test/early-return-unlock

go 1.21
