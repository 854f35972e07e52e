package models

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

var blk = kit.Block{ChainID: "test-chain", Height: 7, Time: time.Unix(1_700_000_000, 0).UTC()}

// Signers: alice and carol publish for acme, bob for beta; ghost is an acme
// signer the account registry has no key for.
var (
	alice = kit.Signer{Address: "addr-alice", OrgID: "acme"}
	carol = kit.Signer{Address: "addr-carol", OrgID: "acme"}
	bob   = kit.Signer{Address: "addr-bob", OrgID: "beta"}
	ghost = kit.Signer{Address: "addr-ghost", OrgID: "acme"}
)

// dg is the n-th test digest.
func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// fixture is a store with a keeper over fake registries, holding
// acme/base@1.0 (trained on dg(1)) and the revoked acme/old@1.0.
type fixture struct {
	st       *kittest.MemStore
	k        Keeper
	aliceKey *keys.PrivateKey
	bobKey   *keys.PrivateKey
	calls    *[]upstreamCall
	datasets fakeDatasets
}

func genKey(t *testing.T, typ keysv1.KeyType) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(typ)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		st:       kittest.NewMemStore(),
		aliceKey: genKey(t, keysv1.KeyType_KEY_TYPE_ED25519),
		bobKey:   genKey(t, keysv1.KeyType_KEY_TYPE_P256),
		calls:    new([]upstreamCall),
	}
	f.datasets = fakeDatasets{
		datasets: map[string]bool{},
		runs:     map[string]bool{"run-1": true, "run-2": true, "run-3": true},
		parents:  map[string][]DatasetEdge{},
		calls:    f.calls,
	}
	for i := 1; i <= 20; i++ {
		f.datasets.datasets[dg(i)] = true
	}
	accounts := fakeAccounts{
		alice.Address: f.aliceKey.Public(),
		carol.Address: genKey(t, keysv1.KeyType_KEY_TYPE_SECP256K1).Public(),
		bob.Address:   f.bobKey.Public(),
	}
	licenses := fakeLicenses{"acme/open": true, "acme/research": true}
	f.k = NewKeeper(0x05, f.datasets, accounts, licenses, fakeParams(kit.LatestRules))
	f.register(t, alice, &pb.ModelSpec{Name: "acme/base", Version: "1.0", ManifestDigest: dg(50), TrainingDatasets: []string{dg(1)}})
	f.register(t, alice, &pb.ModelSpec{Name: "acme/old", Version: "1.0", ManifestDigest: dg(51)})
	f.revoke(t, alice, "acme/old", "1.0")
	return f
}

func (f *fixture) register(t *testing.T, s kit.Signer, spec *pb.ModelSpec) {
	t.Helper()
	if _, err := f.k.RegisterModel(f.k.own(f.st), f.st, blk, s, &pb.MsgRegisterModel{Model: spec}); err != nil {
		t.Fatalf("register %s: %v", Ref(spec.Name, spec.Version), err)
	}
}

func (f *fixture) revoke(t *testing.T, s kit.Signer, name, version string) {
	t.Helper()
	msg := &pb.MsgRevokeModel{Name: name, Version: version, ReasonCode: pb.RevocationReason_REVOCATION_REASON_SECURITY, Reason: "backdoor found"}
	if _, err := f.k.RevokeModel(f.k.own(f.st), f.st, blk, s, msg); err != nil {
		t.Fatalf("revoke %s: %v", Ref(name, version), err)
	}
}

func (f *fixture) supersede(t *testing.T, s kit.Signer, name, version, by string) {
	t.Helper()
	if _, err := f.k.SupersedeModel(f.k.own(f.st), f.st, blk, s, &pb.MsgSupersedeModel{Name: name, Version: version, SupersededBy: by}); err != nil {
		t.Fatalf("supersede %s by %s: %v", Ref(name, version), by, err)
	}
}

