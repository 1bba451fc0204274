module gostuck.test/mutex-across-channel

go 1.21
