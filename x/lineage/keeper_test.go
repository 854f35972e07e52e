package lineage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

var blk = kit.Block{ChainID: "test-chain", Height: 7, Time: time.Unix(1_700_000_000, 0)}

// modulePrefix is where the keeper under test lives in the test store.
const modulePrefix = 0x03

var k = NewKeeper(modulePrefix, fakeLicenses{})

// Licence errors as the licence module would return them.
var (
	errNoLicense      = kit.NewError("licenses", 3, "licence not found")
	errLicenseExpired = kit.NewError("licenses", 5, "licence expired")
)

// fakeLicenses reads licences from the whole state (which proves the keeper
// passes it root, not its own prefix): "lic/<id>" holds the height the
// licence expires at, "lic/<id>" = "broken" makes it fail without a code.
type fakeLicenses struct{}

func (fakeLicenses) CheckUsable(r kit.Reader, blk kit.Block, id string) error {
	v := r.Get([]byte("lic/" + id))
	if v == nil {
		return errNoLicense.Wrapf("%s", id)
	}
	if string(v) == "broken" {
		return errors.New("registry unavailable")
	}
	expires, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		panic(err)
	}
	if blk.Height >= expires {
		return errLicenseExpired.Wrapf("%s expired at %d", id, expires)
	}
	return nil
}

var (
	alice = kit.Signer{Address: "addr-alice", OrgID: "alpha"} // steward of alpha
	amy   = kit.Signer{Address: "addr-amy", OrgID: "alpha"}   // another steward of alpha
	bob   = kit.Signer{Address: "addr-bob", OrgID: "beta"}    // steward of beta
	zed   = kit.Signer{Address: "addr-zed", OrgID: "zz"}      // steward of zz
)

// dg is a sha256 digest whose hex value is n, so tests control key order.
func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// Datasets of the fixture.
var (
	dsA = dg(1) // corpora/web@1, alpha
	dsB = dg(2) // corpora/books@1, alpha
	dsC = dg(3) // beta-data/forum@1, beta
	dsD = dg(4) // unregistered
	dsE = dg(5) // unregistered
	dsF = dg(6) // unregistered
	dsG = dg(7) // unregistered
)

var (
	code1 = dg(0x100)
	code2 = dg(0x101)
)

func spec(d, ns, name, version string, licenses ...string) *pb.DatasetSpec {
	return &pb.DatasetSpec{Digest: d, Namespace: ns, Name: name, Version: version, LicenseIds: licenses}
}

// fixture holds licences "cc-by-4.0" (usable), "old" (expired at height 5)
// and "broken", and datasets A and B of alpha and C of beta.
func fixture(t *testing.T) *kittest.MemStore {
	t.Helper()
	st := kittest.NewMemStore()
	st.Set([]byte("lic/cc-by-4.0"), []byte("1000"))
	st.Set([]byte("lic/old"), []byte("5"))
	st.Set([]byte("lic/broken"), []byte("broken"))
	mustRegister(t, st, alice, spec(dsA, "corpora", "web", "1", "cc-by-4.0"))
	mustRegister(t, st, alice, spec(dsB, "corpora", "books", "1"))
	mustRegister(t, st, bob, spec(dsC, "beta-data", "forum", "1"))
	return st
}

func mustRegister(t *testing.T, st kit.Store, s kit.Signer, sp *pb.DatasetSpec) {
	t.Helper()
	if _, err := k.RegisterDataset(k.own(st), st, blk, s, &pb.MsgRegisterDataset{Dataset: sp}); err != nil {
		t.Fatalf("register %s: %v", sp.Digest, err)
	}
}

func mustRun(t *testing.T, st kit.Store, s kit.Signer, msg *pb.MsgRecordRun) string {
	t.Helper()
	if _, err := k.RecordRun(k.own(st), st, blk, s, msg); err != nil {
		t.Fatalf("record run: %v", err)
	}
	var outs []string
	outs = append(outs, msg.Outputs...)
	for _, sp := range msg.NewOutputs {
		outs = append(outs, sp.Digest)
	}
	return RunID(s.OrgID, msg.CodeDigest, msg.ParametersDigest, msg.EnvironmentDigest, msg.Inputs, outs, msg.Executor)
}

