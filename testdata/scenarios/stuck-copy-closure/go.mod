module stuck-copy-closure

go 1.21
