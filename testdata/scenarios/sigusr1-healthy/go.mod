module gostuck.test/sigusr1-healthy

go 1.21
