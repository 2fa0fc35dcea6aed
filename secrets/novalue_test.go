package secrets

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// launch never reads a secret's value: no code outside tests names
// GetSecretValue or BatchGetSecretValue as a method, call or interface
// member (the IAM action string is fine). The integration tests check the
// emulator's request log too; this catches it without an emulator, at the
// source, for every package of the module.
func TestNoCodeReadsASecretValue(t *testing.T) {
	root := ".."
	forbidden := map[string]bool{"GetSecretValue": true, "BatchGetSecretValue": true}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			var name *ast.Ident
			switch n := n.(type) {
			case *ast.SelectorExpr:
				name = n.Sel
			case *ast.Field: // an interface member
				if len(n.Names) > 0 {
					name = n.Names[0]
				}
			case *ast.FuncDecl:
				name = n.Name
			}
			if name != nil && forbidden[name.Name] {
				t.Errorf("%s: %s: launch must never read a secret's value", fset.Position(name.Pos()), name.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("scanned %d Go files from %s; want the whole module", files, root)
	}
}
