//go:build tools

// Names the language host's main package so that go mod tidy keeps everything it needs.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
