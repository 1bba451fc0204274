module gostuck.test/broker-stuck-subscriber

go 1.21
