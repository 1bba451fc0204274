package main

// The pipeline's channels, made by setup.
var (
	jobs    chan job
	results chan result
)

// setup makes both channels and starts the workers and the collector.
func setup(workers int) {
	jobs = make(chan job, 16)
	results = make(chan result, 16)
	for i := 0; i < workers; i++ {
		go work(i)
	}
	go collect()
}
