module stuck-copy-lock

go 1.21
