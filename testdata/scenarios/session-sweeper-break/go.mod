module gostuck.test/session-sweeper-break

go 1.21
