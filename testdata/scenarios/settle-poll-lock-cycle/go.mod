module gostuck.test/settle-poll-lock-cycle

go 1.21
