module gostuck.test/deep-recursion

go 1.21
