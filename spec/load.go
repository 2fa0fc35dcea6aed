package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/launchdeploy/launch/internal/fsread"
)

// MaxFileSize bounds the spec and every file it names (policies, base task
// definitions). Anything larger is reported as a problem, not read.
const MaxFileSize = 1 << 20

// Load reads, interpolates, decodes, defaults and validates the spec at
// path. lookupEnv is os.LookupEnv in production; nil means no variable is
// set. Every error it returns is an Errors value (also for an unreadable
// file), so callers map it to exit code 2.
func Load(path string, lookupEnv func(string) (string, bool)) (*Spec, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, Errors{{File: path, Message: fmt.Sprintf("the spec %s; %s", err, err.hint("check the path"))}}
	}
	return Parse(path, data, filepath.Dir(path), lookupEnv)
}

// Parse does what Load does with the spec's bytes: name is used in messages
// and as Spec.Path, and dir (Spec.Dir) resolves relative paths in the spec.
func Parse(name string, data []byte, dir string, lookupEnv func(string) (string, bool)) (*Spec, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	l := &loader{
		file:     name,
		dir:      dir,
		env:      lookupEnv,
		pos:      map[string]position{},
		keyPos:   map[string]position{},
		bad:      map[string]bool{},
		badNodes: map[*yaml.Node]bool{},
	}
	s := l.load(data)
	if len(l.problems) > 0 {
		return nil, l.problems.sorted()
	}
	s.Path, s.Dir = name, dir
	return s, nil
}

// loader holds the state of one Parse.
type loader struct {
	file string
	dir  string
	env  func(string) (string, bool)

	lines [][]byte // the file's lines, for hints in YAML syntax errors

	problems Errors
	quiet    bool // drop problems (decoding the defaults into each agent)

	pos      map[string]position // where the value at a path was written
	keyPos   map[string]position // where its key was written
	bad      map[string]bool     // paths whose value could not be read
	badNodes map[*yaml.Node]bool // scalars whose interpolation failed
	// written collects, while an agent is decoded, the paths relative to
	// it (writtenPrefix trimmed) of the fields given a non-null value.
	written       map[string]bool
	writtenPrefix string
	// misplaced holds the paths (outside lists and maps) where a key
	// reported as unknown belongs: when nothing was written there, the
	// block is the misplaced one, so its fields are not also "missing".
	misplaced []string
}

func (l *loader) problemAt(p position, path, msg string) {
	if l.quiet {
		return
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: p.line, Column: p.col, Path: path, Message: msg})
}

// at is where to report a problem with path: where its value was written,
// else where its nearest written ancestor's key was (for a missing value).
func (l *loader) at(path string) position {
	if p, ok := l.pos[path]; ok {
		return p
	}
	for path != "" {
		path = parent(path)
		if p, ok := l.keyPos[path]; ok {
			return p
		}
		if p, ok := l.pos[path]; ok {
			return p
		}
	}
	return position{}
}

// isBad reports whether path or one of its ancestors could not be read.
func (l *loader) isBad(path string) bool {
	for {
		if l.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parent(path)
	}
}

