module gostuck.test/typed-fields-cycle

go 1.21
