//go:build !cgo

package main

func cgo() { pingPong(5) }
