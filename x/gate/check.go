package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Check decides whether req.org may deploy the artefact req names for
// req.uses, under the chain's policy made stricter by req.policy. It is a
// pure function of the state r, blk and req (see the package
// documentation for how the verdict is reached).
//
// Errors are reserved for requests that cannot be checked: a malformed
// request ([ErrInvalidRequest]) or policy ([ErrInvalidPolicy]), a digest
// alone that names several versions ([ErrAmbiguousDigest]), and a failure
// of the licence evaluation, wrapped with %w so kit.CodeOf reports the
// licence module's code. Everything about the artefact itself is a finding.
func (k Keeper) Check(r kit.Reader, blk kit.Block, req *gatev1.CheckRequest) (*gatev1.CheckResponse, error) {
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	chain := k.chainPolicy(r)
	if err := ValidatePolicy(chain); err != nil {
		return nil, fmt.Errorf("chain's policy: %w", err)
	}
	c := &check{Keeper: k, r: r, blk: blk, req: req, policy: mergePolicy(chain, req.Policy)}

	model, ref, err := c.resolve()
	if err != nil {
		return nil, err
	}
	resp := &gatev1.CheckResponse{
		Model:          ref,
		ManifestDigest: req.Digest,
		Policy:         c.policy,
		Height:         blk.Height,
		Time:           timestamppb.New(blk.Time),
		Alias:          req.Alias,
	}
	if model != nil {
		resp.ManifestDigest = model.Spec.ManifestDigest
		resp.PublisherOrg = model.PublisherOrg
		c.checkModel(ref, model)
		eff, err := c.checkLicences(ref)
		if err != nil {
			return nil, err
		}
		if c.policy.DenyRevokedDatasets {
			c.checkRevokedDatasets(ref, eff.GetVisited())
		}
	}
	if !k.members.OrgExists(r, req.Org) {
		c.deny(&gatev1.Finding{
			Reason: gatev1.Reason_REASON_ORG_UNKNOWN,
			Detail: fmt.Sprintf("organisation %s is not a member of the consortium", req.Org),
		})
	}
	if c.policy.RequireAnchor {
		c.deny(&gatev1.Finding{
			Reason: gatev1.Reason_REASON_NOT_ANCHORED,
			Detail: "the policy requires the state to be anchored to Ethereum, and anchoring is not available yet",
		})
	}

	resp.Findings = append(sortFindings(c.denials), sortFindings(c.reports)...)
	resp.Verdict = gatev1.Verdict_VERDICT_ALLOW
	if len(c.denials) > 0 {
		resp.Verdict = gatev1.Verdict_VERDICT_DENY
	}
	return resp, nil
}

// validateRequest checks everything about req that does not depend on the
// state.
func validateRequest(req *gatev1.CheckRequest) error {
	if req.GetModel() == "" && req.GetDigest() == "" {
		return ErrInvalidRequest.Wrapf("give model (name@version), digest, or both")
	}
	switch {
	case req.Alias != "":
		if err := validateAliasRequest(req.Model, req.Alias); err != nil {
			return err
		}
	case req.Model != "":
		if _, err := parseRef("model", req.Model); err != nil {
			return err
		}
	}
	if req.Digest != "" {
		if err := digest.Validate(req.Digest); err != nil {
			return ErrInvalidRequest.Wrapf("digest: %v", err)
		}
	}
	if err := kit.ValidateOrgID("org", req.Org); err != nil {
		return ErrInvalidRequest.Wrapf("%v", err)
	}
	if len(req.Uses) == 0 {
		return ErrInvalidRequest.Wrapf("uses: at least one use is required")
	}
	for i, u := range req.Uses {
		if !knownUse(u) {
			return ErrInvalidRequest.Wrapf("uses[%d]: unknown use %d", i, int32(u))
		}
		if slices.Contains(req.Uses[:i], u) {
			return ErrInvalidRequest.Wrapf("uses: %s listed twice", UseName(u))
		}
	}
	return validatePolicy("policy", req.Policy)
}

// check is one evaluation in progress.
type check struct {
	Keeper
	r      kit.Reader
	blk    kit.Block
	req    *gatev1.CheckRequest
	policy *gatev1.Policy
	// denials deny the deployment; reports only inform.
	denials, reports []*gatev1.Finding
}

