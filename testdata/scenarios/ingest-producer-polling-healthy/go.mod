module gostuck.test/ingest-producer-polling-healthy

go 1.21
