module gostuck.test/daemon-signal-stuck

go 1.21
