module gostuck.test/stacks-endpoint-full-queue

go 1.21