func (l *loader) load(data []byte) *Spec {
	if len(data) > MaxFileSize {
		l.problemAt(position{}, "", fmt.Sprintf("the file is %d bytes, more than the %d-byte limit; a spec is a short YAML file: check the path", len(data), MaxFileSize))
		return nil
	}
	l.lines = bytes.Split(data, []byte("\n"))
	root := l.parseYAML(data)
	if root == nil {
		return nil
	}
	l.scan(root, "")
	s := l.decodeSpec(root)
	for _, p := range l.misplaced {
		if _, written := l.keyPos[p]; !written {
			l.bad[p] = true
		}
	}
	l.readFiles(s)
	l.validate(s)
	return s
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root mapping of the one document in data, or nil
// after reporting why there is none.
func (l *loader) parseYAML(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.problemAt(position{}, "", "the file is empty; a spec needs at least cluster:, taskRole:, executionRole: and agents:")
		} else {
			l.yamlProblem(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		l.problemAt(position{next.Line, 0}, "", "a second YAML document starts here; a spec is one document: remove the --- separator and what follows, or merge it into the first")
	case !errors.Is(err, io.EOF):
		// The first document ended early because of the error: checking
		// it would report as missing what the parser did not reach.
		l.yamlProblem(err)
		return nil
	}
	// yaml.v3 gives a decoded document exactly one node; "---" alone
	// holds a null scalar.
	root := doc.Content[0]
	if isNull(root) {
		l.problemAt(position{}, "", "the file holds no keys, only comments or a --- marker; a spec needs at least cluster:, taskRole:, executionRole: and agents:")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.problemAt(posOf(root), "", fmt.Sprintf("want a mapping of keys (cluster:, taskRole:, agents:, …) at the top of the file, got %s; start the file with key: value lines", describeNode(root)))
		return nil
	}
	return root
}

// yamlProblem reports a YAML error in the writer's terms, at the line
// that caused it where it can be found.
func (l *loader) yamlProblem(err error) {
	msg := err.Error()
	if strings.Contains(msg, "incompatible YAML document") {
		for i, line := range l.lines {
			if bytes.HasPrefix(line, []byte("%YAML")) {
				l.problemAt(position{i + 1, 1}, "", fmt.Sprintf("invalid YAML: %s is a version launch's YAML reader does not take (it reads YAML 1.1, and 1.2 files alike when they do not say so); remove this line: the spec means the same without it", strings.TrimSpace(string(line))))
				return
			}
		}
	}
	// yaml.v3 names no line for a syntax error on the first line (its
	// reader's errors, about the bytes, name none either: below).
	if rest, ok := strings.CutPrefix(msg, "yaml: "); ok && !yamlErrLine.MatchString(msg) && !readerError(rest) {
		msg = "yaml: line 1: " + rest
	}
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		pos, hint := l.syntaxHint(line, m[2], err)
		l.problemAt(pos, "", fmt.Sprintf("invalid YAML: %s; %s", m[2], hint))
		return
	}
	if l.readerProblem(msg) {
		return
	}
	l.problemAt(position{}, "", fmt.Sprintf("invalid YAML: %s; check the indentation and quoting", strings.TrimPrefix(msg, "yaml: ")))
}

// syntaxHint says where and why the parser's error what, at line, most
// likely is.
func (l *loader) syntaxHint(line int, what string, err error) (position, string) {
	// yaml.v3 names the line where the enclosing block began, or a line
	// after the one that broke it; a line indented like no block above it
	// is the likelier cause when moving it changes the error.
	if mi := findMisindent(l.lines); mi != nil && slices.Contains(blockErrors, what) && mi.confirmed(l.lines, err) {
		return position{mi.line, mi.col}, mi.hint
	}
	if what == "did not find expected <document start>" {
		if first, left, ok := leftOfFirstLine(l.lines); ok {
			return position{first.line, first.col}, fmt.Sprintf("%s starts at column %d, but line %d starts left of it, at column %d, and nothing in a YAML document may start left of its first line; remove the spaces before %[1]s",
				first.text, first.col, left.line, left.col)
		}
		for i := min(line, len(l.lines)) - 1; i >= 0; i-- {
			if strings.TrimRight(string(l.lines[i]), " \t\r") == "..." {
				return position{i + 1, 1}, "this ... ends the document, and more follows without a --- to start another: remove the ... line"
			}
		}
	}
	if line >= 1 && line <= len(l.lines) {
		key, value, col, ok := keyValue(l.lines[line-1])
		switch {
		case ok && what == "mapping values are not allowed in this context" && plainWithColon(value):
			return position{line, col}, fmt.Sprintf(`the value of %s: holds ": ", which YAML reads as the start of another key: quote the value, as in %[1]s: "%s"`, key, value)
		case ok && what == "block sequence entries are not allowed in this context" && (value == "-" || strings.HasPrefix(value, "- ")):
			return position{line, col}, fmt.Sprintf(`a list cannot start on the line of its key: put each "- " item on a line of its own below %s:, indented more than it, or write the list as [a, b]`, key)
		}
	}
	// yaml.v3 names the tab's line or the one before it.
	for i := line - 1; i >= 0 && i <= line && i < len(l.lines); i++ {
		text := l.lines[i]
		indent := text[:len(text)-len(bytes.TrimLeft(text, " \t"))]
		if tab := bytes.IndexByte(indent, '\t'); tab >= 0 {
			return position{i + 1, tab + 1}, "this line is indented with a tab, and YAML indents with spaces only: replace the tab with spaces"
		}
	}
	for i := line - 1; i >= 0 && i <= line && i < len(l.lines); i++ {
		if loc := flowVariable.FindIndex(l.lines[i]); loc != nil {
			return position{i + 1, loc[1] - 1}, `inside [ ] or { }, quote a value that uses ${…}, as in ["${SUBNET_1}"]` // at the $
		}
	}
	return position{line, 0}, "check the indentation and quoting from this line on"
}

