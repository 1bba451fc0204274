module gostuck.test/fanout-abandoned-results

go 1.21
