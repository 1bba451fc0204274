module gostuck.test/semaphore-upload-leak

go 1.21
