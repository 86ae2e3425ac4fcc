module example.com/stamping

go 1.22