// call runs a handler and checks its error; a rejected handler must leave
// the state untouched (validation precedes every write).
func call(t *testing.T, st *kittest.MemStore, want error, fn func() ([]kit.Event, error)) []kit.Event {
	t.Helper()
	before := st.Snapshot()
	events, err := fn()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return events
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if _, _, coded := kit.CodeOf(err); !coded {
		t.Fatalf("error %v carries no code", err)
	}
	if !maps.Equal(before, st.Snapshot()) {
		t.Fatalf("rejected handler changed the state")
	}
	return nil
}

func attr(ev kit.Event, key string) string {
	for _, a := range ev.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// onlyUnderPrefix fails if a key outside the module prefix (other than the
// fake licences) was written.
func onlyUnderPrefix(t *testing.T, st *kittest.MemStore) {
	t.Helper()
	for key := range st.Snapshot() {
		if key[0] != modulePrefix && !strings.HasPrefix(key, "lic/") {
			t.Fatalf("key %x written outside the module prefix", key)
		}
	}
}

func TestRegisterDataset(t *testing.T) {
	full := &pb.DatasetSpec{
		Digest: dsD, Namespace: "corpora", Name: "web-clean", Version: "2026-01-01+rc.1", SizeBytes: 1 << 40,
		MediaType: "application/x-parquet", SchemaDigest: dg(0x200), Uri: "s3://bucket/web-clean/",
		LicenseIds: []string{"cc-by-4.0"},
	}
	with := func(f func(*pb.DatasetSpec)) *pb.DatasetSpec {
		s := proto.Clone(full).(*pb.DatasetSpec)
		f(s)
		return s
	}
	manyLicenses := make([]string, MaxLicenses+1)
	for i := range manyLicenses {
		manyLicenses[i] = fmt.Sprintf("l%d", i)
	}
	cases := []struct {
		name   string
		signer kit.Signer
		spec   *pb.DatasetSpec
		want   error
	}{
		{"full spec", amy, full, nil},
		{"minimal spec", alice, spec(dsD, "n", "x", "1"), nil},
		{"missing spec", alice, nil, ErrInvalidField},
		{"missing digest", alice, with(func(s *pb.DatasetSpec) { s.Digest = "" }), ErrInvalidDigest},
		{"upper-case digest", alice, with(func(s *pb.DatasetSpec) { s.Digest = strings.ToUpper(dsD) }), ErrInvalidDigest},
		{"unknown algorithm", alice, with(func(s *pb.DatasetSpec) { s.Digest = "md5:" + strings.Repeat("0", 32) }), ErrInvalidDigest},
		{"bad schema digest", alice, with(func(s *pb.DatasetSpec) { s.SchemaDigest = "sha256:abc" }), ErrInvalidDigest},
		{"empty namespace", alice, with(func(s *pb.DatasetSpec) { s.Namespace = "" }), ErrInvalidField},
		{"namespace with @", alice, with(func(s *pb.DatasetSpec) { s.Namespace = "a@b" }), ErrInvalidField},
		{"namespace too long", alice, with(func(s *pb.DatasetSpec) { s.Namespace = strings.Repeat("n", 129) }), ErrInvalidField},
		{"empty name", alice, with(func(s *pb.DatasetSpec) { s.Name = "" }), ErrInvalidField},
		{"name ends in slash", alice, with(func(s *pb.DatasetSpec) { s.Name = "web/" }), ErrInvalidField},
		{"name too long", alice, with(func(s *pb.DatasetSpec) { s.Name = strings.Repeat("n", 129) }), ErrInvalidField},
		{"empty version", alice, with(func(s *pb.DatasetSpec) { s.Version = "" }), ErrInvalidField},
		{"version with slash", alice, with(func(s *pb.DatasetSpec) { s.Version = "1/2" }), ErrInvalidField},
		{"version too long", alice, with(func(s *pb.DatasetSpec) { s.Version = strings.Repeat("1", 65) }), ErrInvalidField},
		{"media type with newline", alice, with(func(s *pb.DatasetSpec) { s.MediaType = "text/plain\n" }), ErrInvalidField},
		{"media type too long", alice, with(func(s *pb.DatasetSpec) { s.MediaType = strings.Repeat("m", 129) }), ErrInvalidField},
		{"uri too long", alice, with(func(s *pb.DatasetSpec) { s.Uri = strings.Repeat("u", 513) }), ErrInvalidField},
		{"uri not UTF-8", alice, with(func(s *pb.DatasetSpec) { s.Uri = "s3://\xff" }), ErrInvalidField},
		{"upper-case licence id", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = []string{"CC-BY"} }), ErrInvalidField},
		{"licence listed twice", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = []string{"cc-by-4.0", "cc-by-4.0"} }), ErrInvalidField},
		{"too many licences", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = manyLicenses }), ErrInvalidField},
		{"unknown licence", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = []string{"cc-by-4.0", "nope"} }), errNoLicense},
		{"expired licence", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = []string{"old"} }), errLicenseExpired},
		{"licence registry error without code", alice, with(func(s *pb.DatasetSpec) { s.LicenseIds = []string{"broken"} }), ErrInvalidField},
		{"name taken", alice, with(func(s *pb.DatasetSpec) { s.Namespace, s.Name, s.Version = "corpora", "web", "1" }), ErrNameTaken},
		{"name taken by another org", alice, with(func(s *pb.DatasetSpec) { s.Namespace, s.Name, s.Version = "beta-data", "forum", "1" }), ErrNameTaken},
		{"duplicate by same org", amy, spec(dsA, "corpora", "web", "1"), ErrDatasetExists},
		{"duplicate by same org under another name", alice, spec(dsA, "corpora", "web", "2"), ErrDatasetExists},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			events := call(t, st, c.want, func() ([]kit.Event, error) {
				return k.RegisterDataset(k.own(st), st, blk, c.signer, &pb.MsgRegisterDataset{Dataset: c.spec})
			})
			if c.want != nil {
				return
			}
			ds, ok := k.Dataset(st, c.spec.Digest)
			if !ok || !proto.Equal(ds.Spec, c.spec) || ds.OwnerOrg != c.signer.OrgID || ds.RegisteredBy != c.signer.Address ||
				ds.Height != blk.Height || !ds.Time.AsTime().Equal(blk.Time) {
				t.Fatalf("stored dataset = %v", ds)
			}
			r := k.reader(st)
			if got := r.Get(NameKey(c.spec.Namespace, c.spec.Name, c.spec.Version)); string(got) != c.spec.Digest {
				t.Fatalf("name index = %q", got)
			}
			if !r.Has(HistoryKey(c.spec.Namespace, c.spec.Name, blk.Height, c.spec.Digest)) {
				t.Fatal("history index missing")
			}
			if len(events) != 1 || events[0].Type != "lineage.dataset_registered" || !slices.Equal(kittest.Indexed(events[0]), []string{"digest"}) || attr(events[0], "digest") != c.spec.Digest ||
				attr(events[0], "owner_org") != c.signer.OrgID || attr(events[0], "registered_by") != c.signer.Address {
				t.Fatalf("events = %v", events)
			}
			onlyUnderPrefix(t, st)
		})
	}
}

