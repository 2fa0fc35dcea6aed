package policy

import (
	"net/url"
	"testing"
)

func TestEqualByMeaning(t *testing.T) {
	tests := map[string]struct {
		a, b string
		want bool
	}{
		"statement object vs list, string vs list": {
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`,
			true,
		},
		"resource order and duplicates": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:B","Resource":["x","y","x"]}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:B","Resource":["y","x"]}]}`,
			true,
		},
		"statement order": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"},{"Effect":"Allow","Action":"a:B","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"},{"Effect":"Allow","Action":"a:A","Resource":"*"}]}`,
			true,
		},
		"condition value string vs list": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"k":"v"}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"k":["v"]}}}]}`,
			true,
		},
		"URL-encoded": {
			url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}`),
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:A","Resource":"*"}}`,
			true,
		},
		"one resource more": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":["x"]}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":["x","y"]}]}`,
			false,
		},
		"effect differs": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"a:A","Resource":"*"}]}`,
			false,
		},
		"version differs": {
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}`,
			false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Equal(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Equal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, doc := range []string{`[]`, `{"Statement":"x"}`, `{"Statement":[1]}`, `{"Nope":1}`, `not json`} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%s) succeeded, want an error", doc)
		}
	}
}

func TestSizeIgnoresWhitespace(t *testing.T) {
	if got := Size("{ \"a\" :\n\t1 }"); got != 7 {
		t.Errorf("Size = %d, want 7", got)
	}
}

func TestDecodeKeepsPlus(t *testing.T) {
	raw := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:B","Resource":"arn:aws:secretsmanager:eu-west-1:1:secret:a+b-AbCdEf"}]}`
	if got := Decode(raw); got != raw {
		t.Errorf("a raw JSON document was changed: %s", got)
	}
	if got := Decode(url.PathEscape(raw)); got != raw {
		t.Errorf("URL-encoded document decoded to %s", got)
	}
}
