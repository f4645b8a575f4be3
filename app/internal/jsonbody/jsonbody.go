// Package jsonbody decodes a JSON request the one way every reader of one does: the HTTP API's
// endpoints and `ciagent spam --jsonl`. Its errors are for the sender: they name a field by its
// path in the request ("author.account_age_days", "context.pr"), never by Go type, and say
// where invalid JSON or UTF-8 is.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode decodes body, which must hold exactly one JSON value, into v, refusing fields v has
// no place for.
func Decode(body []byte, v any) error {
	// encoding/json turns every invalid UTF-8 byte into U+FFFD: a spam span would index text
	// the caller never sent, and a feedback id would be derived from text it never sent.
	// JSON is UTF-8 (RFC 8259): say so instead.
	if !utf8.Valid(body) {
		bad := 0
		for bad < len(body) {
			r, size := utf8.DecodeRune(body[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		return fmt.Errorf("request is not valid UTF-8 (invalid byte at %d); send text as UTF-8", bad)
	}
	// The same for an escaped lone surrogate ("\udfff", "\ud800x"): it names no character,
	// and encoding/json turns it into U+FFFD too.
	if at, ok := unpairedSurrogate(body); ok {
		return fmt.Errorf("request has an unpaired surrogate escape (%s at byte %d), which is no character; "+
			"escape a character above U+FFFF as a pair (\\ud83d\\ude00) or send it as UTF-8", body[at:at+6], at)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err, body, reflect.TypeOf(v))
	}
	// Token, not More: More is false before a stray '}' or ']', which would pass unseen.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: more than one value")
	}
	return nil
}

// unpairedSurrogate returns the offset of the first \u escape in body that is half of a
// surrogate pair without its other half. In valid JSON every backslash is in a string and
// starts an escape, so walking from one escape to the next needs no view of the strings;
// invalid JSON is the decoder's to refuse.
func unpairedSurrogate(body []byte) (at int, ok bool) {
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\\')
		if j < 0 {
			return 0, false
		}
		i += j
		r, isU := escapedRune(body[i:])
		switch {
		case !isU:
			i += 2 // \\, \" and the like: the escaped byte is no escape of its own
		case utf16.IsSurrogate(r) && r < 0xdc00: // high half: a low half must follow
			if low, isU := escapedRune(body[i+6:]); !isU || low < 0xdc00 || low > 0xdfff {
				return i, true
			}
			i += 12
		case utf16.IsSurrogate(r): // a low half with no high half before it
			return i, true
		default:
			i += 6
		}
	}
	return 0, false
}

// escapedRune decodes a \uXXXX escape at the start of b.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(n), err == nil
}

// describeJSONError rephrases a decoding error of body into t for the client.
func describeJSONError(err error, body []byte, t reflect.Type) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read, the bad one included: the index is one less, as in
		// the UTF-8 error's "invalid byte at".
		return fmt.Errorf("invalid JSON at byte %d: %s", max(syntaxErr.Offset-1, 0), syntaxErr.Error())
	case errors.As(err, &typeErr):
		return describeTypeError(typeErr)
	case errors.Is(err, io.EOF):
		return errors.New("empty request body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the body ends inside a value")
	}
	// encoding/json has no type for this one, and names only the field, not where it is.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil {
			name = quoted
		}
		if path, found := unknownFieldPath(json.NewDecoder(bytes.NewReader(body)), t, ""); found {
			name = path
		}
		return fmt.Errorf("unknown field %q", name)
	}
	return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func describeTypeError(e *json.UnmarshalTypeError) error {
	got := e.Value // "string", "number", "number 1.5", "bool", "array", "object"
	if g, ok := strings.CutPrefix(got, "number "); ok {
		got = g
	} else if article, ok := map[string]string{"string": "a ", "number": "a ", "bool": "a ", "array": "an ", "object": "an "}[got]; ok {
		got = article + got
	}
	if e.Field == "" {
		return fmt.Errorf("request must be a JSON object, got %s", got)
	}
	want := e.Type
	for want.Kind() == reflect.Pointer {
		want = want.Elem()
	}
	switch want.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !strings.HasPrefix(e.Value, "number ") {
			return fmt.Errorf("field %q must be a whole number, got %s", e.Field, got)
		}
		// 1e3 is a whole number to JSON Schema, but the decoder takes plain digits only;
		// saying "must be a number, got number 1e3" helped nobody.
		if strings.ContainsAny(got, ".eE") {
			return fmt.Errorf("field %q must be a whole number in plain digits (such as 1000), got %s", e.Field, got)
		}
		return fmt.Errorf("field %q is out of range, got %s", e.Field, got)
	case reflect.Float32, reflect.Float64:
		return fmt.Errorf("field %q must be a number, got %s", e.Field, got)
	case reflect.String:
		return fmt.Errorf("field %q must be a string, got %s", e.Field, got)
	case reflect.Bool:
		return fmt.Errorf("field %q must be true or false, got %s", e.Field, got)
	case reflect.Slice, reflect.Array:
		return fmt.Errorf("field %q must be an array, got %s", e.Field, got)
	default:
		return fmt.Errorf("field %q must be an object, got %s", e.Field, got)
	}
}

// unknownFieldPath walks the JSON value at dec's position as decoding into t would, and
// returns the path ("context.pr") of the first key t has no field for. t nil: anything goes.
func unknownFieldPath(dec *json.Decoder, t reflect.Type, path string) (string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := tok.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			var inner reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Map:
				inner = t.Elem()
			case t.Kind() == reflect.Struct:
				f, ok := jsonField(t, key)
				if !ok {
					return at, true
				}
				inner = f.Type
			}
			if p, found := unknownFieldPath(dec, inner, at); found {
				return p, true
			}
		}
		_, _ = dec.Token() // the closing '}'; the body decoded up to here once already
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, found := unknownFieldPath(dec, elem, fmt.Sprintf("%s[%d]", path, i)); found {
				return p, true
			}
		}
		_, _ = dec.Token()
	}
	return "", false
}

// jsonField finds the field of struct t that encoding/json decodes key into: by its json
// name, with any case, as the decoder matches.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || tag == "-" || (f.Anonymous && name == "") {
			continue // an untagged embedded struct's fields are listed on their own
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
