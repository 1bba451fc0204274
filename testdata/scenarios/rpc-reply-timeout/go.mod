module gostuck.test/rpc-reply-timeout

go 1.21