// readerProblem reports an error of yaml.v3's reader, which names no line,
// at the byte it refused; false when msg is not one.
func (l *loader) readerProblem(msg string) bool {
	// A file saved as Windows-1252 or Latin-1 is the usual cause of bytes
	// that are not UTF-8.
	if strings.Contains(msg, "UTF-8") {
		if pos, b, ok := firstNonUTF8(l.lines); ok {
			l.problemAt(pos, "", fmt.Sprintf("invalid YAML: the byte 0x%02X is not UTF-8 text, and a spec is UTF-8; the file was likely saved as Windows-1252 or Latin-1: save it as UTF-8", b))
			return true
		}
	}
	if strings.Contains(msg, "control characters are not allowed") {
		if pos, r, ok := firstControlChar(l.lines); ok {
			cause := "text copied from a coloured terminal carries such codes"
			switch {
			case r >= 0xfffe:
				cause = "it is a Unicode non-character, never text"
			case r >= 0x80:
				cause = "curly quotes and dashes of Windows-1252 text read as Latin-1 turn into such codes: retype the character"
			}
			l.problemAt(pos, "", fmt.Sprintf("invalid YAML: the control character %U is not allowed (YAML allows only tab and line breaks); remove it — %s", r, cause))
			return true
		}
	}
	return false
}

// readerError reports whether a yaml.v3 message is one of its reader's,
// about the bytes of the file rather than its syntax.
func readerError(msg string) bool {
	return strings.Contains(msg, "UTF-8") || strings.Contains(msg, "Unicode") || strings.Contains(msg, "control characters") || strings.HasPrefix(msg, "input error")
}

// lineStart is where a line's content starts: its first word, for messages.
type lineStart struct {
	line, col int // 1-based
	text      string
}

// leftOfFirstLine finds a spec whose first line is indented and a later
// line that starts left of it: yaml.v3 takes the first line's column for
// the document's and then finds "no document start" at the later line.
func leftOfFirstLine(lines [][]byte) (first, left lineStart, ok bool) {
	found := false
	for i, raw := range lines {
		text := strings.TrimRight(string(raw), " \t\r")
		content := strings.TrimLeft(text, " ")
		if content == "" || content[0] == '#' {
			continue
		}
		start := lineStart{i + 1, len(text) - len(content) + 1, strings.Fields(content)[0]}
		if !found {
			if start.col == 1 {
				return first, left, false
			}
			first, found = start, true
			continue
		}
		if start.col < first.col {
			return first, start, true
		}
	}
	return first, left, false
}