func TestRegisterDatasetErrorNamesHolder(t *testing.T) {
	st := fixture(t)
	_, err := k.RegisterDataset(k.own(st), st, blk, alice, &pb.MsgRegisterDataset{Dataset: spec(dsD, "corpora", "web", "1")})
	if !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), dsA) {
		t.Fatalf("error = %v, want ErrNameTaken naming %s", err, dsA)
	}
}

func TestRegisterDatasetLicenseErrorKeepsCode(t *testing.T) {
	st := fixture(t)
	_, err := k.RegisterDataset(k.own(st), st, blk, alice, &pb.MsgRegisterDataset{Dataset: spec(dsD, "n", "x", "1", "old")})
	space, code, ok := kit.CodeOf(err)
	if !ok || space != "licenses" || code != errLicenseExpired.Code || !strings.Contains(err.Error(), "dataset.license_ids[0]") {
		t.Fatalf("error = %v (%s/%d), want the licence module's code with the field", err, space, code)
	}
}

func TestAttestDataset(t *testing.T) {
	cases := []struct {
		name   string
		before []kit.Signer // attestations made first
		signer kit.Signer
		spec   *pb.DatasetSpec
		want   error
	}{
		{"other org attests", nil, bob, spec(dsA, "corpora", "web", "1"), nil},
		{"descriptive fields may differ", nil, bob, &pb.DatasetSpec{Digest: dsA, Namespace: "corpora", Name: "web", Version: "1", MediaType: "text/plain"}, nil},
		{"third org attests too", []kit.Signer{bob}, zed, spec(dsA, "corpora", "web", "1"), nil},
		{"second attestation by same org", []kit.Signer{bob}, bob, spec(dsA, "corpora", "web", "1"), ErrAlreadyAttested},
		{"second attestation by another account of same org", []kit.Signer{bob}, kit.Signer{Address: "addr-bea", OrgID: "beta"}, spec(dsA, "corpora", "web", "1"), ErrAlreadyAttested},
		{"different version", nil, bob, spec(dsA, "corpora", "web", "2"), ErrAttestationMismatch},
		{"different name", nil, bob, spec(dsA, "corpora", "webby", "1"), ErrAttestationMismatch},
		{"different namespace", nil, bob, spec(dsA, "beta-data", "web", "1"), ErrAttestationMismatch},
		{"expired licence", nil, bob, spec(dsA, "corpora", "web", "1", "old"), errLicenseExpired},
		{"invalid spec", nil, bob, spec(dsA, "corpora", "", "1"), ErrInvalidField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			for _, s := range c.before {
				mustRegister(t, st, s, spec(dsA, "corpora", "web", "1"))
			}
			events := call(t, st, c.want, func() ([]kit.Event, error) {
				return k.RegisterDataset(k.own(st), st, blk, c.signer, &pb.MsgRegisterDataset{Dataset: c.spec})
			})
			if c.want != nil {
				return
			}
			var a pb.Attestation
			if !kit.Load(k.reader(st), AttestationKey(dsA, c.signer.OrgID), &a) {
				t.Fatal("attestation not stored")
			}
			if a.Digest != dsA || a.OrgId != c.signer.OrgID || a.AttestedBy != c.signer.Address || a.Height != blk.Height || !a.Time.AsTime().Equal(blk.Time) {
				t.Fatalf("attestation = %v", &a)
			}
			ds, _ := k.Dataset(st, dsA)
			if ds.OwnerOrg != "alpha" || ds.Spec.MediaType != "" {
				t.Fatalf("attestation changed the dataset: %v", ds)
			}
			if len(events) != 1 || events[0].Type != "lineage.dataset_attested" || !slices.Equal(kittest.Indexed(events[0]), []string{"digest"}) || attr(events[0], "digest") != dsA ||
				attr(events[0], "org_id") != c.signer.OrgID || attr(events[0], "attested_by") != c.signer.Address {
				t.Fatalf("events = %v", events)
			}
		})
	}
}

