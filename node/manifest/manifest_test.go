package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// writeTree creates files (path "/"-separated, relative to root) with the
// given contents; a path ending in "/" creates an empty directory.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixture is the golden model: nested directories, git metadata, a
// signature, an empty file, an empty directory, a unicode name, and the
// "a/b" versus "a-b" pair whose order differs between path-component and
// plain string sorting.
var fixture = map[string]string{
	"config.json":                  "{\"architecture\":\"tiny\",\"layers\":2}\n",
	"weights/layer0.bin":           "layer zero weights\x00\x01\x02",
	"weights/layer1.bin":           "layer one weights\xff\xfe",
	"weights/nested/deep/bias.bin": "bias",
	"empty.bin":                    "",
	"模型.bin":                       "unicode file name",
	"a-b":                          "dash",
	"a/b":                          "slash",
	"sub/.gitignore":               "only the top-level .gitignore is excluded\n",
	".gitmodules":                  "not in the default exclusions\n",
	"empty-dir/inner/":             "",
	".git/HEAD":                    "ref: refs/heads/main\n",
	".git/objects/ab/cdef01":       "object",
	".gitignore":                   "*.tmp\n",
	".gitattributes":               "*.bin filter=lfs\n",
	".github/workflows/ci.yml":     "on: push\n",
	"model.sig":                    "a signature over an earlier manifest",
}

// fixtureOrder is the expected manifest, written out by hand.
var fixtureOrder = []string{
	".gitmodules",
	"a/b",
	"a-b",
	"config.json",
	"empty.bin",
	"sub/.gitignore",
	"weights/layer0.bin",
	"weights/layer1.bin",
	"weights/nested/deep/bias.bin",
	"模型.bin",
}

// handRoot is the root digest computed straight from the definition:
// SHA-256 over the concatenated raw SHA-256 digests of the contents.
func handRoot(contents map[string]string, order []string) string {
	var concat []byte
	for _, p := range order {
		sum := sha256.Sum256([]byte(contents[p]))
		concat = append(concat, sum[:]...)
	}
	root := sha256.Sum256(concat)
	return hex.EncodeToString(root[:])
}

