package jsonpos

import (
	"strings"
	"testing"
)

func TestPositions(t *testing.T) {
	doc := "{\n  \"a\": 1,\n  \"list\": [\n    {\"n\\u0061me\": \"é\", \"x\": [true, null]},\n    \"s\"\n  ],\n  \"é\": {\"k\": \"v\"}\n}\n"
	ix := New([]byte(doc))
	for path, want := range map[string][2]int{
		"":             {1, 1},
		"a":            {2, 3},
		"list":         {3, 3},
		"list[0]":      {4, 5},
		"list[0].name": {4, 6},
		"list[0].x":    {4, 24},
		"list[0].x[1]": {4, 36},
		"list[1]":      {5, 5},
		"é":            {7, 3},
		"é.k":          {7, 9},
	} {
		line, col, ok := ix.Position(path)
		if !ok || line != want[0] || col != want[1] {
			t.Errorf("Position(%q) = %d:%d %v, want %d:%d", path, line, col, ok, want[0], want[1])
		}
	}
	if _, _, ok := ix.Position("list[2]"); ok {
		t.Error("Position(list[2]) found a path that is not in the document")
	}
}

func TestSyntaxErrorKeepsWhatCameBefore(t *testing.T) {
	ix := New([]byte(`{"a": 1, "b": [1, }`))
	if _, _, ok := ix.Position("a"); !ok {
		t.Error("a was not indexed before the syntax error")
	}
}

func TestDeepNestingStops(t *testing.T) {
	deep := strings.Repeat("[", 1<<20)
	ix := New([]byte(deep))
	if _, ok := ix.Offset(""); !ok {
		t.Error("the document itself was not indexed")
	}
}
