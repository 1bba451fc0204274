module gostuck.test/pool-grow-results-gone

go 1.21
