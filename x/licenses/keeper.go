package licenses

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// Keeper executes licence messages and answers other modules' questions
// about licences. Its message handlers write the store they are
// given, the module's own prefix of the state, and read others through the
// whole state, read-only; its other methods take the whole state and read
// under the module's prefix. Lineage is read through prov.
type Keeper struct {
	prefix []byte
	prov   Provenance
	orgs   Orgs
}

// NewKeeper returns the keeper of the module stored under prefix, reading
// lineage through prov and the consortium's organisations through orgs.
func NewKeeper(prefix byte, prov Provenance, orgs Orgs) Keeper {
	return Keeper{prefix: []byte{prefix}, prov: prov, orgs: orgs}
}

func (k Keeper) reader(r kit.Reader) kit.Reader { return kit.PrefixedReader(r, k.prefix) }

// Limits on user-supplied fields.
const (
	MaxLicenseIDLen = 128
	MaxSPDXLen      = 128
	MaxReasonLen    = 512
)

// grantIDPrefix starts every grant id: "grant-1", "grant-2", ...
const grantIDPrefix = "grant-"

// Expired reports whether something expiring at expiryHeight (0: never)
// and expiryTime (nil: never) has expired at blk: it is void at heights
// above expiryHeight and at and after expiryTime.
func Expired(expiryHeight int64, expiryTime *timestamppb.Timestamp, blk kit.Block) bool {
	if expiryHeight != 0 && blk.Height > expiryHeight {
		return true
	}
	return expiryTime != nil && !blk.Time.Before(expiryTime.AsTime())
}

// LicenseExpired reports whether l has expired at blk.
func LicenseExpired(l *pb.License, blk kit.Block) bool {
	return Expired(l.GetSpec().GetExpiryHeight(), l.GetSpec().GetExpiryTime(), blk)
}

// GrantExpired reports whether g itself has expired at blk (its licence's
// expiry is not considered; see [Keeper.GrantActive]).
func GrantExpired(g *pb.Grant, blk kit.Block) bool {
	return Expired(g.GetExpiryHeight(), g.GetExpiryTime(), blk)
}

// CheckUsable returns nil if licence id exists and has not expired at blk,
// else ErrUnknownLicense or ErrLicenseExpired. Other modules call it when
// records are registered under licence ids.
func (k Keeper) CheckUsable(r kit.Reader, blk kit.Block, id string) error {
	l, found := k.License(r, id)
	if !found {
		return ErrUnknownLicense.Wrapf("%q", id)
	}
	if LicenseExpired(l, blk) {
		return ErrLicenseExpired.Wrapf("%q expired (%s)", id, expiryString(l.Spec.ExpiryHeight, l.Spec.ExpiryTime))
	}
	return nil
}

// License loads a licence; found is false when id is not defined (or is
// not a well-formed licence id).
func (k Keeper) License(r kit.Reader, id string) (l *pb.License, found bool) {
	return loadLicense(k.reader(r), id)
}

func loadLicense(r kit.Reader, id string) (*pb.License, bool) {
	if validateLicenseID("license_id", id) != nil {
		return nil, false
	}
	l := new(pb.License)
	if !kit.Load(r, LicenseKey(id), l) {
		return nil, false
	}
	return l, true
}

// Grant loads a grant by id with its revocation (nil if not revoked);
// found is false when there is no such grant.
func (k Keeper) Grant(r kit.Reader, id string) (g *pb.Grant, revocation *pb.GrantRevocation, found bool) {
	seq, err := ParseGrantID(id)
	if err != nil {
		return nil, nil, false
	}
	g, revocation = loadGrant(k.reader(r), seq)
	return g, revocation, g != nil
}

// loadGrant returns grant seq and its revocation; g is nil when there is
// no such grant.
func loadGrant(r kit.Reader, seq uint64) (g *pb.Grant, revocation *pb.GrantRevocation) {
	g = new(pb.Grant)
	if !kit.Load(r, GrantKey(seq), g) {
		return nil, nil
	}
	rev := new(pb.GrantRevocation)
	if kit.Load(r, GrantRevocationKey(seq), rev) {
		revocation = rev
	}
	return g, revocation
}

// GrantActive reports whether g is in force at blk: not revoked, and
// neither it nor its licence expired. Grants are only ever created under a
// defined licence, which is never deleted.
func (k Keeper) GrantActive(r kit.Reader, blk kit.Block, g *pb.Grant, revocation *pb.GrantRevocation) bool {
	return grantActive(k.reader(r), blk, g, revocation)
}

