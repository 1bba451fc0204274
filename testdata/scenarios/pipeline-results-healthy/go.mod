module gostuck.test/pipeline-results-healthy

go 1.21
