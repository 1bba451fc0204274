module gostuck.test/rwmutex-upgrade

go 1.21
