package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

func TestStatementShape(t *testing.T) {
	m, _ := buildFixture(t, Options{})
	stmt, err := m.Statement("tiny-model")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(stmt, []byte("}\n")) {
		t.Error("statement does not end with a newline")
	}
	// Decode generically so field names are checked as model_signing spells them.
	var doc map[string]any
	if err := json.Unmarshal(stmt, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["_type"] != "https://in-toto.io/Statement/v1" || doc["predicateType"] != "https://model_signing/signature/v1.0" {
		t.Errorf("types = %v, %v", doc["_type"], doc["predicateType"])
	}
	subjects := doc["subject"].([]any)
	if len(subjects) != 1 {
		t.Fatalf("subjects = %v", subjects)
	}
	subj := subjects[0].(map[string]any)
	if subj["name"] != "tiny-model" || subj["digest"].(map[string]any)["sha256"] != m.Root.Hex() {
		t.Errorf("subject = %v, want root %s", subj, m.Root.Hex())
	}
	pred := doc["predicate"].(map[string]any)
	ser := pred["serialization"].(map[string]any)
	wantSer := map[string]any{
		"method": "files", "hash_type": "sha256", "allow_symlinks": false,
		"ignore_paths": []any{".git", ".gitattributes", ".github", ".gitignore", "model.sig"},
	}
	gotSer, _ := json.Marshal(ser)
	wantJSON, _ := json.Marshal(wantSer)
	if !bytes.Equal(gotSer, wantJSON) {
		t.Errorf("serialization = %s, want %s", gotSer, wantJSON)
	}
	resources := pred["resources"].([]any)
	if len(resources) != len(m.Files) {
		t.Fatalf("%d resources, want %d", len(resources), len(m.Files))
	}
	for i, r := range resources {
		res := r.(map[string]any)
		if len(res) != 3 || res["name"] != m.Files[i].Path || res["algorithm"] != "sha256" || res["digest"] != m.Files[i].Digest.Hex() {
			t.Errorf("resource %d = %v, want %s", i, res, m.Files[i].Path)
		}
	}
	if !strings.Contains(string(stmt), `"name": "模型.bin"`) {
		t.Error("unicode names should be written as UTF-8, not escaped")
	}
}

func TestStatementNameAndErrors(t *testing.T) {
	m, _ := buildFixture(t, Options{})
	byDefault, err := m.Statement("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(byDefault), `"name": "fixture-model"`) {
		t.Error("empty name should default to the directory name")
	}
	renamed, _ := m.Statement("other")
	a, _ := ParseStatement(byDefault)
	b, _ := ParseStatement(renamed)
	if a.Root.String() != b.Root.String() {
		t.Error("the subject name must not change the root digest")
	}

	unnamed := *m
	unnamed.Name = ""
	if _, err := unnamed.Statement(""); err == nil {
		t.Error("statement without any name accepted")
	}
	wrongRoot := *m
	wrongRoot.Root = digest.Digest{Algorithm: HashType, Value: make([]byte, 32)}
	if _, err := wrongRoot.Statement("x"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("inconsistent root accepted: %v", err)
	}
	wrongAlgo := *m
	wrongAlgo.Files = slices.Clone(m.Files)
	wrongAlgo.Files[0].Digest = digest.Digest{Algorithm: digest.SHA512, Value: make([]byte, 64)}
	wrongAlgo.Root = digest.Digest{}
	if _, err := wrongAlgo.Statement("x"); err == nil {
		t.Error("sha512 file digest accepted")
	}
	if _, err := (&Manifest{Name: "x"}).Statement(""); !errors.Is(err, ErrEmptyModel) {
		t.Errorf("err = %v, want ErrEmptyModel", err)
	}
}

func TestStatementRoundTrip(t *testing.T) {
	m, _ := buildFixture(t, Options{Ignore: []string{"weights/nested"}})
	stmt, err := m.Statement("")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseStatement(stmt)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != m.Name || back.Root.String() != m.Root.String() || back.AllowSymlinks != m.AllowSymlinks || !slices.Equal(back.IgnorePaths, m.IgnorePaths) {
		t.Errorf("round trip changed the manifest: %+v", back)
	}
	for i := range m.Files {
		if back.Files[i].Path != m.Files[i].Path || back.Files[i].Digest.String() != m.Files[i].Digest.String() {
			t.Errorf("file %d: %+v, want %+v", i, back.Files[i], m.Files[i])
		}
	}
	again, err := back.Statement("")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, stmt) {
		t.Error("re-rendering a parsed statement changed its bytes")
	}
}

// upstreamKeyStatement is the statement in the DSSE payload of the published
// test vector sampras343/model-signing-spec test-vectors/v1.0/valid/key.bundle.json
// (as model_signing wrote it: its own key order, ignore_paths in set order).
const upstreamKeyStatement = `{
  "_type": "https://in-toto.io/Statement/v1",
  "subject": [
    {
      "name": "model",
      "digest": {
        "sha256": "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
      }
    }
  ],
  "predicateType": "https://model_signing/signature/v1.0",
  "predicate": {
    "resources": [
      {
        "digest": "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc",
        "algorithm": "sha256",
        "name": "signme-1"
      },
      {
        "digest": "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028",
        "algorithm": "sha256",
        "name": "signme-2"
      }
    ],
    "serialization": {
      "method": "files",
      "ignore_paths": [
        ".gitattributes",
        ".github",
        "ignore-me",
        ".gitignore",
        ".git"
      ],
      "hash_type": "sha256",
      "allow_symlinks": false
    }
  }
}
`