// firstControlChar finds the first character YAML does not allow in a
// stream: a C0 control other than tab, line feed and carriage return, DEL,
// a C1 control other than NEL (YAML 1.2, c-printable), or the
// non-characters U+FFFE and U+FFFF.
func firstControlChar(lines [][]byte) (position, rune, bool) {
	for i, line := range lines {
		col := 1
		for _, r := range string(line) {
			if (r < 0x20 && r != '\t' && r != '\r') || (r >= 0x7f && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff {
				return position{i + 1, col}, r, true
			}
			col++
		}
	}
	return position{}, 0, false
}

// firstNonUTF8 finds the first byte that does not start a valid UTF-8
// character; col counts the characters before it.
func firstNonUTF8(lines [][]byte) (position, byte, bool) {
	for i, line := range lines {
		col := 1
		for len(line) > 0 {
			r, size := utf8.DecodeRune(line)
			if r == utf8.RuneError && size == 1 { // a U+FFFD written out decodes in 3 bytes
				return position{i + 1, col}, line[0], true
			}
			line = line[size:]
			col++
		}
	}
	return position{}, 0, false
}

// scan walks the whole tree once before decoding: it reports duplicate
// keys, aliases and merge keys, and substitutes ${VAR} in every scalar value
// (never in keys).
func (l *loader) scan(n *yaml.Node, path string) {
	if !l.checkTag(n, path) {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		l.problemAt(posOf(n), path, fmt.Sprintf("YAML aliases (*%s) are not supported; write the value out, or put shared agent settings under defaults:", n.Value))
	case yaml.ScalarNode:
		value, problems := interpolate(n.Value, l.env)
		for _, msg := range problems {
			l.problemAt(posOf(n), path, msg)
		}
		if len(problems) > 0 {
			l.badNodes[n] = true
		}
		n.Value = value
	case yaml.SequenceNode:
		for i, item := range n.Content {
			l.scan(item, joinIndex(path, i))
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := path
			if !l.checkTag(k, path) {
				continue // decoding skips the key
			}
			if k.Kind == yaml.ScalarNode {
				p = joinKey(path, k.Value)
				if isMergeKey(k) {
					l.problemAt(posOf(k), path, "YAML merge keys (<<) are not supported; write the values out, or put shared agent settings under defaults:")
					l.bad[path] = true
					continue
				} else if first, dup := seen[k.Value]; dup {
					l.problemAt(posOf(k), path, fmt.Sprintf("key %s appears twice, first at line %d; remove one", quoteShort(k.Value), first.Line))
				} else {
					seen[k.Value] = k
				}
			}
			l.scan(v, p)
		}
	}
}

// coreTags are the tags of the YAML core schema, which the decoder
// understands; "!" is the non-specific tag (a plain string).
var coreTags = map[string]bool{
	"!": true, "!!str": true, "!!int": true, "!!bool": true, "!!null": true,
	"!!float": true, "!!seq": true, "!!map": true,
}

// cloudFormationTags are the short forms of CloudFormation's intrinsic
// functions, which a spec copied from a template may still hold.
var cloudFormationTags = map[string]bool{
	"!Ref": true, "!Sub": true, "!GetAtt": true, "!Join": true, "!Select": true,
	"!Split": true, "!If": true, "!Equals": true, "!And": true, "!Or": true,
	"!Not": true, "!Condition": true, "!FindInMap": true, "!ImportValue": true,
	"!Base64": true, "!Cidr": true, "!GetAZs": true, "!Transform": true,
}

// checkTag reports a tag written on n (as in key: !Ref Param) that is not
// one of the core schema's, and marks n bad; yaml.v3 would otherwise keep
// the literal text and drop the tag.
func (l *loader) checkTag(n *yaml.Node, path string) bool {
	if n.Style&yaml.TaggedStyle == 0 || coreTags[n.ShortTag()] {
		return true
	}
	tag := n.ShortTag()
	msg := fmt.Sprintf("YAML tag %s is not supported; launch reads plain values (the core tags !!str, !!int, !!bool, !!float, !!null, !!seq and !!map only): remove the tag and write the value", tag)
	if cloudFormationTags[tag] {
		msg = fmt.Sprintf("YAML tag %s is not supported; launch does not evaluate CloudFormation intrinsic functions: write the value itself, or ${NAME} to take it from the environment", tag)
	}
	l.problemAt(posOf(n), path, msg)
	l.badNodes[n] = true // decode marks path bad
	return false
}

// decodeSpec decodes the root mapping over the built-in defaults, then
// builds each agent from the built-in agent defaults, the spec's defaults:
// and the agent's own settings, in that order.
func (l *loader) decodeSpec(root *yaml.Node) *Spec {
	s := newSpec()
	var defaults, agents *yaml.Node
	l.decodeStruct(root, reflect.ValueOf(s).Elem(), "", func(key string, k, v *yaml.Node) bool {
		switch key {
		case "defaults":
			l.keyPos[key], l.pos[key] = posOf(k), posOf(v)
			defaults = v
		case "agents":
			l.keyPos[key], l.pos[key] = posOf(k), posOf(v)
			agents = v
		default:
			return false
		}
		return true
	})

	if defaults != nil && !isNull(defaults) {
		if defaults.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(defaults.Content); i += 2 {
				if k := defaults.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "name" {
					l.problemAt(posOf(k), "defaults", `name cannot be set under defaults; give each agent its own name under agents:`)
				}
			}
		}
		d := newAgent()
		l.decodeStruct(defaults, reflect.ValueOf(&d).Elem(), "defaults", skipName)
		s.Defaults = d
		if defaults.Kind != yaml.MappingNode {
			defaults = nil
		}
	} else {
		defaults = nil
	}

	if agents == nil || isNull(agents) {
		return s
	}
	if agents.Kind != yaml.SequenceNode {
		l.kindProblem(agents, "agents", "a list")
		return s
	}
	for i, item := range agents.Content {
		path := joinIndex("agents", i)
		l.pos[path] = posOf(item)
		a := newAgent()
		a.Line = item.Line
		v := reflect.ValueOf(&a).Elem()
		if item.Kind != yaml.MappingNode {
			l.kindProblem(item, path, "a mapping")
			s.Agents = append(s.Agents, a)
			continue
		}
		l.written, l.writtenPrefix = map[string]bool{}, path+"."
		if defaults != nil {
			l.quiet = true
			l.decodeStruct(defaults, v, path, skipName)
			l.quiet = false
		}
		l.decodeStruct(item, v, path, nil)
		a.Explicit, l.written = l.written, nil
		if a.Logs.Group == "" && a.Name != "" {
			// An empty group (say ${LOG_GROUP:-}) states nothing: the base's
			// group, else the default, stands.
			delete(a.Explicit, "logs.group")
			a.Logs.Group = "/ecs/" + a.Name
		}
		s.Agents = append(s.Agents, a)
	}
	return s
}

