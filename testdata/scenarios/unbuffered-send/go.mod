module gostuck.test/unbuffered-send

go 1.21