func (f *fixture) sign(t *testing.T, k *keys.PrivateKey, manifestDigest string) []byte {
	t.Helper()
	sig, err := k.Sign(ManifestSignBytes(manifestDigest))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// check compares an error with the wanted one (nil: success).
func check(t *testing.T, err error, want *kit.Error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	space, code, ok := kit.CodeOf(err)
	if !ok || space != want.Codespace || code != want.Code {
		t.Fatalf("CodeOf(%v) = %s/%d/%v, want %s/%d", err, space, code, ok, want.Codespace, want.Code)
	}
}

func attrs(ev kit.Event) map[string]string {
	out := map[string]string{}
	for _, a := range ev.Attributes {
		out[a.Key] = a.Value
	}
	return out
}

func TestRegisterModel(t *testing.T) {
	const manifest = 100
	fullSpec := func() *pb.ModelSpec {
		return &pb.ModelSpec{
			Name: "acme/llm-7b", Version: "1.0.0+build.5",
			ManifestDigest: dg(manifest), FileManifestDigest: dg(101), Format: "safetensors",
			BaseModel: "acme/base@1.0", TrainingDatasets: []string{dg(3), dg(2)}, TrainingRun: "run-1",
			EvaluationReportDigest: dg(102), LicenseIds: []string{"acme/open", "acme/research"},
		}
	}
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	cases := []struct {
		name   string
		signer kit.Signer
		mod    func(f *fixture, m *pb.MsgRegisterModel)
		want   *kit.Error
		signed bool
	}{
		{"ok signed, every field", alice, nil, nil, true},
		{"ok unsigned", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.PublisherSignature = nil }, nil, false},
		{"ok minimal", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model = &pb.ModelSpec{Name: "acme/llm-7b", Version: "1.0.0+build.5", ManifestDigest: dg(manifest)}
		}, nil, true},
		{"ok p256 signer of another org", bob, func(f *fixture, m *pb.MsgRegisterModel) {
			m.PublisherSignature = f.sign(t, f.bobKey, dg(manifest))
		}, nil, true},
		{"ok sha512 manifest", alice, func(f *fixture, m *pb.MsgRegisterModel) {
			m.Model.ManifestDigest = "sha512:" + strings.Repeat("ab", 64)
			m.PublisherSignature = f.sign(t, f.aliceKey, m.Model.ManifestDigest)
		}, nil, true},

		{"missing spec", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model = nil }, ErrInvalidField, false},
		{"empty name", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Name = "" }, ErrInvalidField, false},
		{"name with @", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Name = "acme@x" }, ErrInvalidField, false},
		{"name too long", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Name = strings.Repeat("a", 129) }, ErrInvalidField, false},
		{"version with /", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Version = "1/0" }, ErrInvalidField, false},
		{"version too long", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Version = strings.Repeat("1", 65) }, ErrInvalidField, false},
		{"missing manifest digest", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.ManifestDigest = "" }, ErrInvalidDigest, false},
		{"upper-case manifest digest", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.ManifestDigest = strings.ToUpper(dg(manifest))
		}, ErrInvalidDigest, false},
		{"bad file manifest digest", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.FileManifestDigest = "md5:00" }, ErrInvalidDigest, false},
		{"bad evaluation digest", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.EvaluationReportDigest = "sha256:xyz" }, ErrInvalidDigest, false},
		{"format too long", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Format = strings.Repeat("f", 65) }, ErrInvalidField, false},
		{"format control char", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.Format = "gguf\n" }, ErrInvalidField, false},
		{"base not a ref", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.BaseModel = "acme/base" }, ErrInvalidRef, false},
		{"base bad version", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.BaseModel = "acme/base@1@2" }, ErrInvalidRef, false},
		{"base is itself", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.BaseModel = "acme/llm-7b@1.0.0+build.5" }, ErrInvalidRef, false},
		{"base unknown", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.BaseModel = "acme/base@2.0" }, ErrUnknownModel, false},
		{"base revoked", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.BaseModel = "acme/old@1.0" }, ErrBaseRevoked, false},
		{"too many datasets", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.TrainingDatasets = many(MaxTrainingDatasets+1, func(i int) string { return dg(1000 + i) })
		}, ErrInvalidField, false},
		{"non-canonical dataset", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.TrainingDatasets = []string{dg(2), "sha256:" + strings.Repeat("AB", 32)}
		}, ErrInvalidDigest, false},
		{"duplicate dataset", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.TrainingDatasets = []string{dg(2), dg(2)} }, ErrInvalidField, false},
		{"unknown dataset", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.TrainingDatasets = []string{dg(2), dg(999)} }, ErrUnknownDataset, false},
		{"bad training run id", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.TrainingRun = "Run 1" }, ErrInvalidField, false},
		{"unknown training run", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.TrainingRun = "run-9" }, ErrUnknownRun, false},
		{"bad licence id", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.LicenseIds = []string{"Acme/Open"} }, ErrInvalidField, false},
		{"duplicate licence", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.Model.LicenseIds = []string{"acme/open", "acme/open"} }, ErrInvalidField, false},
		{"too many licences", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.LicenseIds = many(MaxLicenses+1, func(i int) string { return fmt.Sprintf("acme/l%d", i) })
		}, ErrInvalidField, false},
		{"licence not usable keeps its code", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.LicenseIds = []string{"acme/open", "acme/expired"}
		}, errLicense, false},
		{"name@version exists", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.Name, m.Model.Version, m.Model.BaseModel = "acme/base", "1.0", ""
		}, ErrModelExists, false},
		{"exists even if revoked", alice, func(_ *fixture, m *pb.MsgRegisterModel) {
			m.Model.Name, m.Model.Version, m.Model.BaseModel = "acme/old", "1.0", ""
		}, ErrModelExists, false},
		{"signature by another key", alice, func(f *fixture, m *pb.MsgRegisterModel) {
			m.PublisherSignature = f.sign(t, f.bobKey, dg(manifest))
		}, ErrBadPublisherSignature, false},
		{"tampered signature", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.PublisherSignature[10] ^= 0x01 }, ErrBadPublisherSignature, false},
		{"truncated signature", alice, func(_ *fixture, m *pb.MsgRegisterModel) { m.PublisherSignature = m.PublisherSignature[:63] }, ErrBadPublisherSignature, false},
		{"signature over another digest", alice, func(f *fixture, m *pb.MsgRegisterModel) {
			m.PublisherSignature = f.sign(t, f.aliceKey, dg(manifest+1))
		}, ErrBadPublisherSignature, false},
		{"signature without domain tag", alice, func(f *fixture, m *pb.MsgRegisterModel) {
			sig, err := f.aliceKey.Sign([]byte(dg(manifest)))
			if err != nil {
				t.Fatal(err)
			}
			m.PublisherSignature = sig
		}, ErrBadPublisherSignature, false},
		{"signer without account key", ghost, nil, ErrBadPublisherSignature, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			msg := &pb.MsgRegisterModel{Model: fullSpec(), PublisherSignature: f.sign(t, f.aliceKey, dg(manifest))}
			if c.mod != nil {
				c.mod(f, msg)
			}
			before := f.st.Len()
			events, err := f.k.RegisterModel(f.k.own(f.st), f.st, blk, c.signer, msg)
			check(t, err, c.want)
			if c.want != nil {
				if f.st.Len() != before {
					t.Errorf("a rejected registration wrote state")
				}
				return
			}
			spec := msg.Model
			got, ok := f.k.Model(f.st, spec.Name, spec.Version)
			if !ok {
				t.Fatal("model not stored")
			}
			if !proto.Equal(got.Spec, spec) || got.PublisherOrg != c.signer.OrgID || got.PublishedBy != c.signer.Address ||
				got.Height != blk.Height || !got.Time.AsTime().Equal(blk.Time) {
				t.Fatalf("stored = %v", got)
			}
			if c.signed {
				pub, _ := fakeAccounts{alice.Address: f.aliceKey.Public(), bob.Address: f.bobKey.Public()}.PublicKey(nil, c.signer.Address)
				if got.Signature == nil || !proto.Equal(got.Signature.PublicKey, pub) || !bytes.Equal(got.Signature.Signature, msg.PublisherSignature) {
					t.Fatalf("signature = %v", got.Signature)
				}
				if err := keys.Verify(got.Signature.PublicKey, ManifestSignBytes(spec.ManifestDigest), got.Signature.Signature); err != nil {
					t.Fatalf("stored signature does not verify offline: %v", err)
				}
			} else if got.Signature != nil {
				t.Fatalf("unsigned registration stored signature %v", got.Signature)
			}
			sub := f.k.reader(f.st)
			if !sub.Has(ByDigestKey(spec.ManifestDigest, spec.Name, spec.Version)) || !sub.Has(VersionKey(spec.Name, blk.Height, spec.Version)) {
				t.Fatal("indexes missing")
			}
			if len(events) != 1 || events[0].Type != "models.model_registered" {
				t.Fatalf("events = %v", events)
			}
			a := attrs(events[0])
			if a["name"] != spec.Name || a["version"] != spec.Version || a["manifest_digest"] != spec.ManifestDigest ||
				a["signed"] != fmt.Sprint(c.signed) || a["publisher_org"] != c.signer.OrgID {
				t.Fatalf("event attributes = %v", a)
			}
		})
	}
}

