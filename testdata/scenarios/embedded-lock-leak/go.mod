module gostuck.test/embedded-lock-leak

go 1.21
