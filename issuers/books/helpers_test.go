package books_test

import "runtime"

func ncpu() int { return runtime.GOMAXPROCS(0) }
