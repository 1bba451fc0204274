module gostuck.test/job-panic-recovered-lock

go 1.21
