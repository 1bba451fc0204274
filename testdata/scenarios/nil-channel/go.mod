module gostuck.test/nil-channel

go 1.21
