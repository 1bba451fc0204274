module gostuck.test/testmain-watchdog-full-channel

go 1.21
