package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const (
	keyMine = "arn:aws:kms:eu-west-1:123456789012:key/mine-0001"
	keyAWS  = "arn:aws:kms:eu-west-1:123456789012:key/aws-0002"
)

// fakeKMS answers DescribeKey for aliases, by alias name or alias ARN, and
// records the key IDs it was asked about.
type fakeKMS struct {
	keys  map[string]kmstypes.KeyMetadata // by alias name or alias ARN
	err   error
	asked []string
}

func (f *fakeKMS) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	id := aws.ToString(in.KeyId)
	f.asked = append(f.asked, id)
	if f.err != nil {
		return nil, f.err
	}
	md, ok := f.keys[id]
	if !ok {
		return nil, &kmstypes.NotFoundException{Message: aws.String("Alias " + id + " is not found.")}
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &md}, nil
}

func newFakeKMS() *fakeKMS {
	mine := kmstypes.KeyMetadata{Arn: aws.String(keyMine), KeyManager: kmstypes.KeyManagerTypeCustomer}
	awsKey := kmstypes.KeyMetadata{Arn: aws.String(keyAWS), KeyManager: kmstypes.KeyManagerTypeAws}
	return &fakeKMS{keys: map[string]kmstypes.KeyMetadata{
		"alias/mine": mine,
		"arn:aws:kms:eu-west-1:123456789012:alias/mine": mine,
		"alias/aws/other": awsKey,
	}}
}

// A secret whose KmsKeyId is an alias of a customer-managed key gets that
// key's ARN, so the grant can allow kms:Decrypt on exactly that key; an
// alias of an AWS-managed key needs no grant. The alias is looked up as
// written, by name or by ARN.
func TestCustomerManagedKeyGivenByAlias(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		id        string
		want      string
		wantAsked []string
	}{
		"alias name of a customer key": {"alias/mine", keyMine, []string{"alias/mine"}},
		"alias ARN of a customer key": {"arn:aws:kms:eu-west-1:123456789012:alias/mine", keyMine,
			[]string{"arn:aws:kms:eu-west-1:123456789012:alias/mine"}},
		"alias of an AWS-managed key":                 {"alias/aws/other", "", []string{"alias/aws/other"}},
		"Secrets Manager's own key by alias name":     {"alias/aws/secretsmanager", "", nil},
		"Secrets Manager's own key by alias ARN":      {"arn:aws:kms:eu-west-1:123456789012:alias/aws/secretsmanager", "", nil},
		"key ARN, no lookup":                          {keyMine, keyMine, nil},
		"key ID, ARN built from the secret's account": {"mine-0001", keyMine, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			keys := newFakeKMS()
			got, err := keyARN(ctx, keys, arnCreds, tc.id)
			if err != nil || got != tc.want {
				t.Errorf("keyARN(%s) = %q, %v; want %q", tc.id, got, err, tc.want)
			}
			if strings.Join(keys.asked, ",") != strings.Join(tc.wantAsked, ",") {
				t.Errorf("DescribeKey asked for %q, want %q", keys.asked, tc.wantAsked)
			}
		})
	}
}

// Through Resolve: the secret's customer key given by alias ends up in the
// Secret, and a secret under the AWS-managed key has none.
func TestResolveFindsTheCustomerKeyOfAnAlias(t *testing.T) {
	db := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-XyZ123"
	sm := fakeSM{secrets: []smtypes.SecretListEntry{
		entry("agent/creds", arnCreds, "alias/mine"),
		entry("db", db, "alias/aws/secretsmanager"),
	}}
	got, err := Resolve(context.Background(), sm, newFakeKMS(), []string{"agent/creds", "db"})
	if err != nil {
		t.Fatal(err)
	}
	if got["agent/creds"].KMSKeyARN != keyMine || got["agent/creds"].ARN != arnCreds {
		t.Errorf("agent/creds: %+v, want key %s", got["agent/creds"], keyMine)
	}
	if s, ok := got["db"]; !ok || s.KMSKeyARN != "" || s.ARN != db {
		t.Errorf("db: %+v (found %v), want no customer key", s, ok)
	}
}

// When the alias cannot be looked up the deploy stops with an error that
// names the secret and the alias: granting without the key would let the
// task start and then fail to decrypt.
func TestAliasLookupFailureIsAnError(t *testing.T) {
	denied := errors.New("AccessDeniedException: not authorized to perform kms:DescribeKey")
	sm := fakeSM{secrets: []smtypes.SecretListEntry{entry("agent/creds", arnCreds, "alias/mine")}}
	got, err := Resolve(context.Background(), sm, &fakeKMS{err: denied}, []string{"agent/creds"})
	if !errors.Is(err, denied) {
		t.Fatalf("Resolve = %v, %v; want the DescribeKey error", got, err)
	}
	if want := `secret "agent/creds": resolve KMS key alias alias/mine: ` + denied.Error(); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if got != nil {
		t.Errorf("Resolve returned %v beside the error", got)
	}
}