func TestRecordRun(t *testing.T) {
	newD := spec(dsD, "derived", "web-clean", "1", "cc-by-4.0")
	base := func() *pb.MsgRecordRun {
		return &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsB, dsA}, NewOutputs: []*pb.DatasetSpec{newD}}
	}
	with := func(f func(*pb.MsgRecordRun)) *pb.MsgRecordRun {
		m := base()
		f(m)
		return m
	}
	many := func(n, from int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = dg(from + i)
		}
		return out
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, st *kittest.MemStore)
		msg   *pb.MsgRecordRun
		want  error
	}{
		{"new output", nil, base(), nil},
		{"all fields", nil, with(func(m *pb.MsgRecordRun) {
			m.ParametersDigest, m.EnvironmentDigest, m.Executor = dg(0x300), dg(0x301), "airflow/dag-7 run 2026-01-02"
		}), nil},
		{"linked output of another org", nil, with(func(m *pb.MsgRecordRun) { m.Outputs, m.NewOutputs = []string{dsC}, nil }), nil},
		{"linked and new outputs", nil, with(func(m *pb.MsgRecordRun) { m.Inputs, m.Outputs = []string{dsA}, []string{dsB} }), nil},
		{"missing code digest", nil, with(func(m *pb.MsgRecordRun) { m.CodeDigest = "" }), ErrInvalidDigest},
		{"bad code digest", nil, with(func(m *pb.MsgRecordRun) { m.CodeDigest = "sha256:xyz" }), ErrInvalidDigest},
		{"bad parameters digest", nil, with(func(m *pb.MsgRecordRun) { m.ParametersDigest = "params" }), ErrInvalidDigest},
		{"bad environment digest", nil, with(func(m *pb.MsgRecordRun) { m.EnvironmentDigest = strings.ToUpper(dg(9)) }), ErrInvalidDigest},
		{"executor with control character", nil, with(func(m *pb.MsgRecordRun) { m.Executor = "job\x00" }), ErrInvalidField},
		{"executor too long", nil, with(func(m *pb.MsgRecordRun) { m.Executor = strings.Repeat("e", 257) }), ErrInvalidField},
		{"no inputs", nil, with(func(m *pb.MsgRecordRun) { m.Inputs = nil }), ErrInvalidField},
		{"too many inputs", nil, with(func(m *pb.MsgRecordRun) { m.Inputs = many(MaxRunInputs+1, 0x1000) }), ErrInvalidField},
		{"bad input digest", nil, with(func(m *pb.MsgRecordRun) { m.Inputs = []string{dsA, "sha256:00"} }), ErrInvalidDigest},
		{"input listed twice", nil, with(func(m *pb.MsgRecordRun) { m.Inputs = []string{dsA, dsB, dsA} }), ErrInvalidField},
		{"no outputs", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = nil }), ErrInvalidField},
		{"too many outputs together", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = many(MaxRunOutputs, 0x2000) }), ErrInvalidField},
		{"too many edges", nil, with(func(m *pb.MsgRecordRun) {
			m.Inputs = many(MaxRunEdges/64+1, 0x3000)
			m.Outputs = many(63, 0x4000)
		}), ErrInvalidField},
		{"bad output digest", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = []string{"out"} }), ErrInvalidDigest},
		{"output listed twice", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = []string{dsC, dsC} }), ErrInvalidField},
		{"output both linked and new", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = []string{dsD} }), ErrInvalidField},
		{"new output listed twice", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{newD, newD} }), ErrInvalidField},
		{"linked output is an input", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = []string{dsA} }), ErrLineageCycle},
		{"new output is an input", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec(dsB, "x", "y", "1")} }), ErrLineageCycle},
		{"invalid new output", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec(dsD, "x", "y z", "1")} }), ErrInvalidField},
		{"nil new output", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{nil} }), ErrInvalidField},
		{"new output with bad digest", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec("d", "x", "y", "1")} }), ErrInvalidDigest},
		{"unknown input", nil, with(func(m *pb.MsgRecordRun) { m.Inputs = []string{dsA, dsE} }), ErrUnknownDataset},
		{"unknown linked output", nil, with(func(m *pb.MsgRecordRun) { m.Outputs = []string{dsE} }), ErrUnknownDataset},
		{"new output already registered", nil, with(func(m *pb.MsgRecordRun) {
			m.Inputs, m.NewOutputs = []string{dsA}, []*pb.DatasetSpec{spec(dsC, "beta-data", "forum", "1")}
		}), ErrDatasetExists},
		{"new output name taken", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec(dsD, "corpora", "web", "1")} }), ErrNameTaken},
		{"two new outputs with one name", nil, with(func(m *pb.MsgRecordRun) {
			m.NewOutputs = []*pb.DatasetSpec{newD, spec(dsE, newD.Namespace, newD.Name, newD.Version)}
		}), ErrNameTaken},
		{"new output with expired licence", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec(dsD, "x", "y", "1", "old")} }), errLicenseExpired},
		{"new output with unknown licence", nil, with(func(m *pb.MsgRecordRun) { m.NewOutputs = []*pb.DatasetSpec{spec(dsD, "x", "y", "1", "gpl")} }), errNoLicense},
		{"run recorded twice", func(t *testing.T, st *kittest.MemStore) { mustRun(t, st, alice, base()) }, base(), ErrRunExists},
		{"same run by another org is another run", func(t *testing.T, st *kittest.MemStore) {
			mustRun(t, st, bob, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsA, dsB}, Outputs: []string{dsC}})
		}, with(func(m *pb.MsgRecordRun) { m.Outputs, m.NewOutputs = []string{dsC}, nil }), nil},
		{"cycle: linking a direct parent of the input", func(t *testing.T, st *kittest.MemStore) {
			mustRun(t, st, alice, base()) // A, B → D
		}, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsD}, Outputs: []string{dsA}}, ErrLineageCycle},
		{"cycle: linking a distant ancestor of the input", func(t *testing.T, st *kittest.MemStore) {
			mustRun(t, st, alice, base()) // A, B → D
			mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsD}, NewOutputs: []*pb.DatasetSpec{spec(dsE, "derived", "e", "1")}})
		}, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsC, dsE}, Outputs: []string{dsB}}, ErrLineageCycle},
		{"no cycle: linking a sibling", func(t *testing.T, st *kittest.MemStore) {
			mustRun(t, st, alice, base()) // A, B → D
		}, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsA}, Outputs: []string{dsC}}, nil},
		{"no cycle: linking a descendant again", func(t *testing.T, st *kittest.MemStore) {
			mustRun(t, st, alice, base()) // A, B → D
		}, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsA}, Outputs: []string{dsD}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			if c.setup != nil {
				c.setup(t, st)
			}
			events := call(t, st, c.want, func() ([]kit.Event, error) { return k.RecordRun(k.own(st), st, blk, alice, c.msg) })
			if c.want != nil {
				return
			}
			checkRecordedRun(t, st, alice, c.msg, events)
			onlyUnderPrefix(t, st)
		})
	}
}

