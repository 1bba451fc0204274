module gostuck.test/lock-handoff

go 1.21
