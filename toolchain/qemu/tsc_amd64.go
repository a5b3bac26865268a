package qemu

func rdtsc() uint64

const haveTSC = true
