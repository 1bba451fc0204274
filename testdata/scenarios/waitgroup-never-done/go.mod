module gostuck.test/waitgroup-never-done

go 1.21
