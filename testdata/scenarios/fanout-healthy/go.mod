module gostuck.test/fanout-healthy

go 1.21
