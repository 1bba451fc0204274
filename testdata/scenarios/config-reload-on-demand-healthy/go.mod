module gostuck.test/config-reload-on-demand-healthy

go 1.21
