module gostuck.bench/gen-trace

go 1.22
