package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// The mutation operators, in the order -operators lists them.
const (
	opNegate    = "negate-cond"     // if/for condition c → !(c)
	opEq        = "swap-eq"         // == ↔ !=
	opLess      = "swap-lt"         // < ↔ >=
	opGreater   = "swap-gt"         // > ↔ <=
	opAndOr     = "swap-andor"      // && ↔ ||
	opDropCall  = "drop-call"       // remove a call statement
	opDropErr   = "drop-err-assign" // remove an assignment of err (or assign it to _)
	opIntInc    = "int-inc"         // integer literal n → n+1
	opBool      = "flip-bool"       // true ↔ false
	opString    = "string-star"     // string literal → "*"
	opDropRetEr = "drop-return-err" // if err != nil { return …err… } → if err != nil {}
)

var allOperators = []string{opNegate, opEq, opLess, opGreater, opAndOr, opDropCall,
	opDropErr, opIntInc, opBool, opString, opDropRetEr}

// A mutant is one textual edit of one file: bytes [Start, End) of the
// original source are replaced by Repl.
type mutant struct {
	File      string // path relative to the module root, slash-separated
	Line, Col int
	Op        string
	Start     int
	End       int
	Repl      string
	Orig      string // the original text, for the report

	// The enclosing top-level function, from its func keyword to its
	// closing brace; zero for a package-level declaration.
	FuncLine, FuncCol, FuncEndLine, FuncEndCol int
	// For a mutant in a package-level var or const: the names its
	// declaration gives (every name of a const group, which iota may
	// tie), and where functions of the package use them. AllTests: a
	// name is also used by another package-level declaration, or not at
	// all in the package, so the uses do not say which tests matter.
	Names    []string
	Uses     []position
	AllTests bool
}

// A position is a line and column of a file, in the top-level function
// that spans the Func fields.
type position struct {
	File                                       string
	Line, Col                                  int
	FuncLine, FuncCol, FuncEndLine, FuncEndCol int
}

func (m mutant) ID() string {
	return m.File + ":" + strconv.Itoa(m.Line) + ":" + strconv.Itoa(m.Col) + " " + m.Op
}

// apply returns src with the mutant's edit made.
func (m mutant) apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.Repl))
	out = append(out, src[:m.Start]...)
	out = append(out, m.Repl...)
	return append(out, src[m.End:]...)
}

