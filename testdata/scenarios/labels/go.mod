module gostuck.test/labels

go 1.21
