module unicam

go 1.26.8

require (
	golang.org/x/image v0.48.0
	golang.org/x/sync v0.18.0
)
