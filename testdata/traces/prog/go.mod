module gostuck.example/traceprog

go 1.21
