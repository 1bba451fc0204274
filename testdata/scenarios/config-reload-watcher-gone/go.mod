module gostuck.test/config-reload-watcher-gone

go 1.21
