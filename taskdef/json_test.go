package taskdef_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecsdocument "github.com/aws/aws-sdk-go-v2/service/ecs/document"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestJSONGolden(t *testing.T) {
	got := mustJSON(t, desiredFromBase(t))
	const golden = "testdata/render.golden.json"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := string(readFixture(t, "render.golden.json"))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("JSON (-golden +got), run go test -update if intended:\n%s", d)
	}
}

func TestJSONKeys(t *testing.T) {
	in := &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("a"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:         aws.String("a"),
			DnsServers:   []string{"10.0.0.2"},
			DockerLabels: map[string]string{"OWNER": "platform", "com.example.Team": "data"},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "g", "awslogs-stream-prefix": "p"}},
			HealthCheck:  &types.HealthCheck{Command: []string{"CMD-SHELL", "test -f /ok && exit 0 <x>"}},
			Essential:    aws.Bool(false),
			PortMappings: []types.PortMapping{},
		}},
		Volumes: []types.Volume{{Name: aws.String("v"), EfsVolumeConfiguration: &types.EFSVolumeConfiguration{FileSystemId: aws.String("fs-1")}}},
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, in)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"family": "a",
		"containerDefinitions": []any{map[string]any{
			"name":         "a",
			"dnsServers":   []any{"10.0.0.2"},
			"dockerLabels": map[string]any{"OWNER": "platform", "com.example.Team": "data"},
			"logConfiguration": map[string]any{"logDriver": "awslogs",
				"options": map[string]any{"awslogs-group": "g", "awslogs-stream-prefix": "p"}},
			"healthCheck":  map[string]any{"command": []any{"CMD-SHELL", "test -f /ok && exit 0 <x>"}},
			"essential":    false, // a set pointer prints even when false
			"portMappings": []any{},
		}},
		"volumes": []any{map[string]any{"name": "v", "efsVolumeConfiguration": map[string]any{"fileSystemId": "fs-1"}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("JSON (-want +got):\n%s", d)
	}
	if s := mustJSON(t, in); !strings.Contains(s, "&& exit 0 <x>") {
		t.Errorf("JSON escapes HTML characters:\n%s", s)
	}
}

// TestJSONMatchesSDKWireFormat fills every member reachable from
// RegisterTaskDefinitionInput and checks that JSON prints the same keys and
// values as the SDK's own awsJson1_1 serializer sends to ECS: the key names
// derived from Go field names are the real member names.
func TestJSONMatchesSDKWireFormat(t *testing.T) {
	var in ecs.RegisterTaskDefinitionInput
	fill(reflectValue(&in), 0)

	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	op := smithy.NewOperationSchema(schemas.RegisterTaskDefinition, schemas.RegisterTaskDefinitionRequest, schemas.RegisterTaskDefinitionResponse)
	if err := awsjson.New11(schemas.AmazonEC2ContainerServiceV20141113).SerializeRequest(context.Background(), op, &in, req); err != nil {
		t.Fatal(err)
	}
	wire, err := io.ReadAll(req.GetStream())
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(wire, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustJSON(t, &in)), &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("JSON differs from the SDK's wire format (-sdk +JSON):\n%s", d)
	}

	// And DecodeBase reads it back whole.
	back, err := taskdef.DecodeBase(wire)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&in, back, allExported); d != "" {
		t.Errorf("DecodeBase(wire) (-want +got):\n%s", d)
	}
}