func TestRegisterModelErrorsNameTheRecord(t *testing.T) {
	f := newFixture(t)
	spec := &pb.ModelSpec{Name: "acme/x", Version: "1", ManifestDigest: dg(7), TrainingDatasets: []string{dg(2), dg(999)}}
	_, err := f.k.RegisterModel(f.k.own(f.st), f.st, blk, alice, &pb.MsgRegisterModel{Model: spec})
	if !errors.Is(err, ErrUnknownDataset) || !strings.Contains(err.Error(), dg(999)) {
		t.Fatalf("error %v does not name dataset %s", err, dg(999))
	}
	spec = &pb.ModelSpec{Name: "acme/x", Version: "1", ManifestDigest: dg(7), LicenseIds: []string{"acme/expired"}}
	_, err = f.k.RegisterModel(f.k.own(f.st), f.st, blk, alice, &pb.MsgRegisterModel{Model: spec})
	if space, code, _ := kit.CodeOf(err); space != "licenses" || code != 4 || !strings.Contains(err.Error(), "acme/expired") {
		t.Fatalf("licence error %v: %s/%d", err, space, code)
	}
}

func TestRevokeModel(t *testing.T) {
	const (
		security = pb.RevocationReason_REVOCATION_REASON_SECURITY
		other    = pb.RevocationReason_REVOCATION_REASON_OTHER
	)
	cases := []struct {
		name   string
		signer kit.Signer
		msg    *pb.MsgRevokeModel
		want   *kit.Error
	}{
		{"ok", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: security, Reason: "weights leak training data"}, nil},
		{"ok by another account of the org", carol, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: other, Reason: "retired"}, nil},
		{"bad name", alice, &pb.MsgRevokeModel{Name: "acme base", Version: "1.0", ReasonCode: security, Reason: "x"}, ErrInvalidField},
		{"missing version", alice, &pb.MsgRevokeModel{Name: "acme/base", ReasonCode: security, Reason: "x"}, ErrInvalidField},
		{"unspecified reason code", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", Reason: "x"}, ErrInvalidField},
		{"unknown reason code", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: 42, Reason: "x"}, ErrInvalidField},
		{"empty reason", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: security}, ErrInvalidField},
		{"reason too long", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: security, Reason: strings.Repeat("r", MaxReasonLen+1)}, ErrInvalidField},
		{"reason with control char", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: security, Reason: "a\x00b"}, ErrInvalidField},
		{"unknown model", alice, &pb.MsgRevokeModel{Name: "acme/base", Version: "9.9", ReasonCode: security, Reason: "x"}, ErrUnknownModel},
		{"other organisation", bob, &pb.MsgRevokeModel{Name: "acme/base", Version: "1.0", ReasonCode: security, Reason: "x"}, ErrNotPublisher},
		{"already revoked", alice, &pb.MsgRevokeModel{Name: "acme/old", Version: "1.0", ReasonCode: security, Reason: "again"}, ErrAlreadyRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			modelBefore := append([]byte(nil), f.k.reader(f.st).Get(ModelKey("acme/base", "1.0"))...)
			events, err := f.k.RevokeModel(f.k.own(f.st), f.st, blk, c.signer, c.msg)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			rev, ok := f.k.Revocation(f.st, c.msg.Name, c.msg.Version)
			if !ok || rev.ReasonCode != c.msg.ReasonCode || rev.Reason != c.msg.Reason || rev.RevokedBy != c.signer.Address ||
				rev.Height != blk.Height || rev.Name != c.msg.Name || rev.Version != c.msg.Version {
				t.Fatalf("revocation = %v, %v", rev, ok)
			}
			if !bytes.Equal(f.k.reader(f.st).Get(ModelKey("acme/base", "1.0")), modelBefore) {
				t.Fatal("revocation changed the model record")
			}
			if len(events) != 1 || events[0].Type != "models.model_revoked" || !slices.Equal(kittest.Indexed(events[0]), []string{"name"}) || attrs(events[0])["name"] != c.msg.Name {
				t.Fatalf("events = %v", events)
			}
		})
	}
}