func (c *check) deny(f *gatev1.Finding)   { c.denials = append(c.denials, f) }
func (c *check) report(f *gatev1.Finding) { c.reports = append(c.reports, f) }

// resolve finds the version the request names. It returns the version (nil
// with a MODEL_NOT_REGISTERED finding when there is none) and its
// reference (the requested one when none is found by digest). A version
// whose manifest digest is not the one presented is returned with a
// DIGEST_MISMATCH finding, so that what else is wrong with it is reported
// too.
func (c *check) resolve() (*modelsv1.ModelVersion, string, error) {
	ref := c.req.Model
	if c.req.Alias != "" {
		version, ok := c.resolveAlias()
		if !ok {
			return nil, c.req.Model, nil
		}
		ref = kit.ModelRef{Name: c.req.Model, Version: version}.String()
	}
	if ref == "" {
		refs, truncated := c.models.ByDigest(c.r, c.req.Digest, maxDigestMatches)
		switch {
		case len(refs) == 0:
			c.deny(&gatev1.Finding{
				Reason: gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
				Detail: fmt.Sprintf("no model version is registered with manifest digest %s", c.req.Digest),
			})
			return nil, "", nil
		case len(refs) > 1 || truncated:
			if len(refs) > maxDigestMatches { // keep the message bounded whatever the registry returns
				refs, truncated = refs[:maxDigestMatches], true
			}
			list := strings.Join(refs, ", ")
			if truncated {
				list += " and more"
			}
			return nil, "", ErrAmbiguousDigest.Wrapf("%s is the manifest digest of %s: name the version with model", c.req.Digest, list)
		}
		ref = refs[0]
	}
	name, version, _ := strings.Cut(ref, "@")
	model, found := c.models.Model(c.r, name, version)
	if !found || model.GetSpec() == nil {
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
			Subject: modelSubject(ref),
			Detail:  fmt.Sprintf("model version %s is not registered", ref),
		})
		return nil, ref, nil
	}
	// Also checked for a version found by digest: the index and the record
	// must agree, and the gate does not take that on trust.
	if c.req.Digest != "" && model.Spec.ManifestDigest != c.req.Digest {
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_DIGEST_MISMATCH,
			Subject: modelSubject(ref),
			Detail:  fmt.Sprintf("%s is registered with manifest digest %s, not %s", ref, model.Spec.ManifestDigest, c.req.Digest),
		})
	}
	return model, ref, nil
}

// checkModel finds what is wrong with the registered version itself.
func (c *check) checkModel(ref string, model *modelsv1.ModelVersion) {
	name, version := model.Spec.Name, model.Spec.Version
	subject := modelSubject(ref)

	if rev, revoked := c.models.Revocation(c.r, name, version); revoked {
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_MODEL_REVOKED,
			Subject: subject,
			Detail: fmt.Sprintf("revoked at height %d (%s): %s", rev.Height,
				strings.ToLower(strings.TrimPrefix(rev.ReasonCode.String(), "REVOCATION_REASON_")), rev.Reason),
		})
	}
	if sup, superseded := c.models.Supersession(c.r, name, version); superseded {
		f := &gatev1.Finding{
			Reason:  gatev1.Reason_REASON_MODEL_SUPERSEDED,
			Subject: subject,
			Detail:  fmt.Sprintf("superseded by %s at height %d", sup.SupersededBy, sup.Height),
		}
		if c.policy.DenySuperseded {
			c.deny(f)
		} else {
			c.report(f)
		}
	}
	c.checkPublisher(subject, model)
	if c.policy.RequireSignature && len(model.GetSignature().GetSignature()) == 0 {
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_SIGNATURE_MISSING,
			Subject: subject,
			Detail:  fmt.Sprintf("the policy requires a publisher signature and %s was registered without one", ref),
		})
	}

	// Registration checked these; the gate checks again rather than trust
	// that nothing upstream can disappear.
	for _, d := range model.Spec.TrainingDatasets {
		if !c.datasets.DatasetExists(c.r, d) {
			c.deny(&gatev1.Finding{
				Reason:  gatev1.Reason_REASON_DATASET_UNREGISTERED,
				Subject: datasetSubject(d),
				Detail:  fmt.Sprintf("training dataset %s of %s is not registered", d, ref),
			})
		}
	}
	if base := model.Spec.BaseModel; base != "" {
		baseName, baseVersion, _ := strings.Cut(base, "@")
		if _, found := c.models.Model(c.r, baseName, baseVersion); !found {
			c.deny(&gatev1.Finding{
				Reason:  gatev1.Reason_REASON_DATASET_UNREGISTERED,
				Subject: modelSubject(base),
				Detail:  fmt.Sprintf("base model %s of %s is not registered", base, ref),
			})
		}
	}
}

