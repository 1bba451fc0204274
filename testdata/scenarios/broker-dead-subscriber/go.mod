module gostuck.test/broker-dead-subscriber

go 1.21
