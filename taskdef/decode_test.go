package taskdef_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

// fixtureInput is testdata/describe-two-containers.json as the SDK input it
// must decode to: every nested type (enums, *int32, maps, nested structs)
// filled, the read-only members gone, the tags kept.
func fixtureInput() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:           aws.String("streaming-agent"),
		TaskRoleArn:      aws.String("arn:aws:iam::123456789012:role/streaming-agent-task"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/streaming-agent-execution"),
		NetworkMode:      types.NetworkModeAwsvpc,
		ContainerDefinitions: []types.ContainerDefinition{
			{
				Name:  aws.String("streaming-agent"),
				Image: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/streaming-agent:1.4.0"),
				PortMappings: []types.PortMapping{{
					Name: aws.String("http"), ContainerPort: aws.Int32(8080), HostPort: aws.Int32(8080),
					Protocol: types.TransportProtocolTcp, AppProtocol: types.ApplicationProtocolHttp,
				}},
				Essential: aws.Bool(true),
				Environment: []types.KeyValuePair{
					{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},
					{Name: aws.String("MATILLION_REGION"), Value: aws.String("eu1")},
				},
				MountPoints: []types.MountPoint{{SourceVolume: aws.String("scratch"), ContainerPath: aws.String("/tmp/agent"), ReadOnly: aws.Bool(false)}},
				VolumesFrom: []types.VolumeFrom{},
				Secrets: []types.Secret{{
					Name:      aws.String("OAUTH_CLIENT_ID"),
					ValueFrom: aws.String("arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent-creds-AbCdEf:client_id::"),
				}},
				DependsOn:              []types.ContainerDependency{{ContainerName: aws.String("log-router"), Condition: types.ContainerConditionStart}},
				ReadonlyRootFilesystem: aws.Bool(true),
				User:                   aws.String("1000:1000"),
				Ulimits:                []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: 65536, HardLimit: 65536}},
				LinuxParameters: &types.LinuxParameters{
					Capabilities:       &types.KernelCapabilities{Drop: []string{"ALL"}},
					InitProcessEnabled: aws.Bool(true),
				},
				LogConfiguration: &types.LogConfiguration{
					LogDriver: types.LogDriverAwslogs,
					Options: map[string]string{
						"awslogs-group": "/ecs/old-group", "awslogs-region": "eu-west-1",
						"awslogs-stream-prefix": "old", "mode": "non-blocking",
					},
					SecretOptions: []types.Secret{},
				},
				HealthCheck: &types.HealthCheck{
					Command:  []string{"CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"},
					Interval: aws.Int32(30), Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(60),
				},
				DockerLabels:   map[string]string{"com.example.Team": "data", "OWNER": "platform"},
				SystemControls: []types.SystemControl{},
			},
			{
				Name:              aws.String("log-router"),
				Image:             aws.String("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"),
				Cpu:               64,
				MemoryReservation: aws.Int32(128),
				PortMappings:      []types.PortMapping{},
				Essential:         aws.Bool(false),
				Environment:       []types.KeyValuePair{},
				MountPoints:       []types.MountPoint{},
				VolumesFrom:       []types.VolumeFrom{},
				User:              aws.String("0"),
				FirelensConfiguration: &types.FirelensConfiguration{
					Type:    types.FirelensConfigurationTypeFluentbit,
					Options: map[string]string{"enable-ecs-log-metadata": "true"},
				},
				SystemControls: []types.SystemControl{},
			},
		},
		Volumes: []types.Volume{
			{Name: aws.String("scratch"), Host: &types.HostVolumeProperties{}},
			{Name: aws.String("shared-efs"), EfsVolumeConfiguration: &types.EFSVolumeConfiguration{
				FileSystemId:      aws.String("fs-0123456789abcdef0"),
				RootDirectory:     aws.String("/"),
				TransitEncryption: types.EFSTransitEncryptionEnabled,
				AuthorizationConfig: &types.EFSAuthorizationConfig{
					AccessPointId: aws.String("fsap-0123456789abcdef0"),
					Iam:           types.EFSAuthorizationConfigIAMEnabled,
				},
			}},
		},
		PlacementConstraints:    []types.TaskDefinitionPlacementConstraint{},
		RuntimePlatform:         &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureX8664, OperatingSystemFamily: types.OSFamilyLinux},
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("4096"),
		EphemeralStorage:        &types.EphemeralStorage{SizeInGiB: 30},
		EnableFaultInjection:    aws.Bool(false),
		Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("data")},
			{Key: aws.String("cost-center"), Value: aws.String("1234")},
		},
	}
}