// checkPublisher denies a version whose publisher the policy does not
// allow, or whose publishing account could no longer publish it.
func (c *check) checkPublisher(subject string, model *modelsv1.ModelVersion) {
	unauthorised := func(format string, args ...any) {
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			Subject: subject,
			Detail:  fmt.Sprintf(format, args...),
		})
	}
	org := model.PublisherOrg
	if ns, scoped := kit.Namespace(model.Spec.Name); scoped && c.policy.RequireNamespaceOwner {
		if owner, _ := c.members.NamespaceOwner(c.r, ns); owner != org {
			owned := "no organisation's"
			if owner != "" {
				owned = owner + "'s"
			}
			c.deny(&gatev1.Finding{
				Reason:  gatev1.Reason_REASON_NAMESPACE_NOT_OWNED,
				Subject: subject,
				Detail:  fmt.Sprintf("%s was published by %s in namespace %q, which is %s", model.Spec.Name, org, ns, owned),
			})
		}
	}
	switch allowed := c.policy.AllowedPublisherOrgs; {
	case c.policy.NoPublisherAllowed:
		unauthorised("the policy allows no publisher (%s included): the request's allowed publishers and the chain's share none, or no_publisher_allowed is set", org)
	case len(allowed) > 0 && !slices.Contains(allowed, org):
		unauthorised("publisher organisation %s is not among the allowed publishers (%s)", org, strings.Join(allowed, ", "))
	}

	acct, found := c.members.Account(c.r, model.PublishedBy)
	switch {
	case !found:
		unauthorised("publishing account %q no longer exists", model.PublishedBy)
	case acct.OrgId != org:
		unauthorised("publishing account %s belongs to %s, not to the publisher organisation %s", acct.Address, acct.OrgId, org)
	case acct.Status != membershipv1.AccountStatus_ACCOUNT_STATUS_ACTIVE:
		unauthorised("publishing account %s is not active (%s)", acct.Address, acct.Status)
	case !slices.Contains(acct.Roles, membershipv1.Role_ROLE_MODEL_PUBLISHER):
		unauthorised("publishing account %s no longer holds %s", acct.Address, membershipv1.Role_ROLE_MODEL_PUBLISHER)
	}
}

// checkLicences turns what the version's whole lineage withholds from the
// deploying organisation, for each requested use, into findings: one per
// record and licence behind the restriction. It returns the effective
// licence, whose walk visited every upstream record within the limit.
func (c *check) checkLicences(ref string) (*licensesv1.QueryEffectiveLicenseResponse, error) {
	eff, err := c.licenses.EffectiveLicense(c.r, c.blk, &licensesv1.Subject{Kind: &licensesv1.Subject_Model{Model: ref}},
		c.req.Org, int(c.policy.MaxLineageNodes))
	if err != nil {
		return nil, fmt.Errorf("effective licence of %s: %w", ref, err)
	}
	for _, u := range c.req.Uses {
		name, permitted := licenceUse(u)
		restricted := false
		for _, restriction := range eff.GetRestrictions() {
			if restriction.Use != name {
				continue
			}
			for _, cause := range restriction.Causes {
				restricted = true
				c.deny(licenceFinding(u, cause, c.req.Org, c.policy.MaxLineageNodes))
			}
		}
		// A use the evaluation withholds without saying why is still
		// withheld: the gate fails closed.
		if !restricted && !permitted(eff.GetUsage()) {
			c.deny(&gatev1.Finding{
				Reason:  gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
				Subject: modelSubject(ref),
				Use:     u,
				Detail:  fmt.Sprintf("the lineage of %s does not permit %s use, for no stated cause", ref, UseName(u)),
			})
		}
	}
	return eff, nil
}