func TestSupersedeModel(t *testing.T) {
	// setup adds acme/llm@1, @2, @3 (acme), beta/llm@1 (beta), and a revoked
	// acme/llm@bad.
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		for i, v := range []string{"1", "2", "3", "bad"} {
			f.register(t, alice, &pb.ModelSpec{Name: "acme/llm", Version: v, ManifestDigest: dg(200 + i)})
		}
		f.register(t, bob, &pb.ModelSpec{Name: "beta/llm", Version: "1", ManifestDigest: dg(300)})
		f.revoke(t, alice, "acme/llm", "bad")
		return f
	}
	cases := []struct {
		name   string
		prior  [][2]string // supersessions recorded first: {old ref, new ref}
		signer kit.Signer
		msg    *pb.MsgSupersedeModel
		want   *kit.Error
	}{
		{"ok", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@2"}, nil},
		{"ok by another org's version", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "beta/llm@1"}, nil},
		{"ok extending a chain", [][2]string{{"acme/llm@1", "acme/llm@2"}}, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "2", SupersededBy: "acme/llm@3"}, nil},
		{"bad name", nil, alice, &pb.MsgSupersedeModel{Name: "", Version: "1", SupersededBy: "acme/llm@2"}, ErrInvalidField},
		{"bad replacement ref", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm"}, ErrInvalidRef},
		{"empty replacement ref", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1"}, ErrInvalidRef},
		{"itself", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@1"}, ErrInvalidSupersession},
		{"old unknown", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "0", SupersededBy: "acme/llm@2"}, ErrUnknownModel},
		{"new unknown", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@9"}, ErrUnknownModel},
		{"not the publisher", nil, bob, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "beta/llm@1"}, ErrNotPublisher},
		{"old revoked", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "bad", SupersededBy: "acme/llm@2"}, ErrRevoked},
		{"new revoked", nil, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@bad"}, ErrRevoked},
		{"already superseded", [][2]string{{"acme/llm@1", "acme/llm@2"}}, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@3"}, ErrAlreadySuperseded},
		{"replacement superseded", [][2]string{{"acme/llm@2", "acme/llm@3"}}, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "1", SupersededBy: "acme/llm@2"}, ErrInvalidSupersession},
		{"direct cycle", [][2]string{{"acme/llm@1", "acme/llm@2"}}, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "2", SupersededBy: "acme/llm@1"}, ErrInvalidSupersession},
		{"longer cycle", [][2]string{{"acme/llm@1", "acme/llm@2"}, {"acme/llm@2", "acme/llm@3"}}, alice, &pb.MsgSupersedeModel{Name: "acme/llm", Version: "3", SupersededBy: "acme/llm@1"}, ErrInvalidSupersession},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			for _, p := range c.prior {
				name, version, err := ParseRef(p[0])
				if err != nil {
					t.Fatal(err)
				}
				f.supersede(t, alice, name, version, p[1])
			}
			events, err := f.k.SupersedeModel(f.k.own(f.st), f.st, blk, c.signer, c.msg)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			sup, ok := f.k.Supersession(f.st, c.msg.Name, c.msg.Version)
			if !ok || sup.SupersededBy != c.msg.SupersededBy || sup.RecordedBy != c.signer.Address || sup.Height != blk.Height ||
				sup.Name != c.msg.Name || sup.Version != c.msg.Version {
				t.Fatalf("supersession = %v, %v", sup, ok)
			}
			if len(events) != 1 || events[0].Type != "models.model_superseded" || !slices.Equal(kittest.Indexed(events[0]), []string{"name"}) || attrs(events[0])["superseded_by"] != c.msg.SupersededBy {
				t.Fatalf("events = %v", events)
			}
		})
	}
}

