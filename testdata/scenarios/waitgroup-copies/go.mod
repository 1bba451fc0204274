module waitgroup-copies

go 1.21