// checkRevokedDatasets denies the version for every revoked dataset among
// the records the effective-licence walk visited: its training datasets,
// what they were derived from, and its base models' lineage. Records the
// walk did not reach (beyond max_lineage_nodes) are already
// LINEAGE_INCOMPLETE.
func (c *check) checkRevokedDatasets(ref string, visited []*licensesv1.Subject) {
	for _, s := range visited {
		d := s.GetDataset()
		if d == "" {
			continue
		}
		rev, revoked := c.datasets.Revocation(c.r, d)
		if !revoked {
			continue
		}
		c.deny(&gatev1.Finding{
			Reason:  gatev1.Reason_REASON_DATASET_REVOKED,
			Subject: datasetSubject(d),
			Detail: fmt.Sprintf("dataset %s, upstream of %s, was revoked by %s at height %d (%s): %s", d, ref, rev.OrgId, rev.Height,
				strings.ToLower(strings.TrimPrefix(rev.ReasonCode.String(), "DATASET_REVOCATION_REASON_")), rev.Reason),
		})
	}
}

// licenceFinding is the finding for one cause restricting use u.
func licenceFinding(u gatev1.Use, cause *licensesv1.Cause, org string, maxNodes uint32) *gatev1.Finding {
	subject, id, use := subjectName(cause.Subject), cause.LicenseId, UseName(u)
	f := &gatev1.Finding{Subject: subject, LicenseId: id, Use: u}
	switch cause.Kind {
	case licensesv1.CauseKind_CAUSE_KIND_FORBIDDEN:
		f.Reason = gatev1.Reason_REASON_LICENCE_FORBIDS_USE
		f.Detail = fmt.Sprintf("licence %s of %s does not permit %s use", id, subject, use)
	case licensesv1.CauseKind_CAUSE_KIND_EXPIRED:
		f.Reason = gatev1.Reason_REASON_LICENCE_EXPIRED
		f.Detail = fmt.Sprintf("licence %s of %s has expired", id, subject)
	case licensesv1.CauseKind_CAUSE_KIND_NO_GRANT:
		f.Reason = gatev1.Reason_REASON_NO_GRANT_FOR_ORG
		f.Detail = fmt.Sprintf("licence %s of %s needs a grant, and %s holds no active one permitting %s use", id, subject, org, use)
	case licensesv1.CauseKind_CAUSE_KIND_UNLICENSED:
		f.Reason = gatev1.Reason_REASON_LINEAGE_INCOMPLETE
		f.Detail = fmt.Sprintf("%s carries no licence, so it permits no use", subject)
	case licensesv1.CauseKind_CAUSE_KIND_UNKNOWN_LICENSE:
		f.Reason = gatev1.Reason_REASON_LINEAGE_INCOMPLETE
		f.Detail = fmt.Sprintf("%s is offered under licence %s, which is not defined", subject, id)
	case licensesv1.CauseKind_CAUSE_KIND_TRUNCATED:
		f.Reason = gatev1.Reason_REASON_LINEAGE_INCOMPLETE
		f.Detail = fmt.Sprintf("the lineage has more than %d records; %s and what lies beyond it were not examined", maxNodes, subject)
	default: // any other cause is one the gate does not understand: fail closed
		f.Reason = gatev1.Reason_REASON_LINEAGE_INCOMPLETE
		f.Detail = fmt.Sprintf("%s restricts %s use (%s)", subject, use, cause.Kind)
	}
	return f
}

// sortFindings puts findings in their documented order — reason, subject,
// licence, use, then detail — and drops exact repeats, so the answer does
// not depend on the order the registries returned things in.
func sortFindings(fs []*gatev1.Finding) []*gatev1.Finding {
	slices.SortFunc(fs, func(a, b *gatev1.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Reason, b.Reason),
			cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.LicenseId, b.LicenseId),
			cmp.Compare(a.Use, b.Use),
			cmp.Compare(a.Detail, b.Detail),
		)
	})
	return slices.CompactFunc(fs, func(a, b *gatev1.Finding) bool { return proto.Equal(a, b) })
}