// checkRecordedRun asserts everything RecordRun should have stored for msg.
func checkRecordedRun(t *testing.T, st kit.Store, s kit.Signer, msg *pb.MsgRecordRun, events []kit.Event) {
	t.Helper()
	outputs := append([]string(nil), msg.Outputs...)
	for _, sp := range msg.NewOutputs {
		outputs = append(outputs, sp.Digest)
	}
	id := RunID(s.OrgID, msg.CodeDigest, msg.ParametersDigest, msg.EnvironmentDigest, msg.Inputs, outputs, msg.Executor)
	run, err := k.Run(st, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.Run{
		Id: id, CodeDigest: msg.CodeDigest, ParametersDigest: msg.ParametersDigest, EnvironmentDigest: msg.EnvironmentDigest,
		Inputs: slices.Sorted(slices.Values(msg.Inputs)), Outputs: slices.Sorted(slices.Values(outputs)), Executor: msg.Executor,
		OrgId: s.OrgID, RecordedBy: s.Address, Height: blk.Height, Time: run.Time,
	}
	if !proto.Equal(run, want) || !run.Time.AsTime().Equal(blk.Time) {
		t.Fatalf("run = %v\nwant %v", run, want)
	}
	for _, sp := range msg.NewOutputs {
		ds, ok := k.Dataset(st, sp.Digest)
		if !ok || ds.OwnerOrg != s.OrgID || !proto.Equal(ds.Spec, sp) {
			t.Fatalf("new output %s = %v", sp.Digest, ds)
		}
	}
	r := k.reader(st)
	for _, in := range msg.Inputs {
		if !r.Has(ConsumedByKey(in, id)) {
			t.Fatalf("consumed-by index of %s missing", in)
		}
	}
	for _, out := range outputs {
		if !r.Has(ProducedByKey(out, id)) {
			t.Fatalf("produced-by index of %s missing", out)
		}
		for _, in := range msg.Inputs {
			if !r.Has(UpstreamKey(out, in, id)) || !r.Has(DownstreamKey(in, out, id)) {
				t.Fatalf("edge %s → %s missing", in, out)
			}
		}
	}
	if len(events) != 1+len(msg.NewOutputs) {
		t.Fatalf("events = %v", events)
	}
	for i, sp := range msg.NewOutputs {
		if events[i].Type != "lineage.dataset_registered" || attr(events[i], "digest") != sp.Digest {
			t.Fatalf("event %d = %v", i, events[i])
		}
	}
	last := events[len(events)-1]
	if last.Type != "lineage.run_recorded" || attr(last, "run_id") != id || attr(last, "org_id") != s.OrgID {
		t.Fatalf("run event = %v", last)
	}
}

func TestRecordRunErrorsNameTheDataset(t *testing.T) {
	st := fixture(t)
	_, err := k.RecordRun(k.own(st), st, blk, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsA, dsE}, Outputs: []string{dsC}})
	if !errors.Is(err, ErrUnknownDataset) || !strings.Contains(err.Error(), dsE) || !strings.Contains(err.Error(), "inputs[1]") {
		t.Fatalf("error = %v", err)
	}
	_, err = k.RecordRun(k.own(st), st, blk, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsA}, NewOutputs: []*pb.DatasetSpec{spec(dsC, "a", "b", "1")}})
	if !errors.Is(err, ErrDatasetExists) || !strings.Contains(err.Error(), "link it through outputs") {
		t.Fatalf("error = %v", err)
	}
}

