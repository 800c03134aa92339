module example.com/catalog

go 1.24

require example.com/gokit v0.0.0

replace example.com/gokit => ../gokit