func buildFixture(t *testing.T, opts Options) (*Manifest, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fixture-model")
	writeTree(t, dir, fixture)
	m, err := Build(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func paths(m *Manifest) []string {
	var out []string
	for _, f := range m.Files {
		out = append(out, f.Path)
	}
	return out
}

func TestBuildGolden(t *testing.T) {
	m, _ := buildFixture(t, Options{})

	if got := paths(m); !slices.Equal(got, fixtureOrder) {
		t.Fatalf("files =\n%q\nwant\n%q", got, fixtureOrder)
	}
	for _, f := range m.Files {
		sum := sha256.Sum256([]byte(fixture[f.Path]))
		if f.Digest.Hex() != hex.EncodeToString(sum[:]) || f.Size != int64(len(fixture[f.Path])) {
			t.Errorf("%s: digest %s size %d, want %x size %d", f.Path, f.Digest, f.Size, sum, len(fixture[f.Path]))
		}
	}
	if want := "sha256:" + handRoot(fixture, fixtureOrder); m.Root.String() != want {
		t.Fatalf("root = %s, want %s (computed by hand)", m.Root, want)
	}
	if m.Name != "fixture-model" {
		t.Errorf("name = %q", m.Name)
	}
	wantIgnores := []string{".git", ".gitattributes", ".github", ".gitignore", "model.sig"}
	if !slices.Equal(m.IgnorePaths, wantIgnores) {
		t.Errorf("ignore paths = %q, want %q", m.IgnorePaths, wantIgnores)
	}

	var listing bytes.Buffer
	fmt.Fprintf(&listing, "root %s\n", m.Root)
	for _, f := range m.Files {
		fmt.Fprintf(&listing, "%s %d %s\n", f.Digest, f.Size, f.Path)
	}
	checkGolden(t, "fixture.files.golden", listing.Bytes())

	stmt, err := m.Statement("")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fixture.statement.golden.json", stmt)
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// Vectors published by sigstore/model-transparency: the sample_model_folder
// and deep_model_folder fixtures of tests/conftest.py, with the digests of
// tests/_signing/testdata/signing/TestPayload/{sample,deep}_model_folder.
func TestBuildUpstreamVectors(t *testing.T) {
	sample := map[string]string{}
	for i := range 2 {
		for j := range 3 {
			sample[fmt.Sprintf("d%d/f%d%d", i, i, j)] = fmt.Sprintf("This is file f%d%d in d%d.", i, j, i)
		}
	}
	for i := range 4 {
		sample[fmt.Sprintf("f%d", i)] = fmt.Sprintf("This is file f%d in root.", i)
	}
	deep := map[string]string{}
	for i := range 4 {
		deep[fmt.Sprintf("d0/d1/d2/d3/d4/f%d", i)] = fmt.Sprintf("This is file f%d.", i)
	}
	tests := []struct {
		name  string
		files map[string]string
		root  string
		want  [][2]string // path, digest
	}{
		{"sample_model_folder", sample, "143cc682e555951649f18e2761c3d526d2502996f5e32dc187ef7f8a614f8df7", [][2]string{
			{"d0/f00", "fdd8925354242a7fd1515e79534317b800015607a609cd306e0b4dcfe6c92249"},
			{"d0/f01", "e16940b5e44ce981150bda37c4ba95881a749a521b4a297c5cdf97bdcfe965e6"},
			{"d0/f02", "407822246ea8f9e26380842c3f4cd10d7b23e78f1fe7c74c293608682886a426"},
			{"d1/f10", "6a3b08b5df77c4d418ceee1ac136a9ad49fc7c41358b5e82c1176daccb21ff3f"},
			{"d1/f11", "a484b3d8ea5e99b75f9f123f9a42c882388693edc7d85d82ccba54834712cadf"},
			{"d1/f12", "8f577930f5f40c2c2133cb299d36f9527fde98c1608569017cae6b5bcd01abb3"},
			{"f0", "997b37cc51f1ca1c7a270466607e26847429cd7264c30148c1b9352e224083fc"},
			{"f1", "c88a04d48353133fb065ba2c8ab369abab21395b9526aa20373ad828915fa7ae"},
			{"f2", "700e3ba5065d8dd47e41fd928ea086670d628f891ba363be0ca3c31d20d7d719"},
			{"f3", "912bcf5ebdf44dc7b4085b07940e0a81d157fba24b276e73fd911121d4544c4a"},
		}},
		{"deep_model_folder", deep, "18b5a45fe7983f7194e8ffd96c80f5f0ec53191bf4a32b6aff293f043e816d7a", [][2]string{
			{"d0/d1/d2/d3/d4/f0", "6efa14bb03544fcb76045c55f25b9315b6eb5be2d8a85f703193a76b7874c6ff"},
			{"d0/d1/d2/d3/d4/f1", "a9bc149b70b9d325cd68d275d582cfdb98c0347d3ce54590aa6533368daed3d2"},
			{"d0/d1/d2/d3/d4/f2", "5f597e6a92d1324d9adbed43d527926d11d0131487baf315e65ae1ef3b1ca3c0"},
			{"d0/d1/d2/d3/d4/f3", "eaf677c35fec6b87889d9e4563d8bb65dcb9869ca0225697c9cc44cf49dca008"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			m, err := Build(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Root.Hex() != tt.root {
				t.Errorf("root = %s, want %s", m.Root.Hex(), tt.root)
			}
			if len(m.Files) != len(tt.want) {
				t.Fatalf("got %d files, want %d", len(m.Files), len(tt.want))
			}
			for i, w := range tt.want {
				if m.Files[i].Path != w[0] || m.Files[i].Digest.Hex() != w[1] {
					t.Errorf("file %d = %s %s, want %s %s", i, m.Files[i].Path, m.Files[i].Digest.Hex(), w[0], w[1])
				}
			}
		})
	}
}

func TestBuildIgnoreRules(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		wantPaths   []string
		wantIgnores []string
	}{
		{
			name:        "defaults",
			wantPaths:   fixtureOrder,
			wantIgnores: []string{".git", ".gitattributes", ".github", ".gitignore", "model.sig"},
		},
		{
			name: "include git",
			opts: Options{IncludeGit: true},
			wantPaths: []string{
				".git/HEAD", ".git/objects/ab/cdef01", ".gitattributes", ".github/workflows/ci.yml",
				".gitignore", ".gitmodules", "a/b", "a-b", "config.json", "empty.bin", "sub/.gitignore",
				"weights/layer0.bin", "weights/layer1.bin", "weights/nested/deep/bias.bin", "模型.bin",
			},
			wantIgnores: []string{"model.sig"},
		},
		{
			name:        "user paths: a directory, a file, OS separators, redundant parts",
			opts:        Options{Ignore: []string{"weights/nested", filepath.Join("weights", "layer1.bin"), "./a//b", "模型.bin"}},
			wantPaths:   []string{".gitmodules", "a-b", "config.json", "empty.bin", "sub/.gitignore", "weights/layer0.bin"},
			wantIgnores: []string{".git", ".gitattributes", ".github", ".gitignore", "a/b", "model.sig", "weights/layer1.bin", "weights/nested", "模型.bin"},
		},
		{
			name:        "a prefix of a name is not its parent",
			opts:        Options{Ignore: []string{"a", "weights/layer"}},
			wantPaths:   slices.DeleteFunc(slices.Clone(fixtureOrder), func(p string) bool { return p == "a/b" }),
			wantIgnores: []string{".git", ".gitattributes", ".github", ".gitignore", "a", "model.sig", "weights/layer"},
		},
		{
			name:        "duplicates collapse",
			opts:        Options{Ignore: []string{"model.sig", ".git/", "sub", "sub/"}},
			wantPaths:   slices.DeleteFunc(slices.Clone(fixtureOrder), func(p string) bool { return p == "sub/.gitignore" }),
			wantIgnores: []string{".git", ".gitattributes", ".github", ".gitignore", "model.sig", "sub"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := buildFixture(t, tt.opts)
			if got := paths(m); !slices.Equal(got, tt.wantPaths) {
				t.Errorf("files =\n%q\nwant\n%q", got, tt.wantPaths)
			}
			if !slices.Equal(m.IgnorePaths, tt.wantIgnores) {
				t.Errorf("ignore paths = %q, want %q", m.IgnorePaths, tt.wantIgnores)
			}
		})
	}
}

func TestBuildIgnoreAbsolutePathInsideModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	writeTree(t, dir, map[string]string{"keep": "k", "out/manifest.json": "old manifest"})
	m, err := Build(context.Background(), dir, Options{Ignore: []string{filepath.Join(dir, "out", "manifest.json")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(m); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("files = %q", got)
	}
	if !slices.Contains(m.IgnorePaths, "out/manifest.json") {
		t.Errorf("ignore paths = %q, want out/manifest.json recorded", m.IgnorePaths)
	}
}

func TestBuildRejectsBadIgnorePaths(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f": "x"})
	for _, p := range []string{"", ".", "./", "..", "../other", "a/../../b", filepath.Dir(dir), "/"} {
		t.Run(p, func(t *testing.T) {
			_, err := Build(context.Background(), dir, Options{Ignore: []string{p}})
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("err = %v, want ErrBadPath", err)
			}
		})
	}
}

func TestBuildRejectsEmptyModel(t *testing.T) {
	tests := map[string]map[string]string{
		"nothing at all":         {},
		"only empty directories": {"a/b/": "", "c/": ""},
		"only excluded files":    {".git/HEAD": "x", "model.sig": "s", ".gitignore": "y"},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, files)
			if _, err := Build(context.Background(), dir, Options{}); !errors.Is(err, ErrEmptyModel) {
				t.Fatalf("err = %v, want ErrEmptyModel", err)
			}
		})
	}
}

func TestBuildEmptyDirectoriesLeaveNoTrace(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"w.bin": "w", "sub/x": "x"})
	before, err := Build(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"empty/": "", "sub/also-empty/deeper/": ""})
	after, err := Build(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if before.Root.String() != after.Root.String() {
		t.Errorf("empty directories changed the root: %s then %s", before.Root, after.Root)
	}
	writeTree(t, dir, map[string]string{"empty/file": ""})
	withEmptyFile, err := Build(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if withEmptyFile.Root.String() == before.Root.String() || len(withEmptyFile.Files) != 3 {
		t.Errorf("an empty file must be an entry: %d files, root %s", len(withEmptyFile.Files), withEmptyFile.Root)
	}
}

func TestBuildRejectsNonDirectory(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"file": "x"})
	if _, err := Build(context.Background(), filepath.Join(dir, "file"), Options{}); !errors.Is(err, ErrNotDir) {
		t.Fatalf("err = %v, want ErrNotDir", err)
	}
	if _, err := Build(context.Background(), filepath.Join(dir, "missing"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestBuildSymlinks(t *testing.T) {
	symlink := func(t *testing.T, target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	t.Run("refused by default", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"real.bin": "content"})
		symlink(t, "real.bin", filepath.Join(dir, "link.bin"))
		_, err := Build(context.Background(), dir, Options{})
		if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), "link.bin") {
			t.Fatalf("err = %v, want ErrSymlink naming link.bin", err)
		}
	})
	t.Run("an ignored symlink is fine", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"real.bin": "content"})
		symlink(t, "real.bin", filepath.Join(dir, "link.bin"))
		if _, err := Build(context.Background(), dir, Options{Ignore: []string{"link.bin"}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("model directory itself refused by default", func(t *testing.T) {
		base := t.TempDir()
		writeTree(t, base, map[string]string{"real/w.bin": "w"})
		symlink(t, "real", filepath.Join(base, "alias"))
		if _, err := Build(context.Background(), filepath.Join(base, "alias"), Options{}); !errors.Is(err, ErrSymlink) {
			t.Fatalf("err = %v, want ErrSymlink", err)
		}
		m, err := Build(context.Background(), filepath.Join(base, "alias"), Options{AllowSymlinks: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(m); !slices.Equal(got, []string{"w.bin"}) {
			t.Errorf("files = %q", got)
		}
	})
	t.Run("allowed: link to a file hashes its target under the link's name", func(t *testing.T) {
		base := t.TempDir()
		writeTree(t, base, map[string]string{"outside/blob": "shared blob", "model/real.bin": "content"})
		dir := filepath.Join(base, "model")
		symlink(t, "real.bin", filepath.Join(dir, "link.bin"))
		symlink(t, filepath.Join(base, "outside", "blob"), filepath.Join(dir, "external.bin"))
		m, err := Build(context.Background(), dir, Options{AllowSymlinks: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(m); !slices.Equal(got, []string{"external.bin", "link.bin", "real.bin"}) {
			t.Fatalf("files = %q", got)
		}
		if m.Files[1].Digest.String() != m.Files[2].Digest.String() {
			t.Errorf("link digest %s != target digest %s", m.Files[1].Digest, m.Files[2].Digest)
		}
		if sum := sha256.Sum256([]byte("shared blob")); m.Files[0].Digest.Hex() != hex.EncodeToString(sum[:]) || m.Files[0].Size != 11 {
			t.Errorf("external.bin = %+v", m.Files[0])
		}
		if !m.AllowSymlinks {
			t.Error("AllowSymlinks not recorded")
		}
	})
	t.Run("allowed: link to a directory still refused", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"sub/w.bin": "w"})
		symlink(t, "sub", filepath.Join(dir, "loop"))
		_, err := Build(context.Background(), dir, Options{AllowSymlinks: true})
		if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), "directory") {
			t.Fatalf("err = %v, want ErrSymlink about a directory", err)
		}
	})
	t.Run("allowed: broken link refused", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"w.bin": "w"})
		symlink(t, "nowhere", filepath.Join(dir, "dangling"))
		_, err := Build(context.Background(), dir, Options{AllowSymlinks: true})
		if err == nil || !strings.Contains(err.Error(), "dangling") {
			t.Fatalf("err = %v, want an error naming the dangling link", err)
		}
	})
}