func TestRecordRunCycleCheckBound(t *testing.T) {
	st := fixture(t)
	// A chain A → D → E → F: F has three upstream datasets.
	chain := []string{dsA, dsD, dsE, dsF}
	for i := 1; i < len(chain); i++ {
		mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{chain[i-1]},
			NewOutputs: []*pb.DatasetSpec{spec(chain[i], "chain", "n", strconv.Itoa(i))}})
	}
	defer func(old int) { cycleCheckLimit = old }(cycleCheckLimit)

	link := &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsF}, Outputs: []string{dsC}}
	cycleCheckLimit = 3 // F, E, D: A would be the fourth
	call(t, st, ErrLineageTooLarge, func() ([]kit.Event, error) { return k.RecordRun(k.own(st), st, blk, alice, link) })

	// A cycle found before the bound is still a cycle.
	call(t, st, ErrLineageCycle, func() ([]kit.Event, error) {
		return k.RecordRun(k.own(st), st, blk, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsF}, Outputs: []string{dsD}})
	})
	// New outputs need no walk.
	call(t, st, nil, func() ([]kit.Event, error) {
		return k.RecordRun(k.own(st), st, blk, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsF}, NewOutputs: []*pb.DatasetSpec{spec(dsG, "chain", "n", "4")}})
	})

	cycleCheckLimit = 4
	call(t, st, nil, func() ([]kit.Event, error) { return k.RecordRun(k.own(st), st, blk, alice, link) })
}

