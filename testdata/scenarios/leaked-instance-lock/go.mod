module leaked-instance-lock

go 1.21