// generate returns every mutant of one Go source file, in source order,
// restricted to the operators in ops. name is the path reported.
func generate(name string, src []byte, ops map[string]bool) ([]mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	tf := fset.File(f.Pos())
	off := func(p token.Pos) int { return tf.Offset(p) }
	text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }

	var ms []mutant
	add := func(op string, at token.Pos, start, end token.Pos, repl string) {
		if !ops[op] {
			return
		}
		p := fset.Position(at)
		ms = append(ms, mutant{File: name, Line: p.Line, Col: p.Column, Op: op,
			Start: off(start), End: off(end), Repl: repl,
			Orig: string(src[off(start):off(end)])})
	}
	swapOp := func(e *ast.BinaryExpr, op string, to token.Token) {
		add(op, e.OpPos, e.OpPos, e.OpPos+token.Pos(len(e.Op.String())), to.String())
	}

	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec, *ast.Field:
			// Import paths, struct tags and parameter lists are not behaviour.
			return false
		case *ast.IfStmt:
			add(opNegate, n.Cond.Pos(), n.Cond.Pos(), n.Cond.End(), "!("+text(n.Cond)+")")
			if errIdent := errNotNil(n.Cond); errIdent != "" && returnsIdent(n.Body, errIdent) {
				add(opDropRetEr, n.Body.Lbrace, n.Body.Lbrace+1, n.Body.Rbrace, "")
			}
		case *ast.ForStmt:
			if n.Cond != nil {
				add(opNegate, n.Cond.Pos(), n.Cond.Pos(), n.Cond.End(), "!("+text(n.Cond)+")")
			}
		case *ast.BinaryExpr:
			switch n.Op {
			case token.EQL:
				swapOp(n, opEq, token.NEQ)
			case token.NEQ:
				swapOp(n, opEq, token.EQL)
			case token.LSS:
				swapOp(n, opLess, token.GEQ)
			case token.GEQ:
				swapOp(n, opLess, token.LSS)
			case token.GTR:
				swapOp(n, opGreater, token.LEQ)
			case token.LEQ:
				swapOp(n, opGreater, token.GTR)
			case token.LAND:
				swapOp(n, opAndOr, token.LOR)
			case token.LOR:
				swapOp(n, opAndOr, token.LAND)
			}
		case *ast.ExprStmt:
			if _, ok := n.X.(*ast.CallExpr); ok {
				add(opDropCall, n.Pos(), n.Pos(), n.End(), "")
			}
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok || id.Name != "err" {
					continue
				}
				switch {
				case len(n.Lhs) == 1 && n.Tok == token.ASSIGN:
					add(opDropErr, n.Pos(), n.Pos(), n.End(), "")
				case len(n.Lhs) == 1 && n.Tok == token.DEFINE && len(n.Rhs) == 1:
					add(opDropErr, n.Pos(), n.Pos(), n.End(), "_ = "+text(n.Rhs[0]))
				case len(n.Lhs) > 1:
					add(opDropErr, id.Pos(), id.Pos(), id.End(), "_")
				}
			}
		case *ast.BasicLit:
			switch n.Kind {
			case token.INT:
				v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
				if err == nil {
					add(opIntInc, n.Pos(), n.Pos(), n.End(), strconv.FormatInt(v+1, 10))
				}
			case token.STRING:
				if n.Value != `"*"` && n.Value != "`*`" {
					add(opString, n.Pos(), n.Pos(), n.End(), `"*"`)
				}
			}
		case *ast.Ident:
			switch n.Name {
			case "true":
				add(opBool, n.Pos(), n.Pos(), n.End(), "false")
			case "false":
				add(opBool, n.Pos(), n.Pos(), n.End(), "true")
			}
		}
		return true
	})
	for i := range ms {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || ms[i].Start < off(fd.Pos()) || ms[i].Start >= off(fd.End()) {
				continue
			}
			p, e := fset.Position(fd.Pos()), fset.Position(fd.End())
			ms[i].FuncLine, ms[i].FuncCol, ms[i].FuncEndLine, ms[i].FuncEndCol = p.Line, p.Column, e.Line, e.Column
		}
	}
	for i := range ms {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || (gd.Tok != token.VAR && gd.Tok != token.CONST) || ms[i].Start < off(gd.Pos()) || ms[i].Start >= off(gd.End()) {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				if gd.Tok == token.CONST || ms[i].Start >= off(vs.Pos()) && ms[i].Start < off(vs.End()) {
					for _, n := range vs.Names {
						if n.Name != "_" {
							ms[i].Names = append(ms[i].Names, n.Name)
						}
					}
				}
			}
		}
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Line != ms[j].Line {
			return ms[i].Line < ms[j].Line
		}
		return ms[i].Col < ms[j].Col
	})
	return ms, nil
}

// errNotNil returns the name of x in a condition `x != nil` (alone or as the
// last operand of &&) where x's name mentions err; otherwise "".
func errNotNil(cond ast.Expr) string {
	b, ok := cond.(*ast.BinaryExpr)
	if !ok {
		return ""
	}
	if b.Op == token.LAND {
		return errNotNil(b.Y)
	}
	if b.Op != token.NEQ {
		return ""
	}
	id, ok := b.X.(*ast.Ident)
	nilY, ok2 := b.Y.(*ast.Ident)
	if !ok || !ok2 || nilY.Name != "nil" || !strings.Contains(strings.ToLower(id.Name), "err") {
		return ""
	}
	return id.Name
}

// returnsIdent reports whether body holds a return statement (not inside a
// function literal) whose results mention the identifier name.
func returnsIdent(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				ast.Inspect(r, func(x ast.Node) bool {
					if id, ok := x.(*ast.Ident); ok && id.Name == name {
						found = true
					}
					return !found
				})
			}
		}
		return !found
	})
	return found
}

// nameUses finds, in one file, where the package-level names are used:
// inside functions (returned by name) or by other package-level
// declarations (shared[name] set).
func nameUses(name string, src []byte, names map[string]bool, uses map[string][]position, shared map[string]bool) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Body == nil {
				continue
			}
			fp, fe := fset.Position(d.Pos()), fset.Position(d.End())
			ast.Inspect(d.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && names[id.Name] {
					p := fset.Position(id.Pos())
					uses[id.Name] = append(uses[id.Name], position{name, p.Line, p.Column, fp.Line, fp.Column, fe.Line, fe.Column})
				}
				return true
			})
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				vs, ok := sp.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					ast.Inspect(v, func(n ast.Node) bool {
						if id, ok := n.(*ast.Ident); ok && names[id.Name] {
							shared[id.Name] = true
						}
						return true
					})
				}
			}
		}
	}
	return nil
}