func grantActive(r kit.Reader, blk kit.Block, g *pb.Grant, revocation *pb.GrantRevocation) bool {
	if revocation != nil || GrantExpired(g, blk) {
		return false
	}
	l, found := loadLicense(r, g.LicenseId)
	return found && !LicenseExpired(l, blk)
}

// GrantID is the id of the grant with sequence number seq.
func GrantID(seq uint64) string { return grantIDPrefix + strconv.FormatUint(seq, 10) }

// ParseGrantID reads the sequence number of a grant id "grant-<n>" (n >= 1,
// decimal, no leading zeros: one grant, one spelling).
func ParseGrantID(id string) (uint64, error) {
	digits, ok := strings.CutPrefix(id, grantIDPrefix)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 20 {
		return 0, ErrInvalidField.Wrapf("grant id %q: want grant-<n>, e.g. grant-1", id)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, ErrInvalidField.Wrapf("grant id %q: want grant-<n>, e.g. grant-1", id)
		}
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, ErrInvalidField.Wrapf("grant id %q: %v", id, err)
	}
	return seq, nil
}

// nextGrantSequence advances and returns the grant counter (1 for the
// first grant).
func nextGrantSequence(st kit.Store) uint64 {
	var last uint64
	if b := st.Get(GrantSequenceKey()); b != nil {
		if len(b) != sequenceLen {
			panic(fmt.Sprintf("licenses: corrupt grant sequence %x", b))
		}
		last = binary.BigEndian.Uint64(b)
	}
	next := last + 1
	st.Set(GrantSequenceKey(), binary.BigEndian.AppendUint64(nil, next))
	return next
}

// use is one of the four permissions a Usage carries, in the fixed order
// restrictions are reported in.
type use struct {
	name    string
	allowed func(*pb.Usage) bool
}

var uses = []use{
	{"commercial_use", (*pb.Usage).GetCommercialUse},
	{"derivatives", (*pb.Usage).GetDerivatives},
	{"redistribution", (*pb.Usage).GetRedistribution},
	{"ai_training", (*pb.Usage).GetAiTraining},
}

func validateLicenseID(field, id string) error {
	if err := kit.ValidateIdentifier(field, id, MaxLicenseIDLen, kit.IDChars); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// ValidateOrgID checks the form of an organisation id (see
// [kit.ValidateOrgID]); whether the organisation exists is not checked.
func ValidateOrgID(field, org string) error {
	if err := kit.ValidateOrgID(field, org); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// validateSPDX checks an SPDX licence identifier or expression: 1-128
// bytes of letters, digits, '.', '-', '+', ':', '(', ')' and inner spaces,
// e.g. "Apache-2.0 OR MIT" or "LicenseRef-acme-1".
func validateSPDX(s string) error {
	if len(s) == 0 || len(s) > MaxSPDXLen {
		return ErrInvalidField.Wrapf("spdx_id must be 1-%d bytes, got %d", MaxSPDXLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte(".-+:() ", c) >= 0
		if !ok {
			return ErrInvalidField.Wrapf("spdx_id %q: character %q not allowed in an SPDX expression", s, c)
		}
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return ErrInvalidField.Wrapf("spdx_id %q must not start or end with a space", s)
	}
	return nil
}

// validateExpiry checks an expiry a new licence or grant is given: a
// height that is not negative and, when set, above the current block; a
// time that is a valid timestamp and, when set, after the block time.
// Nothing can be created already expired.
func validateExpiry(blk kit.Block, height int64, t *timestamppb.Timestamp) error {
	if height < 0 {
		return ErrInvalidField.Wrapf("expiry_height %d is negative", height)
	}
	if height != 0 && height <= blk.Height {
		return ErrInvalidField.Wrapf("expiry_height %d is not after the current height %d", height, blk.Height)
	}
	if t != nil {
		if err := t.CheckValid(); err != nil {
			return ErrInvalidField.Wrapf("expiry_time: %v", err)
		}
		if !t.AsTime().After(blk.Time) {
			return ErrInvalidField.Wrapf("expiry_time %s is not after the block time %s", formatTime(t.AsTime()), formatTime(blk.Time))
		}
	}
	return nil
}

func expiryString(height int64, t *timestamppb.Timestamp) string {
	parts := []string{}
	if height != 0 {
		parts = append(parts, "after height "+strconv.FormatInt(height, 10))
	}
	if t != nil {
		parts = append(parts, "at "+formatTime(t.AsTime()))
	}
	if len(parts) == 0 {
		return "never"
	}
	return strings.Join(parts, " or ")
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// timestamp is the record time of blk.
func timestamp(blk kit.Block) *timestamppb.Timestamp { return timestamppb.New(blk.Time) }
