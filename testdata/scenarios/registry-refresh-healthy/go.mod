module gostuck.test/registry-refresh-healthy

go 1.21
