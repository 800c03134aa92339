module github.com/tandem-monorepo/tandem/projects/orders

go 1.24

require github.com/tandem-monorepo/tandem/projects/gokit v0.0.0

replace github.com/tandem-monorepo/tandem/projects/gokit => ../gokit
