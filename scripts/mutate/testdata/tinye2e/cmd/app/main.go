// Command app prints the larger of its two arguments.
package main

import (
	"fmt"
	"os"
	"strconv"

	"example.com/tinye2e/lib"
)

func main() {
	a, _ := strconv.Atoi(os.Args[1])
	b, _ := strconv.Atoi(os.Args[2])
	fmt.Println(lib.Larger(a, b))
}
