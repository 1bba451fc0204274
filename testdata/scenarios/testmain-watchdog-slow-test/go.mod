module gostuck.test/testmain-watchdog-slow-test

go 1.21
