module example.com/realworld

go 1.23
