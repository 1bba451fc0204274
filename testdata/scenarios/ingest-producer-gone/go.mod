module gostuck.test/ingest-producer-gone

go 1.21
