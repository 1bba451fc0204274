module gostuck.test/generic-inline

go 1.21
