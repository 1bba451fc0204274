module shared-mutex-copies

go 1.21
