module gostuck.test/pipeline-nil-results

go 1.21
