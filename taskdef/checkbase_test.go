package taskdef

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// CheckBase refuses only a network mode Fargate cannot run: a base that
// does not name one (the EC2 default would be bridge, but Build sets
// awsvpc and nothing in the base relied on another) passes, as does
// awsvpc. Real files from taskdef/testdata/realworld.
func TestCheckBaseOnRealBases(t *testing.T) {
	tests := []struct {
		file string
		want []Problem
	}{
		{"samples-nginx-ec2-bridge.json", []Problem{{Path: "networkMode", Message: `network mode "bridge" is for EC2 tasks; Fargate runs only "awsvpc": set networkMode to "awsvpc" (and check ports and links) or remove it`}}},
		{"aws-docs-vt1-placement.json", nil}, // no networkMode
		{"samples-nginx-fargate.json", nil},  // awsvpc
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", "realworld", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		base, err := DecodeBase(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if got := CheckBase(base); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: CheckBase = %+v, want %+v", tt.file, got, tt.want)
		}
	}
}