func TestRecordDeployment(t *testing.T) {
	deployer := kit.Signer{Address: "addr-dave", OrgID: "gamma"}
	cases := []struct {
		name string
		msg  *pb.MsgRecordDeployment
		want *kit.Error
	}{
		{"ok", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: "azure-openai/eastus/prod", Note: "canary 5%"}, nil},
		{"ok without note", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: "on-prem"}, nil},
		{"ok superseded version", &pb.MsgRecordDeployment{Name: "acme/next", Version: "1", Environment: "staging"}, nil},
		{"bad name", &pb.MsgRecordDeployment{Name: "-acme", Version: "1.0", Environment: "prod"}, ErrInvalidField},
		{"bad version", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0@x", Environment: "prod"}, ErrInvalidField},
		{"empty environment", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0"}, ErrInvalidField},
		{"environment too long", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: strings.Repeat("e", MaxEnvironmentLen+1)}, ErrInvalidField},
		{"environment control char", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: "prod\t1"}, ErrInvalidField},
		{"note too long", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: "prod", Note: strings.Repeat("n", MaxDeploymentNoteLen+1)}, ErrInvalidField},
		{"note invalid utf-8", &pb.MsgRecordDeployment{Name: "acme/base", Version: "1.0", Environment: "prod", Note: "\xff"}, ErrInvalidField},
		{"unknown model", &pb.MsgRecordDeployment{Name: "acme/base", Version: "2.0", Environment: "prod"}, ErrUnknownModel},
		{"revoked model", &pb.MsgRecordDeployment{Name: "acme/old", Version: "1.0", Environment: "prod"}, ErrRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.register(t, alice, &pb.ModelSpec{Name: "acme/next", Version: "1", ManifestDigest: dg(60)})
			f.register(t, alice, &pb.ModelSpec{Name: "acme/next", Version: "2", ManifestDigest: dg(61)})
			f.supersede(t, alice, "acme/next", "1", "acme/next@2")
			events, err := f.k.RecordDeployment(f.k.own(f.st), f.st, blk, deployer, c.msg)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			d, ok := f.k.Deployment(f.st, 1)
			if !ok || d.Id != 1 || d.Name != c.msg.Name || d.Version != c.msg.Version || d.OrgId != deployer.OrgID ||
				d.DeployedBy != deployer.Address || d.Environment != c.msg.Environment || d.Note != c.msg.Note || d.Height != blk.Height {
				t.Fatalf("deployment = %v, %v", d, ok)
			}
			sub := f.k.reader(f.st)
			if !sub.Has(VersionDeploymentKey(c.msg.Name, c.msg.Version, 1)) || !sub.Has(NameDeploymentKey(c.msg.Name, 1)) {
				t.Fatal("deployment indexes missing")
			}
			if len(events) != 1 || events[0].Type != "models.deployment_recorded" || !slices.Equal(kittest.Indexed(events[0]), []string{"name"}) || attrs(events[0])["id"] != "1" {
				t.Fatalf("events = %v", events)
			}
			// The sequence continues.
			events, err = f.k.RecordDeployment(f.k.own(f.st), f.st, blk, deployer, c.msg)
			if err != nil || attrs(events[0])["id"] != "2" {
				t.Fatalf("second deployment: %v, %v", events, err)
			}
		})
	}
}

