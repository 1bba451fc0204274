module gostuck.test/settle-poll-admin-healthy

go 1.21