func TestBuildDeterministicAcrossWorkers(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 60 {
		// Sizes vary so that workers finish out of order.
		files[fmt.Sprintf("shard-%02d/part-%d.bin", i%7, i)] = strings.Repeat(fmt.Sprintf("%d;", i), (i*977)%5000)
	}
	writeTree(t, dir, files)
	var want []byte
	for _, workers := range []int{1, 2, 3, 8, 64, 0} {
		for range 3 {
			m, err := Build(context.Background(), dir, Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			stmt, err := m.Statement("model")
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = stmt
			} else if !bytes.Equal(stmt, want) {
				t.Fatalf("workers=%d gave a different statement", workers)
			}
		}
	}
	if _, err := Build(context.Background(), dir, Options{Workers: -1}); err == nil {
		t.Error("negative workers accepted")
	}
}

func TestBuildProgress(t *testing.T) {
	var reports []Progress
	m, _ := buildFixture(t, Options{Workers: 3, OnProgress: func(p Progress) { reports = append(reports, p) }})
	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	last := reports[len(reports)-1]
	want := Progress{Files: len(m.Files), TotalFiles: len(m.Files), Bytes: m.TotalSize(), TotalBytes: m.TotalSize()}
	if last != want {
		t.Errorf("last progress = %+v, want %+v", last, want)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Bytes < reports[i-1].Bytes || reports[i].Files < reports[i-1].Files {
			t.Fatalf("progress went backwards: %+v then %+v", reports[i-1], reports[i])
		}
	}
}

func TestBuildCancelled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"w.bin": "w"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, dir, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBuildReportsUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.bin": "a", "b.bin": "b", "c.bin": "c"})
	if err := os.Chmod(filepath.Join(dir, "b.bin"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), dir, Options{Workers: 2})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "b.bin") {
		t.Fatalf("err = %v, want permission error naming b.bin", err)
	}
}

func TestComparePaths(t *testing.T) {
	// Expected order checked against Python: sorted(map(PurePosixPath, ...)).
	want := []string{"A", "a", "a/b", "a/b/c", "a-b", "a.b", "ab", "z", "é", "模型.bin"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, comparePaths)
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %q, want %q", got, want)
	}
	if comparePaths("x/y", "x/y") != 0 {
		t.Error("equal paths compare unequal")
	}
}
