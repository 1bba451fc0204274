module gostuck.test/daemon-signal-ctx

go 1.21
