module gostuck.test/heartbeat-stuck-transfers

go 1.21
