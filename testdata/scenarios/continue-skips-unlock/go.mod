module gostuck.test/continue-skips-unlock

go 1.21
