package licenses

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// Limits of the lineage walk of [Keeper.EffectiveLicense] as queried.
const (
	DefaultMaxNodes = 1000
	MaxMaxNodes     = 10000
)

// EffectiveLicense is what the whole lineage of subject permits org at
// blk: a pure function of the state r, blk and the arguments.
//
// The walk is breadth first from subject through [Provenance.Record],
// parents in the order the provenance returns them, each record visited
// once (by [SubjectKey]), at most maxNodes records. Every visited record
// is evaluated; a use stays permitted only if every evaluation permits it:
//
//   - a record with no licence ids, or one the provenance does not find
//     (only possible for a parent), restricts every use (UNLICENSED);
//   - every licence id a record carries must permit the use (a record
//     offered under several licences is held to all of them):
//   - an undefined licence restricts every use (UNKNOWN_LICENSE);
//   - a licence expired at blk restricts every use (EXPIRED);
//   - otherwise each use the licence does not permit is restricted
//     (FORBIDDEN), and if the licence needs a grant, each use it permits
//     but that org's active grants on that record under that licence do
//     not (their union) is restricted (NO_GRANT). Without an org nothing
//     can be granted, so such a licence then permits nothing;
//   - an unexpired licence requiring attribution adds a DUTY cause.
//
// Restrictions are listed per use in the order commercial_use,
// derivatives, redistribution, ai_training, only for restricted uses, with
// their causes in visit order (then licence order within a record).
// Visited lists the records in visit order; Licenses every licence id a
// visited record carries, sorted and unique; attribution is required when
// there is any duty.
//
// When records remain unvisited after maxNodes, the answer is incomplete:
// Truncated is set, every use is restricted, and each use's causes end
// with a cause naming the first record the walk did not reach, with no
// licence id and kind CAUSE_KIND_TRUNCATED (its licences are unknown).
//
// subject must be registered (ErrUnknownSubject); org, when set, must be a
// well-formed organisation id; maxNodes must be at least 1.
func (k Keeper) EffectiveLicense(r kit.Reader, blk kit.Block, subject *pb.Subject, org string, maxNodes int) (*pb.QueryEffectiveLicenseResponse, error) {
	if err := ValidateSubject("subject", subject); err != nil {
		return nil, err
	}
	if org != "" {
		if err := ValidateOrgID("org", org); err != nil {
			return nil, err
		}
	}
	if maxNodes < 1 {
		return nil, ErrInvalidQuery.Wrapf("max_nodes must be at least 1, got %d", maxNodes)
	}
	rootIDs, rootParents, found := k.prov.Record(r, subject)
	if !found {
		return nil, ErrUnknownSubject.Wrapf("%s", SubjectKey(subject))
	}

	ev := &evaluation{r: k.reader(r), blk: blk, org: org, causes: make([][]*pb.Cause, len(uses))}
	resp := &pb.QueryEffectiveLicenseResponse{}
	queue := []*pb.Subject{subject}
	seen := map[string]bool{SubjectKey(subject): true}
	for len(queue) > 0 {
		if len(resp.Visited) == maxNodes {
			resp.Truncated = true
			for i := range uses {
				ev.restrict(i, &pb.Cause{Subject: queue[0], Kind: pb.CauseKind_CAUSE_KIND_TRUNCATED})
			}
			break
		}
		s := queue[0]
		queue = queue[1:]
		ids, parents, found := rootIDs, rootParents, true
		if len(resp.Visited) > 0 {
			ids, parents, found = k.prov.Record(r, s)
		}
		resp.Visited = append(resp.Visited, s)
		ev.record(s, ids, found)
		for _, p := range parents {
			if key := SubjectKey(p); !seen[key] {
				seen[key] = true
				queue = append(queue, p)
			}
		}
	}

	resp.Usage = &pb.Usage{AttributionRequired: len(ev.duties) > 0}
	permitted := make([]bool, len(uses))
	for i, u := range uses {
		permitted[i] = len(ev.causes[i]) == 0
		if !permitted[i] {
			resp.Restrictions = append(resp.Restrictions, &pb.Restriction{Use: u.name, Causes: ev.causes[i]})
		}
	}
	resp.Usage.CommercialUse, resp.Usage.Derivatives, resp.Usage.Redistribution, resp.Usage.AiTraining =
		permitted[0], permitted[1], permitted[2], permitted[3]
	resp.Duties = ev.duties
	slices.Sort(ev.licenses)
	resp.Licenses = slices.Compact(ev.licenses)
	return resp, nil
}

