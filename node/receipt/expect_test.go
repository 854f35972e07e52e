package receipt

import (
	"context"
	"errors"
	"testing"
	"time"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// TestExpect: a valid receipt is not enough for a pipeline: it must allow,
// the model, organisation and uses it needs, recently enough. The fixture
// is a DENY of alpha/bot@1.0 for alpha's commercial use and redistribution,
// at height 4.
func TestExpect(t *testing.T) {
	data, trust := fixture(t)
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), r, trust)
	if err != nil {
		t.Fatal(err)
	}
	fresh := res.Time.Add(time.Minute)
	cases := []struct {
		name   string
		expect Expect
		want   error // nil: met
	}{
		{"nothing", Expect{}, nil},
		{"deny expected", Expect{Verdict: gatepb.Verdict_VERDICT_DENY}, nil},
		{"allow expected", Expect{Verdict: gatepb.Verdict_VERDICT_ALLOW}, ErrVerdict},
		{"model", Expect{Model: "alpha/bot@1.0"}, nil},
		{"other model", Expect{Model: "alpha/bot@2.0"}, ErrOtherQuestion},
		{"org", Expect{Org: "alpha"}, nil},
		{"other org", Expect{Org: "beta"}, ErrOtherQuestion},
		{"uses asked", Expect{Uses: []gatepb.Use{gatepb.Use_USE_REDISTRIBUTION}}, nil},
		{"all uses asked", Expect{Uses: []gatepb.Use{gatepb.Use_USE_REDISTRIBUTION, gatepb.Use_USE_COMMERCIAL}}, nil},
		{"use not asked", Expect{Uses: []gatepb.Use{gatepb.Use_USE_AI_TRAINING}}, ErrOtherQuestion},
		{"not before, met", Expect{NotBefore: 4}, nil},
		{"not before, stale", Expect{NotBefore: 5}, ErrStale},
		{"max age, met", Expect{MaxAge: time.Hour, Now: fresh}, nil},
		{"max age, stale", Expect{MaxAge: time.Hour, Now: fresh.Add(time.Hour)}, ErrStale},
		{"stale before verdict", Expect{NotBefore: 9, Verdict: gatepb.Verdict_VERDICT_ALLOW}, ErrStale},
		{"other question before all", Expect{Org: "beta", NotBefore: 9, Verdict: gatepb.Verdict_VERDICT_ALLOW}, ErrOtherQuestion},
		{"artefact", Expect{ManifestDigest: fixtureManifest}, nil},
		{"other artefact", Expect{ManifestDigest: otherManifest}, ErrOtherArtefact},
		{"other artefact before stale and verdict", Expect{ManifestDigest: otherManifest, NotBefore: 9, Verdict: gatepb.Verdict_VERDICT_ALLOW}, ErrOtherArtefact},
		{"other question before other artefact", Expect{Org: "beta", ManifestDigest: otherManifest}, ErrOtherQuestion},
		{"the artefact, but denied", Expect{ManifestDigest: fixtureManifest, Verdict: gatepb.Verdict_VERDICT_ALLOW}, ErrVerdict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := res.Meets(c.expect)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Meets = %v, want %v", err, c.want)
			}
		})
	}

	// Gate expectations do not hold for another query's receipt.
	other := *res
	other.Path = "/lineage.models.v1.Query/Model"
	if err := other.Meets(Expect{Verdict: gatepb.Verdict_VERDICT_DENY}); !errors.Is(err, ErrOtherQuestion) {
		t.Fatalf("verdict of a model query: %v", err)
	}
	if err := other.Meets(Expect{NotBefore: 4}); err != nil {
		t.Fatalf("freshness of a model query: %v", err)
	}
	// A gate check that failed has no verdict.
	failed := *res
	failed.Answer, failed.Error = nil, &AnswerError{Codespace: "gate", Code: 1, Log: "invalid request"}
	if err := failed.Meets(Expect{Verdict: gatepb.Verdict_VERDICT_DENY}); !errors.Is(err, ErrVerdict) {
		t.Fatalf("verdict of a failed check: %v", err)
	}
	// Nor is it about an artefact; and another query's receipt is about
	// another question before any artefact.
	if err := failed.Meets(Expect{ManifestDigest: fixtureManifest}); !errors.Is(err, ErrOtherArtefact) {
		t.Fatalf("artefact of a failed check: %v", err)
	}
	if err := other.Meets(Expect{ManifestDigest: fixtureManifest}); !errors.Is(err, ErrOtherQuestion) {
		t.Fatalf("artefact of a model query: %v", err)
	}
}

// The fixture's model version was registered with fixtureManifest.
const (
	fixtureManifest = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	otherManifest   = "sha256:6666666666666666666666666666666666666666666666666666666666666666"
)