func TestDecodeBase(t *testing.T) {
	tests := map[string][]byte{
		"describe output":                readFixture(t, "describe-two-containers.json"),
		"bare task definition with tags": bareFixture(t),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.DecodeBase(data)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(fixtureInput(), got, allExported); d != "" {
				t.Errorf("DecodeBase (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeBaseWithoutTags(t *testing.T) {
	got, err := taskdef.DecodeBase([]byte(`{"taskDefinition": {"family": "a", "revision": 3, "status": "INACTIVE",
		"deregisteredAt": "2026-01-01T00:00:00Z", "containerDefinitions": [{"name": "a", "image": "x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("a"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("x")}},
	}
	if d := cmp.Diff(want, got, allExported); d != "" {
		t.Errorf("DecodeBase (-want +got):\n%s", d)
	}
}

// "tags": null beside taskDefinition, as tools that write every member
// (null when absent) give it, is no list: the tags inside are kept.
func TestDecodeBaseNullTagsBesideTheWrapper(t *testing.T) {
	got, err := taskdef.DecodeBase([]byte(`{"taskDefinition": {"family": "a", "tags": [{"key": "team", "value": "data"}]}, "tags": null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}
	if d := cmp.Diff(want, got.Tags, allExported); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}

func TestDecodeBaseErrors(t *testing.T) {
	tests := map[string]struct {
		data string
		want string // the whole error
	}{
		"unknown keys at every level, all named with their position": {
			data: `{"taskDefinition": {"famly": "a", "containerDefinitions": [
{"name": "a", "healthcheck": {"command": ["x"]}, "logConfiguration": {"logDriver": "awslogs", "option": {}}},
{"name": "b", "portMappings": [{"containerPort": 80, "hostport": 80}]}]}}`,
			want: "decode base task definition: 1:21: taskDefinition.famly: unknown key; did you mean family?; " +
				"2:15: taskDefinition.containerDefinitions[0].healthcheck: unknown key; did you mean healthCheck?; " +
				"2:95: taskDefinition.containerDefinitions[0].logConfiguration.option: unknown key; did you mean options?; " +
				"3:54: taskDefinition.containerDefinitions[1].portMappings[0].hostport: unknown key; did you mean hostPort?",
		},
		"misspelt key in a bare definition": {
			data: "{\n  \"family\": \"a\",\n  \"containerDefinitions\": [\n    {\"name\": \"a\"},\n    {\"name\": \"b\",\n      \"portMapping\": []}]}",
			want: "decode base task definition: 6:7: containerDefinitions[1].portMapping: unknown key; did you mean portMappings?",
		},
		"wrong case is unknown": {
			data: `{"Family": "a"}`,
			want: "decode base task definition: 1:2: Family: unknown key; did you mean family?",
		},
		// jq -c, or a template tool, writes the whole file on one line: the
		// problems still come in the order they are written, by column.
		"a file on one line, problems in reading order": {
			data: `{"family":"a","taskRoleArm":"r","containerDefinitions":[{"name":"a","image":"x","essental":true}]}`,
			want: "decode base task definition: 1:15: taskRoleArm: unknown key; did you mean taskRoleArn?; " +
				"1:81: containerDefinitions[0].essental: unknown key; did you mean essential?",
		},
		"no suggestion for a key far from every member": {
			data: `{"family": "a", "zzzzzzzz": 1}`,
			want: "decode base task definition: 1:17: zzzzzzzz: unknown key; remove it, or spell it as the ECS RegisterTaskDefinition API does",
		},
		"unknown key beside taskDefinition": {
			data: `{"taskDefinition": {"family": "a"}, "tag": []}`,
			want: "decode base task definition: 1:37: tag: unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it",
		},
		"tags twice": {
			data: `{"taskDefinition": {"family": "a", "tags": []}, "tags": [{"key": "k", "value": "v"}]}`,
			want: "decode base task definition: 1:36: taskDefinition.tags: tags appear both inside and beside taskDefinition; keep one list",
		},
		// Members beside the wrapper, as when a bare definition is pasted
		// next to one: each is named, in name order.
		"several unknown keys beside taskDefinition": {
			data: `{"taskDefinition": {"family": "a"}, "revision": 3, "family": "a", "status": "ACTIVE", "cpu": "256"}`,
			want: "decode base task definition: 1:87: cpu: unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it; " +
				"1:52: family: unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it; " +
				"1:37: revision: unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it; " +
				"1:67: status: unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it",
		},
		// The first container is wrong; the second writes the same member
		// correctly, later in the file.
		"wrong type in the first of two containers": {
			data: `{"family": "a", "containerDefinitions": [{"name": "a", "cpu": "256"}, {"name": "b", "cpu": 256}]}`,
			want: "decode base task definition: 1:56: containerDefinitions[0].cpu: a JSON string where int32 belongs; write the value as the ECS API documents it",
		},
		"wrong type, with the index of the container": {
			data: `{"family": "a", "containerDefinitions": [{"name": "a"}, {"name": "b", "cpu": "256"}]}`,
			want: "decode base task definition: 1:71: containerDefinitions[1].cpu: a JSON string where int32 belongs; write the value as the ECS API documents it",
		},
		"wrong type in describe output": {
			data: `{"taskDefinition": {"family": "a", "containerDefinitions": [{"name": "a"}, {"name": "b", "memory": "512"}]}}`,
			want: "decode base task definition: 1:90: taskDefinition.containerDefinitions[1].memory: a JSON string where int32 belongs; write the value as the ECS API documents it",
		},
		// The tags beside taskDefinition are named where they are written.
		"wrong type in the tags beside taskDefinition": {
			data: "{\"taskDefinition\": {\"family\": \"a\"},\n \"tags\": [{\"key\": \"team\", \"value\": \"data\"}, {\"key\": \"cost-centre\", \"value\": 42}]}",
			want: "decode base task definition: 2:68: tags[1].value: a JSON number where string belongs; write the value as the ECS API documents it",
		},
		"unknown keys in the tags beside taskDefinition": {
			data: "{\"taskDefinition\": {\"family\": \"a\"},\n \"tags\": [{\"Key\": \"team\", \"Value\": \"data\"}]}",
			want: "decode base task definition: 2:12: tags[0].Key: unknown key; did you mean key?; 2:27: tags[0].Value: unknown key; did you mean value?",
		},
		"an object where a list belongs": {
			data: `{"family": "a", "containerDefinitions": {"name": "a"}}`,
			want: "decode base task definition: 1:17: containerDefinitions: a JSON object where []types.ContainerDefinition belongs; write the value as the ECS API documents it",
		},
		"a string where an object belongs": {
			data: `{"family": "a", "containerDefinitions": [{"name": "a", "linuxParameters": "initProcessEnabled"}]}`,
			want: "decode base task definition: 1:56: containerDefinitions[0].linuxParameters: a JSON string where types.LinuxParameters belongs; write the value as the ECS API documents it",
		},
		"a string where a map belongs": {
			data: `{"family": "a", "containerDefinitions": [{"name": "a", "dockerLabels": "team=data"}]}`,
			want: "decode base task definition: 1:56: containerDefinitions[0].dockerLabels: a JSON string where map[string]string belongs; write the value as the ECS API documents it",
		},
		"taskDefinition is not an object": {
			data: `{"taskDefinition": null, "tags": []}`,
			want: "decode base task definition: 1:2: taskDefinition: is not a JSON object; it must hold the task definition, {…}",
		},
		"null": {
			data: `null`,
			want: "decode base task definition: expected a JSON object",
		},
		"not an object": {
			data: `[1]`,
			want: "decode base task definition: json: cannot unmarshal array into Go value of type map[string]json.RawMessage",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := taskdef.DecodeBase([]byte(tc.data))
			if err == nil {
				t.Fatal("DecodeBase succeeded, want an error")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
}

// TestDecodeBaseAcceptsBOMAndResponseMetadata: a file saved with a UTF-8
// byte order mark, boto3's describe_task_definition output (which adds
// ResponseMetadata beside taskDefinition and tags), and the describe output
// of a revision deregistered or being deleted (which adds deregisteredAt and
// deleteRequestedAt) decode like the plain describe output.
func TestDecodeBaseAcceptsBOMAndResponseMetadata(t *testing.T) {
	plain := readFixture(t, "describe-two-containers.json")
	bom := append([]byte("\xef\xbb\xbf"), plain...)
	withMeta := bytes.Replace(plain, []byte("{"), []byte(`{"ResponseMetadata": {"RequestId": "0f2e", "HTTPStatusCode": 200, "HTTPHeaders": {"content-type": "application/x-amz-json-1.1"}, "RetryAttempts": 0},`), 1)
	deregistered := bytes.Replace(plain, []byte(`"status": "ACTIVE",`), []byte(`"status": "INACTIVE", "deregisteredAt": "2026-04-01T09:00:00.000000+00:00",`), 1)
	deleting := bytes.Replace(plain, []byte(`"status": "ACTIVE",`), []byte(`"status": "DELETE_IN_PROGRESS", "deregisteredAt": "2026-04-01T09:00:00.000000+00:00", "deleteRequestedAt": "2026-04-02T09:00:00.000000+00:00",`), 1)
	bareWithMeta := []byte(`{"family": "a", "containerDefinitions": [{"name": "a", "image": "x"}], "ResponseMetadata": {"RequestId": "1"}}`)
	metaInside := bytes.Replace(plain, []byte(`"taskDefinition": {`), []byte(`"taskDefinition": {"ResponseMetadata": {"RequestId": "0f2e", "HTTPStatusCode": 200},`), 1)
	for name, data := range map[string][]byte{"BOM": bom, "boto3 ResponseMetadata": withMeta, "ResponseMetadata inside taskDefinition": metaInside, "deregistered revision": deregistered, "revision being deleted": deleting} {
		if bytes.Equal(data, plain) {
			t.Fatalf("%s: the fixture did not change", name)
		}
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.DecodeBase(data)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(fixtureInput(), got, allExported); d != "" {
				t.Errorf("DecodeBase (-want +got):\n%s", d)
			}
		})
	}
	got, err := taskdef.DecodeBase(bareWithMeta)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Family) != "a" || len(got.ContainerDefinitions) != 1 {
		t.Errorf("bare definition with ResponseMetadata decoded to %+v", got)
	}
}

// A spec without a base file has no BaseFile to point into: every value is
// one launch set, at no line (Problem prints no position for 0).
func TestLocateWithoutABaseFile(t *testing.T) {
	if line, col, ok := (taskdef.BaseFile{}).Locate("containerDefinitions[0].image"); line != 0 || col != 0 || ok {
		t.Errorf("Locate = %d, %d, %t; want 0, 0, false", line, col, ok)
	}
}

// The Properties of a CloudFormation AWS::ECS::TaskDefinition spell every
// key with a capital. Used as a base, each key is a problem of its own, in
// the order the file writes them, with the spelling ECS wants.
func TestDecodeBaseCloudFormationProperties(t *testing.T) {
	const props = `{
  "Family": "streaming-agent",
  "Cpu": "1024",
  "Memory": "4096",
  "NetworkMode": "awsvpc",
  "RequiresCompatibilities": ["FARGATE"],
  "ExecutionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "TaskRoleArn": "arn:aws:iam::123456789012:role/agent",
  "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
  "EphemeralStorage": {"SizeInGiB": 30},
  "Volumes": [],
  "ContainerDefinitions": [{"Name": "agent", "Image": "public.ecr.aws/matillion/etl-agent:current", "Essential": true}],
  "Tags": [{"Key": "team", "Value": "data"}]
}`
	keys := []string{"Family", "Cpu", "Memory", "NetworkMode", "RequiresCompatibilities", "ExecutionRoleArn",
		"TaskRoleArn", "RuntimePlatform", "EphemeralStorage", "Volumes", "ContainerDefinitions", "Tags"}
	var want []string
	for i, k := range keys {
		want = append(want, fmt.Sprintf("%d:3: %s: unknown key; did you mean %s?", i+2, k, strings.ToLower(k[:1])+k[1:]))
	}
	_, err := taskdef.DecodeBase([]byte(props))
	if got, w := fmt.Sprint(err), "decode base task definition: "+strings.Join(want, "; "); got != w {
		t.Errorf("error\n%s\nwant\n%s", got, w)
	}
}
