module gostuck.test/broker-select-forever

go 1.21
