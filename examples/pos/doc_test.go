package main

import (
	"go/doc/comment"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package documentation's sale steps render as one numbered list of
// seven items (go doc, pkg.go.dev): a line of prose starting with a
// number would start a new list.
func TestPackageDocRendersTheSteps(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	var p comment.Parser
	d := p.Parse(f.Doc.Text())
	var lists []*comment.List
	for _, b := range d.Content {
		if l, ok := b.(*comment.List); ok {
			lists = append(lists, l)
		}
	}
	require.NotEmpty(t, lists)
	var numbers []string
	for _, it := range lists[0].Items {
		numbers = append(numbers, it.Number)
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5", "6", "7"}, numbers)
}