func TestParseUpstreamStatement(t *testing.T) {
	m, err := ParseStatement([]byte(upstreamKeyStatement))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "model" || m.Root.String() != "sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4" {
		t.Errorf("name %q root %s", m.Name, m.Root)
	}
	if got := paths(m); !slices.Equal(got, []string{"signme-1", "signme-2"}) {
		t.Errorf("files = %q", got)
	}
	if len(m.IgnorePaths) != 5 || m.AllowSymlinks {
		t.Errorf("serialization not read: %+v", m)
	}

	// The vector's signme-1 holds "signme-1\n": hashing it here gives the
	// published digest.
	dir := filepath.Join(t.TempDir(), "model")
	writeTree(t, dir, map[string]string{"signme-1": "signme-1\n", "ignore-me": "not signed"})
	built, err := Build(context.Background(), dir, Options{Ignore: []string{"ignore-me"}})
	if err != nil {
		t.Fatal(err)
	}
	if built.Files[0].Digest.String() != m.Files[0].Digest.String() {
		t.Errorf("signme-1 = %s, published %s", built.Files[0].Digest, m.Files[0].Digest)
	}
	// And the root is the published one, from its two file digests.
	if got := rootDigest(m.Files); got.String() != m.Root.String() {
		t.Errorf("root of the published digests = %s, want %s", got, m.Root)
	}
}

func TestParseStatementRejections(t *testing.T) {
	m, _ := buildFixture(t, Options{})
	good, err := m.Statement("")
	if err != nil {
		t.Fatal(err)
	}
	// mutate decodes the good statement, edits it, and re-encodes it.
	mutate := func(edit func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pred := func(doc map[string]any) map[string]any { return doc["predicate"].(map[string]any) }
	ser := func(doc map[string]any) map[string]any { return pred(doc)["serialization"].(map[string]any) }
	res := func(doc map[string]any, i int) map[string]any {
		return pred(doc)["resources"].([]any)[i].(map[string]any)
	}
	tests := map[string][]byte{
		"not json":             []byte("{"),
		"wrong _type":          mutate(func(d map[string]any) { d["_type"] = "https://in-toto.io/Statement/v0.1" }),
		"wrong predicate type": mutate(func(d map[string]any) { d["predicateType"] = "https://model_signing/Digests/v0.1" }),
		"two subjects":         mutate(func(d map[string]any) { d["subject"] = append(d["subject"].([]any), d["subject"].([]any)[0]) }),
		"no sha256 subject": mutate(func(d map[string]any) {
			d["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha512": "00"}
		}),
		"upper-case root": mutate(func(d map[string]any) {
			d["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": strings.ToUpper(m.Root.Hex())}
		}),
		"missing predicate":      mutate(func(d map[string]any) { delete(d, "predicate") }),
		"missing serialization":  mutate(func(d map[string]any) { delete(pred(d), "serialization") }),
		"shards method":          mutate(func(d map[string]any) { ser(d)["method"] = "shards" }),
		"blake2b hash type":      mutate(func(d map[string]any) { ser(d)["hash_type"] = "blake2b" }),
		"missing allow_symlinks": mutate(func(d map[string]any) { delete(ser(d), "allow_symlinks") }),
		"escaping ignore path":   mutate(func(d map[string]any) { ser(d)["ignore_paths"] = []any{"../x"} }),
		"no resources":           mutate(func(d map[string]any) { pred(d)["resources"] = []any{} }),
		"resource algorithm":     mutate(func(d map[string]any) { res(d, 0)["algorithm"] = "blake2b" }),
		"resource digest":        mutate(func(d map[string]any) { res(d, 0)["digest"] = "abc" }),
		"absolute resource":      mutate(func(d map[string]any) { res(d, 0)["name"] = "/etc/passwd" }),
		"escaping resource":      mutate(func(d map[string]any) { res(d, 0)["name"] = "../../etc/passwd" }),
		"unclean resource":       mutate(func(d map[string]any) { res(d, 0)["name"] = "a//b" }),
		"duplicate resource":     mutate(func(d map[string]any) { res(d, 1)["name"] = res(d, 0)["name"] }),
		"tampered file digest": mutate(func(d map[string]any) {
			res(d, 0)["digest"] = strings.Repeat("0", 64)
		}),
		"reordered resources": mutate(func(d map[string]any) {
			r := pred(d)["resources"].([]any)
			r[0], r[1] = r[1], r[0]
		}),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseStatement(data); !errors.Is(err, ErrInvalidStatement) {
				t.Fatalf("err = %v, want ErrInvalidStatement", err)
			}
		})
	}
	// Unknown fields are ignored, as model_signing v1.0 verifiers must.
	extra := mutate(func(d map[string]any) { pred(d)["model_card"] = map[string]any{"x": 1} })
	if _, err := ParseStatement(extra); err != nil {
		t.Errorf("unknown predicate field rejected: %v", err)
	}
}

// FuzzParseStatement: a statement from anywhere never makes the parser
// panic, and one it accepts describes a manifest whose root matches its
// files and which serialises back to a statement that parses the same.
func FuzzParseStatement(f *testing.F) {
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), []byte("weights"), 0o600); err != nil {
		f.Fatal(err)
	}
	m, err := Build(context.Background(), dir, Options{})
	if err != nil {
		f.Fatal(err)
	}
	good, err := m.Statement("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseStatement(data)
		if err != nil {
			return
		}
		again, err := got.Statement(got.Name)
		if err != nil {
			t.Fatalf("accepted statement does not serialise: %v", err)
		}
		back, err := ParseStatement(again)
		if err != nil || back.Root.String() != got.Root.String() || len(back.Files) != len(got.Files) {
			t.Fatalf("round trip changed the manifest: %v", err)
		}
	})
}
