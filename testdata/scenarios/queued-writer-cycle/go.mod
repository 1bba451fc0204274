module queued-writer-cycle

go 1.21