func TestExportedReadersRejectBadInput(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("a", 300) // longer than a key part can be
	if _, ok := f.k.Model(f.st, long, "1"); ok {
		t.Error("Model accepted an invalid name")
	}
	if _, ok := f.k.Revocation(f.st, "acme/old", long); ok {
		t.Error("Revocation accepted an invalid version")
	}
	if _, ok := f.k.Supersession(f.st, "", ""); ok {
		t.Error("Supersession accepted empty input")
	}
	if _, ok := f.k.Model(f.st, "acme/base", "1.0"); !ok {
		t.Error("Model missed a registered version")
	}
	if _, ok := f.k.Revocation(f.st, "acme/old", "1.0"); !ok {
		t.Error("Revocation missed a revocation")
	}
	if _, ok := f.k.Deployment(f.st, 1); ok {
		t.Error("Deployment found a deployment never recorded")
	}
}

func TestRefs(t *testing.T) {
	cases := []struct {
		in, name, version string
		ok                bool
	}{
		{"acme/llm-7b@1.2.0+build.5", "acme/llm-7b", "1.2.0+build.5", true},
		{"a@1", "a", "1", true},
		{"acme/llm-7b", "", "", false},
		{"@1", "", "", false},
		{"acme@", "", "", false},
		{"a@b@c", "", "", false},
		{"acme/llm 7b@1", "", "", false},
		{strings.Repeat("a", 129) + "@1", "", "", false},
		{"a@" + strings.Repeat("1", 65), "", "", false},
	}
	for _, c := range cases {
		name, version, err := ParseRef(c.in)
		if c.ok != (err == nil) {
			t.Errorf("ParseRef(%q) error = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if !c.ok {
			if !errors.Is(err, ErrInvalidRef) {
				t.Errorf("ParseRef(%q) error %v is not ErrInvalidRef", c.in, err)
			}
			continue
		}
		if name != c.name || version != c.version || Ref(name, version) != c.in {
			t.Errorf("ParseRef(%q) = %q, %q", c.in, name, version)
		}
	}
}

func TestManifestSignBytes(t *testing.T) {
	got := ManifestSignBytes(dg(1))
	want := "lineage-ledger/model-manifest/v1\x00" + dg(1)
	if string(got) != want {
		t.Fatalf("ManifestSignBytes = %q, want %q", got, want)
	}
}

func TestRevocationReasons(t *testing.T) {
	for _, name := range RevocationReasonNames() {
		r, err := ParseRevocationReason(name)
		if err != nil || RevocationReasonName(r) != name || !validRevocationReason(r) {
			t.Errorf("%s: %v, %v", name, r, err)
		}
	}
	if _, err := ParseRevocationReason("LICENSE"); err != nil {
		t.Errorf("upper case not accepted: %v", err)
	}
	if _, err := ParseRevocationReason("boredom"); !errors.Is(err, ErrInvalidField) {
		t.Errorf("unknown reason: %v", err)
	}
	if validRevocationReason(pb.RevocationReason_REVOCATION_REASON_UNSPECIFIED) {
		t.Error("UNSPECIFIED is valid")
	}
	if len(RevocationReasonNames()) != len(pb.RevocationReason_name)-1 {
		t.Error("a reason of the proto has no name")
	}
}

func TestErrors(t *testing.T) {
	for i, e := range Errors {
		if e.Codespace != Codespace {
			t.Errorf("%v has codespace %q", e, e.Codespace)
		}
		if e.Code != uint32(i+1) {
			t.Errorf("Errors[%d] = %q has code %d; codes must be dense and in order", i, e.Message, e.Code)
		}
	}
	// Every exported error is listed.
	for _, e := range []*kit.Error{
		ErrInvalidField, ErrInvalidDigest, ErrInvalidRef, ErrModelExists, ErrUnknownModel, ErrUnknownDataset,
		ErrUnknownRun, ErrBaseRevoked, ErrBadPublisherSignature, ErrNotPublisher, ErrAlreadyRevoked, ErrRevoked,
		ErrAlreadySuperseded, ErrInvalidSupersession, ErrInvalidQuery, ErrNotFound,
	} {
		found := false
		for _, listed := range Errors {
			found = found || listed == e
		}
		if !found {
			t.Errorf("%q missing from Errors", e.Message)
		}
	}
}
