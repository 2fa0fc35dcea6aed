module example.com/tinye2e

go 1.22
