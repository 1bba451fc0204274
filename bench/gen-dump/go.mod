module gostuck.bench/gen-dump

go 1.22
