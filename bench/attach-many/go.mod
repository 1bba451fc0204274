module attachmany

go 1.21
