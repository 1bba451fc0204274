module gostuck.test/job-panic-recovered-healthy

go 1.21
