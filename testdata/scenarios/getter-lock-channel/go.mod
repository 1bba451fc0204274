module getter-lock-channel

go 1.21