// evaluation accumulates what the visited records permit.
type evaluation struct {
	r   kit.Reader // the module's store
	blk kit.Block
	org string
	// causes[i] restrict uses[i].
	causes   [][]*pb.Cause
	duties   []*pb.Cause
	licenses []string
}

func (ev *evaluation) restrict(use int, c *pb.Cause) {
	ev.causes[use] = append(ev.causes[use], c)
}

func (ev *evaluation) restrictAll(s *pb.Subject, licenseID string, kind pb.CauseKind) {
	for i := range uses {
		ev.restrict(i, &pb.Cause{Subject: s, LicenseId: licenseID, Kind: kind})
	}
}

// record evaluates one visited record carrying licence ids ids.
func (ev *evaluation) record(s *pb.Subject, ids []string, found bool) {
	if !found || len(ids) == 0 {
		ev.restrictAll(s, "", pb.CauseKind_CAUSE_KIND_UNLICENSED)
		return
	}
	var done []string
	for _, id := range ids {
		if slices.Contains(done, id) {
			continue
		}
		done = append(done, id)
		ev.licenses = append(ev.licenses, id)
		lic, defined := loadLicense(ev.r, id)
		if !defined {
			ev.restrictAll(s, id, pb.CauseKind_CAUSE_KIND_UNKNOWN_LICENSE)
			continue
		}
		if LicenseExpired(lic, ev.blk) {
			ev.restrictAll(s, id, pb.CauseKind_CAUSE_KIND_EXPIRED)
			continue
		}
		usage := lic.Spec.Usage
		var granted *pb.Usage
		if lic.Spec.GrantRequired {
			granted = ev.grantedUsage(s, id)
		}
		for i, u := range uses {
			switch {
			case !u.allowed(usage):
				ev.restrict(i, &pb.Cause{Subject: s, LicenseId: id, Kind: pb.CauseKind_CAUSE_KIND_FORBIDDEN})
			case lic.Spec.GrantRequired && !u.allowed(granted):
				ev.restrict(i, &pb.Cause{Subject: s, LicenseId: id, Kind: pb.CauseKind_CAUSE_KIND_NO_GRANT})
			}
		}
		if usage.GetAttributionRequired() {
			ev.duties = append(ev.duties, &pb.Cause{Subject: s, LicenseId: id, Kind: pb.CauseKind_CAUSE_KIND_DUTY})
		}
	}
}

// grantedUsage is the union of the permissions of the org's active grants
// on s under licence id (whose licence the caller found unexpired); empty
// without an org.
func (ev *evaluation) grantedUsage(s *pb.Subject, id string) *pb.Usage {
	out := &pb.Usage{}
	if ev.org == "" {
		return out
	}
	prefix := GrantsBySubjectLicenseePrefix(SubjectKey(s), ev.org)
	it := ev.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
		g, revocation := loadGrant(ev.r, seq)
		if g == nil {
			panic(fmt.Sprintf("licenses: subject index names missing grant %d", seq))
		}
		if g.LicenseId != id || revocation != nil || GrantExpired(g, ev.blk) {
			continue
		}
		out.CommercialUse = out.CommercialUse || g.Usage.GetCommercialUse()
		out.Derivatives = out.Derivatives || g.Usage.GetDerivatives()
		out.Redistribution = out.Redistribution || g.Usage.GetRedistribution()
		out.AiTraining = out.AiTraining || g.Usage.GetAiTraining()
	}
	return out
}
