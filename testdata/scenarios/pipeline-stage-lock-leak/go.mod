module gostuck.test/pipeline-stage-lock-leak

go 1.21
