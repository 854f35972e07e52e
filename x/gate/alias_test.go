package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	"github.com/lineageledger/lineaged/x/models/modelsv1"
)

// aliasWorld has acme/llm's production alias on 1.0 (llm), staging
// cleared at height 30, and canary on a version that is not registered.
func aliasWorld() *world {
	w := newWorld()
	w.models.aliases = map[string]*modelsv1.ModelAlias{
		"acme/llm production": {Name: "acme/llm", Alias: "production", Version: "1.0", Move: 2, Height: 20},
		"acme/llm staging":    {Name: "acme/llm", Alias: "staging", PreviousVersion: "1.0", Move: 2, Height: 30},
		"acme/llm canary":     {Name: "acme/llm", Alias: "canary", Version: "9.9", Move: 1, Height: 31},
	}
	return w
}

func TestCheckThroughAlias(t *testing.T) {
	cases := []struct {
		name     string
		req      *gatev1.CheckRequest
		revoke   bool
		verdict  gatev1.Verdict
		model    string
		digest   string
		findings []string
		detail   string
	}{
		{"resolved to the version it points to", &gatev1.CheckRequest{Model: "acme/llm", Alias: "production"},
			false, gatev1.Verdict_VERDICT_ALLOW, llm, dg(1), nil, ""},
		{"with the artefact's digest", &gatev1.CheckRequest{Model: "acme/llm", Alias: "production", Digest: dg(1)},
			false, gatev1.Verdict_VERDICT_ALLOW, llm, dg(1), nil, ""},
		{"with another artefact's digest", &gatev1.CheckRequest{Model: "acme/llm", Alias: "production", Digest: dg(2)},
			false, gatev1.Verdict_VERDICT_DENY, llm, dg(1), []string{"DIGEST_MISMATCH model:" + llm}, "dg2"},
		{"pointing to a revoked version", &gatev1.CheckRequest{Model: "acme/llm", Alias: "production"},
			true, gatev1.Verdict_VERDICT_DENY, llm, dg(1), []string{"MODEL_REVOKED model:" + llm}, "revoked"},
		{"never set", &gatev1.CheckRequest{Model: "acme/llm", Alias: "prod"},
			false, gatev1.Verdict_VERDICT_DENY, "acme/llm", "", []string{"MODEL_NOT_REGISTERED"}, "never set"},
		{"never set, with a digest", &gatev1.CheckRequest{Model: "acme/llm", Alias: "prod", Digest: dg(1)},
			false, gatev1.Verdict_VERDICT_DENY, "acme/llm", dg(1), []string{"MODEL_NOT_REGISTERED"}, "never set"},
		{"cleared", &gatev1.CheckRequest{Model: "acme/llm", Alias: "staging"},
			false, gatev1.Verdict_VERDICT_DENY, "acme/llm", "", []string{"MODEL_NOT_REGISTERED"}, "cleared at height 30"},
		{"on a version that does not load", &gatev1.CheckRequest{Model: "acme/llm", Alias: "canary"},
			false, gatev1.Verdict_VERDICT_DENY, "acme/llm@9.9", "", []string{"MODEL_NOT_REGISTERED model:acme/llm@9.9"}, "not registered"},
		{"of another name", &gatev1.CheckRequest{Model: "acme/base", Alias: "production"},
			false, gatev1.Verdict_VERDICT_DENY, "acme/base", "", []string{"MODEL_NOT_REGISTERED"}, "never set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := aliasWorld()
			if c.revoke {
				w.models.revocations[llm] = &modelsv1.Revocation{ReasonCode: modelsv1.RevocationReason_REVOCATION_REASON_SECURITY, Reason: "leak", Height: 25}
			}
			c.req.Org, c.req.Uses = "beta", commercial()
			resp := w.check(t, c.req)
			if resp.Verdict != c.verdict || resp.Model != c.model || resp.ManifestDigest != c.digest || resp.Alias != c.req.Alias {
				t.Errorf("verdict %s model %q digest %q alias %q, want %s %q %q %q",
					resp.Verdict, resp.Model, shortDigests.Replace(resp.ManifestDigest), resp.Alias, c.verdict, c.model, shortDigests.Replace(c.digest), c.req.Alias)
			}
			if got := summary(resp); !slices.Equal(got, c.findings) && !(len(got) == 0 && len(c.findings) == 0) {
				t.Errorf("findings %q, want %q", got, c.findings)
			}
			if c.detail != "" && !strings.Contains(shortDigests.Replace(resp.Findings[0].Detail), c.detail) {
				t.Errorf("detail %q does not say %q", resp.Findings[0].Detail, c.detail)
			}
			// Only a version found is evaluated for its licences.
			if found := resp.PublisherOrg != ""; found != (len(w.licenses.calls) == 1) {
				t.Errorf("publisher %q, licence calls %v", resp.PublisherOrg, w.licenses.calls)
			}
		})
	}
}

func TestCheckAliasRequestValidation(t *testing.T) {
	cases := []struct {
		name    string
		req     *gatev1.CheckRequest
		mention string
	}{
		{"model given as a version", &gatev1.CheckRequest{Model: llm, Alias: "production"}, "name alone"},
		{"no model", &gatev1.CheckRequest{Digest: dg(1), Alias: "production"}, "needs model"},
		{"alias malformed", &gatev1.CheckRequest{Model: "acme/llm", Alias: "Production"}, "alias"},
		{"alias starting with a digit", &gatev1.CheckRequest{Model: "acme/llm", Alias: "1"}, "must start with a letter"},
		{"model name malformed", &gatev1.CheckRequest{Model: "acme llm", Alias: "production"}, "model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Org, c.req.Uses = "beta", commercial()
			_, err := aliasWorld().k.Check(kittest.NewMemStore(), blk, c.req)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("error %v, want %v mentioning %q", err, ErrInvalidRequest, c.mention)
			}
			if _, code, _ := kit.CodeOf(err); code != ErrInvalidRequest.Code {
				t.Fatalf("code %d", code)
			}
		})
	}
}
