module gostuck.test/range-never-closed

go 1.21
