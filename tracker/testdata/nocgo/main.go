// Command nocgo is a Go program without cgo, which the tracker must refuse.
package main

import "fmt"

func main() { fmt.Println("no C here") }
