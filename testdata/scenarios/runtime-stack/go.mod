module gostuck.test/runtime-stack

go 1.21