func TestRunID(t *testing.T) {
	in, out := []string{dsB, dsA}, []string{dsD}
	id := RunID("alpha", code1, "", "", in, out, "job")
	if !validRunID(id) {
		t.Fatalf("id %q is not 64 lower-case hex digits", id)
	}
	if RunID("alpha", code1, "", "", []string{dsA, dsB}, out, "job") != id {
		t.Fatal("input order changed the id")
	}
	if in[0] != dsB {
		t.Fatal("RunID sorted its caller's slice")
	}
	variants := []string{
		RunID("beta", code1, "", "", in, out, "job"),
		RunID("alpha", code2, "", "", in, out, "job"),
		RunID("alpha", code1, dg(9), "", in, out, "job"),
		RunID("alpha", code1, "", dg(9), in, out, "job"),
		RunID("alpha", code1, "", "", []string{dsA}, out, "job"),
		RunID("alpha", code1, "", "", in, []string{dsE}, "job"),
		RunID("alpha", code1, "", "", in, out, "job2"),
		// Moving a digest between the lists or a byte between fields
		// must change the id: the encoding is length-prefixed.
		RunID("alpha", code1, "", "", []string{dsA}, []string{dsB, dsD}, "job"),
		RunID("alph", "a"+code1, "", "", in, out, "job"),
	}
	seen := map[string]bool{id: true}
	for i, v := range variants {
		if seen[v] {
			t.Errorf("variant %d collides", i)
		}
		seen[v] = true
	}
	// The documented encoding, spelled out.
	var b bytes.Buffer
	b.WriteString("lineage-ledger/run/v1\x00")
	str := func(s string) { b.Write([]byte{0, 0, 0, byte(len(s))}); b.WriteString(s) }
	str("alpha")
	str(code1)
	str("")
	str("")
	b.Write([]byte{0, 0, 0, 2})
	str(dsA)
	str(dsB)
	b.Write([]byte{0, 0, 0, 1})
	str(dsD)
	str("job")
	if want := sha256Hex(b.Bytes()); id != want {
		t.Fatalf("RunID = %s, documented encoding gives %s", id, want)
	}
}

