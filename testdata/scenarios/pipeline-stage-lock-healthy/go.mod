module gostuck.test/pipeline-stage-lock-healthy

go 1.21
