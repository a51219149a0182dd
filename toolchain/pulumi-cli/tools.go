//go:build tools

// Names the CLI's main package so that go mod tidy keeps everything it needs.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
