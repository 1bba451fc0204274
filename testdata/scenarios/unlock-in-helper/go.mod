module gostuck.test/unlock-in-helper

go 1.21
