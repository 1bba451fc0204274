module gostuck.test/cond-signal-first

go 1.21