func TestExportedReads(t *testing.T) {
	st := fixture(t)
	id := mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsA, dsB}, NewOutputs: []*pb.DatasetSpec{spec(dsD, "d", "d", "1")}})
	long := "sha256:" + strings.Repeat("a", 300)
	if !k.DatasetExists(st, dsA) || k.DatasetExists(st, dsE) || k.DatasetExists(st, "nope") || k.DatasetExists(st, long) {
		t.Fatal("DatasetExists wrong")
	}
	if ds, ok := k.Dataset(st, dsD); !ok || ds.Spec.Name != "d" {
		t.Fatalf("Dataset = %v, %v", ds, ok)
	}
	if _, ok := k.Dataset(st, long); ok {
		t.Fatal("Dataset found a non-digest")
	}
	if !k.RunExists(st, id) || k.RunExists(st, strings.Repeat("0", 64)) || k.RunExists(st, strings.ToUpper(id)) || k.RunExists(st, strings.Repeat("a", 300)) {
		t.Fatal("RunExists wrong")
	}
	if _, err := k.Run(st, strings.Repeat("0", 64)); !errors.Is(err, ErrUnknownRun) {
		t.Fatalf("Run(unknown) = %v", err)
	}
	if _, err := k.Run(st, "xyz"); !errors.Is(err, ErrUnknownRun) {
		t.Fatalf("Run(malformed) = %v", err)
	}
	parents := k.Parents(st, dsD)
	if len(parents) != 2 || parents[0].Parent != dsA || parents[1].Parent != dsB || parents[0].Child != dsD || parents[0].RunId != id {
		t.Fatalf("Parents = %v", parents)
	}
	if k.Parents(st, dsA) != nil || k.Parents(st, long) != nil {
		t.Fatal("Parents of a source")
	}
}

func TestParentsSortedByString(t *testing.T) {
	st := fixture(t)
	// Key order is by length: sha256 (71) < blake2b-256 (76) < sha512 (135).
	blake := "blake2b-256:" + strings.Repeat("0", 64)
	sha512 := "sha512:" + strings.Repeat("0", 128)
	mustRegister(t, st, alice, spec(blake, "p", "blake", "1"))
	mustRegister(t, st, alice, spec(sha512, "p", "sha512", "1"))
	mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{sha512, dsA, blake}, NewOutputs: []*pb.DatasetSpec{spec(dsD, "d", "d", "1")}})
	id2 := mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsA}, Outputs: []string{dsD}})
	id1 := RunID("alpha", code1, "", "", []string{sha512, dsA, blake}, []string{dsD}, "")
	var got []string
	for _, e := range k.Parents(st, dsD) {
		got = append(got, e.Parent[:8]+"/"+e.RunId[:4])
	}
	runs := []string{id1[:4], id2[:4]}
	if id2 < id1 {
		runs = []string{id2[:4], id1[:4]}
	}
	want := []string{"blake2b-/" + id1[:4], "sha256:0/" + runs[0], "sha256:0/" + runs[1], "sha512:0/" + id1[:4]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Parents = %v, want %v", got, want)
	}
}

func TestErrorCodesUnique(t *testing.T) {
	seen := map[uint32]string{}
	for i, e := range Errors {
		if e.Codespace != Codespace {
			t.Errorf("%q has codespace %q", e.Message, e.Codespace)
		}
		if prev, dup := seen[e.Code]; dup {
			t.Errorf("code %d used by %q and %q", e.Code, prev, e.Message)
		}
		if e.Code != uint32(i+1) {
			t.Errorf("Errors[%d] has code %d: list them in code order", i, e.Code)
		}
		seen[e.Code] = e.Message
	}
	if len(seen) != int(Errors[len(Errors)-1].Code) {
		t.Errorf("codes are not dense 1..%d", len(seen))
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
