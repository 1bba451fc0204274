module gostuck.test/sigquit

go 1.21