func skipName(key string, _, _ *yaml.Node) bool { return key == "name" }

// readFiles loads the inline policy files and base task definitions the
// spec names, and checks that each holds what it should.
func (l *loader) readFiles(s *Spec) {
	for i := range s.TaskRole.InlinePolicies {
		p := &s.TaskRole.InlinePolicies[i]
		path := joinIndex("taskRole.inlinePolicies", i)
		if l.isBad(path) {
			continue
		}
		switch {
		case p.File != "" && p.Document != "":
			l.problemAt(l.at(path+".document"), path, "both file and document are set; keep one: file names a JSON policy file, document holds the JSON itself")
		case p.File == "" && p.Document == "":
			l.problemAt(l.at(path), path, "neither file nor document is set; set file to a JSON policy file, or document to the policy JSON")
		case p.File != "":
			resolved := l.resolve(p.File)
			data, err := readJSONFile(resolved)
			if err != nil {
				l.problemAt(l.at(path+".file"), path+".file", fmt.Sprintf("policy file %s %s; %s", resolved, err, err.hint(l.pathHint())))
				continue
			}
			if msgs := checkPolicy(data, ""); len(msgs) > 0 {
				for _, msg := range msgs {
					sep := " "
					if strings.HasPrefix(msg, ":") {
						sep = ""
					}
					l.problemAt(l.at(path+".file"), path+".file", fmt.Sprintf("policy file %s%s%s", resolved, sep, msg))
				}
				continue
			}
			p.Document = string(data)
		default:
			for _, msg := range checkPolicy([]byte(p.Document), " of the document") {
				if rest, ok := strings.CutPrefix(msg, ":"); ok {
					msg = "at " + rest // "at 3:5: Statement[0]: …"
				}
				l.problemAt(l.at(path+".document"), path+".document", "the policy document "+msg)
			}
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		path := joinIndex("agents", i)
		if l.isBad(path) {
			continue
		}
		if a.BaseTaskDefinition == "" {
			if a.Container == "" {
				a.Container = a.Name
			}
			continue
		}
		bp := path + ".baseTaskDefinition"
		if l.isBad(bp) {
			continue
		}
		resolved := l.resolve(a.BaseTaskDefinition)
		data, err := readJSONFile(resolved)
		if err != nil {
			l.problemAt(l.at(bp), bp, fmt.Sprintf("base task definition %s %s; %s", resolved, err, err.hint(l.pathHint())))
			continue
		}
		if msg := checkJSONObject(data, ""); msg != "" {
			l.problemAt(l.at(bp), bp, fmt.Sprintf("base task definition %s %s", resolved, msg))
			continue
		}
		a.BaseTaskDefinitionJSON = data
		l.defaultContainer(a, path, resolved)
		baseLogGroup(a)
	}
}

func (l *loader) pathHint() string {
	if l.dir == "" || l.dir == "." {
		return "check the path (relative paths start at the spec's directory)"
	}
	return fmt.Sprintf("check the path (relative paths start at the spec's directory, %s)", l.dir)
}

func (l *loader) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

// fileError is why a file the spec names (or the spec itself) could not be
// read. Its text follows the file's name in a message ("does not exist").
type fileError struct {
	reason string
	stream bool // a named pipe, a device or a socket
}

func (e *fileError) Error() string { return e.reason }

// hint tells what to do about a file that could not be read; pathHint is
// the advice for a wrong path.
func (e *fileError) hint(pathHint string) string {
	if e.stream {
		return "launch reads only regular files: write the content to a file and name that file"
	}
	return pathHint
}

// readLimited reads a regular file of at most MaxFileSize bytes, refusing
// a named pipe or a device without waiting on it.
func readLimited(path string) ([]byte, *fileError) {
	data, err := fsread.ReadFile(path, MaxFileSize)
	if err != nil {
		var nr *fsread.NotRegularError
		stream := errors.As(err, &nr) && !nr.Mode.IsDir()
		return nil, &fileError{reason: fsread.Reason(err), stream: stream}
	}
	return data, nil
}
