module github.com/tandem-monorepo/tandem/projects/gokit

go 1.24