func TestJSONOutputTypes(t *testing.T) {
	td, _ := registeredForm(desiredFromBase(t), 3)
	s := mustJSON(t, &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &td})
	for _, want := range []string{`"taskDefinitionArn": "` + tdARN("streaming-agent", 3) + `"`, `"revision": 3`, `"registeredAt": "2026-03-02T10:00:00Z"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%.400s", want, s)
		}
	}
	if strings.Contains(s, "resultMetadata") {
		t.Errorf("JSON prints the SDK's result metadata")
	}
	if s := mustJSON(t, (*ecs.RegisterTaskDefinitionInput)(nil)); s != "null\n" {
		t.Errorf("JSON(nil) = %q", s)
	}
	// Only a struct member with nothing exported is left out, as the SDK's
	// metadata is; one held by value with members prints like any other.
	type inner struct{ Name string }
	if s := mustJSON(t, struct {
		Held inner
		meta struct{ id int }
	}{Held: inner{Name: "x"}}); s != "{\n    \"held\": {\n        \"name\": \"x\"\n    }\n}\n" {
		t.Errorf("JSON of a struct held by value = %q", s)
	}
}

// brokenDocument is a smithy document whose marshalling fails.
type brokenDocument struct{}

func (brokenDocument) MarshalSmithyDocument() ([]byte, error) {
	return nil, errors.New("document: cut short")
}

// JSON refuses a value it cannot render as the AWS CLI would, naming the
// member that holds it, instead of printing a document with a hole.
func TestJSONRefusesWhatItCannotRender(t *testing.T) {
	type options struct{ Opts map[int]string }
	for name, tc := range map[string]struct {
		v    any
		want string
	}{
		"map with number keys":           {map[int]string{1: "a"}, "render json: unsupported map key type int"},
		"in a member":                    {&options{Opts: map[int]string{1: "a"}}, "render json: opts: unsupported map key type int"},
		"in a list in a member":          {struct{ Items []options }{[]options{{Opts: map[int]string{}}}}, "render json: items: opts: unsupported map key type int"},
		"in a map value":                 {map[string]any{"k": []any{1, make(chan int)}}, "render json: unsupported type chan int"},
		"a number JSON cannot hold":      {struct{ Weight float64 }{math.NaN()}, "render json: weight: json: unsupported value: NaN"},
		"a document that cannot marshal": {struct{ HookDetails any }{brokenDocument{}}, "render json: hookDetails: document: cut short"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := taskdef.JSON(tc.v)
			if err == nil || err.Error() != tc.want || b != nil {
				t.Errorf("JSON = %q, %v; want no output and %q", b, err, tc.want)
			}
		})
	}
}

// Strings are escaped as encoding/json does, except for HTML characters:
// control characters (an ANSI colour code in a command), quotes and
// backslashes stay readable JSON, and invalid UTF-8 becomes U+FFFD.
func TestJSONStrings(t *testing.T) {
	in := &types.ContainerDefinition{Command: []string{
		"printf 'a\tb\r\n'", "\x1b[31mred\x1b[0m \x01", `say "hi" \ bye`, "caf\xe9 <ok> & done", "crème", "caf\ufffd already replaced",
	}}
	got := mustJSON(t, in)
	want := `{
    "command": [
        "printf 'a\tb\r\n'",
        "\u001b[31mred\u001b[0m \u0001",
        "say \"hi\" \\ bye",
        "caf\ufffd <ok> & done",
        "crème",
        "caf� already replaced"
    ]
}
`
	if got != want {
		t.Errorf("JSON =\n%s\nwant\n%s", got, want)
	}
	var back types.ContainerDefinition
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	in.Command[3] = "caf\ufffd <ok> & done"
	if d := cmp.Diff(in.Command, back.Command); d != "" {
		t.Errorf("read back (-want +got):\n%s", d)
	}
}

// Values outside a member print as encoding/json prints them (null for
// nothing, such as a definition missing from `launch render`'s map; numbers
// in decimal; bytes in base64), and a smithy document (an ECS hook's
// details) as the JSON it holds, where encoding/json prints {}.
func TestJSONPlainValues(t *testing.T) {
	for name, tc := range map[string]struct {
		v    any
		want string
	}{
		"nothing":            {nil, "null"},
		"no definition":      {map[string]*ecs.RegisterTaskDefinitionInput{"agent": nil}, `{"agent": null}`},
		"nil list and map":   {[]any{[]types.Tag(nil), map[string]string(nil)}, `[null, null]`},
		"nested list of nil": {[][]string{nil, {"a"}}, `[null, ["a"]]`},
		"unsigned number":    {map[string]uint32{"size": 4096}, `{"size": 4096}`},
		"bytes":              {[]byte("launch"), `"bGF1bmNo"`},
		"fraction":           {&types.CanaryConfiguration{CanaryPercent: aws.Float64(12.5)}, `{"canaryPercent": 12.5}`},
		"document": {ecsdocument.NewLazyDocument(map[string]any{"hook": "pre-scale-up", "timeout": 300}),
			`{"hook": "pre-scale-up", "timeout": 300}`},
	} {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			if err := json.Indent(&want, []byte(tc.want), "", "    "); err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(t, tc.v); got != want.String()+"\n" {
				t.Errorf("JSON = %s, want %s", got, want.String())
			}
		})
	}
}

// The members of a task definition are plain data. JSON fails only on a map
// key that is not a string, a value of a kind JSON has no form for, a smithy
// document that cannot marshal, or a float that is not a number: a task
// definition holds none of these, so Canonical, Equivalent, PlanFor and Diff
// return no error (plainJSON panics if one ever comes). encoding/json, in
// DecodeBase, fails on valid JSON only with a type error naming the member,
// as no member type decodes itself; and maps hold only strings, with no keys
// inside for DecodeBase to check. This walks every member type, so a new SDK
// member of another kind fails here first.
func TestTaskDefinitionMembersArePlainData(t *testing.T) {
	unions := map[reflect.Type]bool{reflect.TypeFor[types.SharingStrategy](): true} // GPU sharing: *SharingStrategyMemberNvidiaMps of int32s
	unmarshalers := []reflect.Type{reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()}
	seen := map[reflect.Type]bool{}
	var walk func(ty reflect.Type, path string)
	walk = func(ty reflect.Type, path string) {
		for _, u := range unmarshalers {
			if reflect.PointerTo(ty).Implements(u) {
				t.Errorf("%s: %s decodes itself (%s)", path, ty, u)
			}
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(ty.Elem(), path)
		case reflect.Map:
			if ty.Key().Kind() != reflect.String {
				t.Errorf("%s: map key %s", path, ty.Key())
			}
			if ty.Elem().Kind() != reflect.String {
				t.Errorf("%s: map of %s, whose keys DecodeBase does not check", path, ty.Elem())
			}
			walk(ty.Elem(), path)
		case reflect.Struct:
			if seen[ty] {
				return
			}
			seen[ty] = true
			for i := range ty.NumField() {
				if f := ty.Field(i); f.IsExported() {
					walk(f.Type, path+"."+wireNameOf(f.Name))
				}
			}
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64:
		case reflect.Interface:
			if !unions[ty] {
				t.Errorf("%s: interface %s", path, ty)
			}
		default:
			t.Errorf("%s: %s", path, ty)
		}
	}
	walk(reflect.TypeFor[ecs.RegisterTaskDefinitionInput](), "")
	mps := &types.SharingStrategyMemberNvidiaMps{Value: types.NvidiaMpsAllocation{Memory: aws.Int32(4096)}}
	if _, err := taskdef.JSON(&types.ResourceRequirement{SharingStrategy: mps}); err != nil {
		t.Error(err)
	}
}

func wireNameOf(goName string) string { return strings.ToLower(goName[:1]) + goName[1:] }
