module gostuck.test/stacks-endpoint-healthy

go 1.21
