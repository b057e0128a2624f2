module github.com/emvkit/emvkit

go 1.26.0

require (
	filippo.io/nistec v0.0.4
	github.com/stretchr/testify v1.12.1
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
