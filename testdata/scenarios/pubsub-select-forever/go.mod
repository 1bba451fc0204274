module gostuck.test/pubsub-select-forever

go 1.21
