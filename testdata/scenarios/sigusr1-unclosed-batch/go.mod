module gostuck.test/sigusr1-unclosed-batch

go 1.21
