module gostuck.test/fast-path-return

go 1.21
