package taskdef

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// JSON renders an SDK value (an input, an output or a shape from the types
// package) as the JSON the AWS CLI shows: lowerCamel key names derived from
// the Go field names (Cpu → cpu, DnsServers → dnsServers), struct fields in
// declaration order, map keys unchanged and sorted, indented by four spaces
// and ending in a newline.
//
// Like the SDK's own serializer it omits nil pointers, slices, maps and
// interfaces and zero non-pointer scalars (a container cpu of 0, an empty
// enum); an empty but non-nil slice prints as []. Unexported fields, such as
// the document.NoSerde marker every SDK shape embeds, are ignored, and so are
// struct fields with nothing exported (an output's ResultMetadata). Times print
// as RFC 3339 strings, as the AWS CLI shows them.
func JSON(v any) ([]byte, error) {
	var e encoder
	if err := e.value(reflect.ValueOf(v)); err != nil {
		return nil, fmt.Errorf("render json: %w", err)
	}
	var out bytes.Buffer
	out.Grow(e.buf.Len() * 2)
	if err := json.Indent(&out, e.buf.Bytes(), "", "    "); err != nil {
		return nil, fmt.Errorf("render json: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// plainJSON is JSON for a task definition, or a map of them. Their members
// are plain data JSON always renders (TestTaskDefinitionMembersArePlainData
// guards that), so an error is a programming error: plainJSON panics.
func plainJSON(v any) []byte {
	b, err := JSON(v)
	if err != nil {
		panic("taskdef: a task definition member is not plain data (see TestTaskDefinitionMembersArePlainData): " + err.Error())
	}
	return b
}

// wireName is the AWS member name of an SDK field: its Go name with the first
// letter lowered. That holds for every member of every ECS shape in the SDK's
// own schema (the test TestWireNamesMatchSDK checks it against the SDK's
// serializer).
func wireName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	if r >= 'A' && r <= 'Z' {
		return string(r+('a'-'A')) + goName[n:]
	}
	return goName
}

var timeType = reflect.TypeFor[time.Time]()

type encoder struct {
	buf bytes.Buffer
}

// omit reports whether a struct field holding v is left out.
func omit(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).IsZero()
		}
		return !hasExportedField(v.Type()) // e.g. an output's ResultMetadata
	default:
		return v.IsZero()
	}
}

func hasExportedField(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

func (e *encoder) value(v reflect.Value) error {
	if !v.IsValid() {
		e.buf.WriteString("null")
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if m, ok := v.Interface().(interface{ MarshalSmithyDocument() ([]byte, error) }); ok {
			b, err := m.MarshalSmithyDocument()
			if err != nil {
				return err
			}
			e.buf.Write(b)
			return nil
		}
		return e.value(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			e.string(v.Interface().(time.Time).Format(time.RFC3339Nano))
			return nil
		}
		return e.structValue(v)
	case reflect.Slice:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.string(base64.StdEncoding.EncodeToString(v.Bytes()))
			return nil
		}
		fallthrough
	case reflect.Array:
		e.buf.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
		return nil
	case reflect.Map:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("unsupported map key type %s", v.Type().Key())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.string(k.String())
			e.buf.WriteByte(':')
			if err := e.value(v.MapIndex(k)); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
		return nil
	case reflect.String:
		e.string(v.String())
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b, err := json.Marshal(v.Float())
		if err != nil {
			return err
		}
		e.buf.Write(b)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func (e *encoder) structValue(v reflect.Value) error {
	t := v.Type()
	e.buf.WriteByte('{')
	first := true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if omit(fv) {
			continue
		}
		if !first {
			e.buf.WriteByte(',')
		}
		first = false
		e.string(wireName(f.Name))
		e.buf.WriteByte(':')
		if err := e.value(fv); err != nil {
			return fmt.Errorf("%s: %w", wireName(f.Name), err)
		}
	}
	e.buf.WriteByte('}')
	return nil
}

const hexDigits = "0123456789abcdef"

// string writes s as a JSON string without encoding/json's HTML escaping, so
// a health check's "&&" stays readable.
func (e *encoder) string(s string) {
	e.buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				e.buf.WriteByte('\\')
				e.buf.WriteByte(c)
			case c == '\n':
				e.buf.WriteString(`\n`)
			case c == '\r':
				e.buf.WriteString(`\r`)
			case c == '\t':
				e.buf.WriteString(`\t`)
			case c < 0x20:
				e.buf.WriteString(`\u00`)
				e.buf.WriteByte(hexDigits[c>>4])
				e.buf.WriteByte(hexDigits[c&0xf])
			default:
				e.buf.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.buf.WriteString(`\ufffd`)
		} else {
			e.buf.WriteString(s[i : i+size])
		}
		i += size
	}
	e.buf.WriteByte('"')
}
