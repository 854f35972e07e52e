package receipt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// Expect is what a caller requires of a valid receipt beyond validity: that
// it answers the question the caller asks, with the verdict it needs,
// recently enough. A zero field requires nothing.
type Expect struct {
	// Verdict, Model, Org and Uses hold only for a gate check's receipt:
	// the verdict recomputed from it; the model version checked
	// ("name@version", as the answer names it); the deploying
	// organisation the check was asked for; and uses that must each be
	// among those the check was asked for.
	Verdict gatepb.Verdict
	Model   string
	Org     string
	Uses    []gatepb.Use
	// ManifestDigest, also only for a gate check's receipt, is the
	// artefact the answer must be about: the manifest digest the answer
	// names (the checked version's) must be this one.
	ManifestDigest string
	// NotBefore is the lowest state height accepted.
	NotBefore int64
	// MaxAge is the oldest state accepted, judged from the state header's
	// time against Now (zero: time.Now()).
	MaxAge time.Duration
	Now    time.Time
}

// Reasons a valid receipt does not meet an Expect. When several hold,
// Meets reports them all and wraps the first in this order.
var (
	// ErrOtherQuestion: the receipt is not of a gate check, or of another
	// model, organisation or use.
	ErrOtherQuestion = errors.New("receipt answers another question")
	// ErrOtherArtefact: the receipt is of a gate check about another
	// artefact than the one expected (or about none).
	ErrOtherArtefact = errors.New("receipt is about another artefact")
	// ErrStale: the state is older than NotBefore or MaxAge allow.
	ErrStale = errors.New("receipt is too old")
	// ErrVerdict: the verdict is not the expected one (or the check was
	// answered with an error, not a verdict).
	ErrVerdict = errors.New("receipt has another verdict")
)

// unmet lists what a receipt does not meet; Is matches its first kind.
type unmet struct {
	kind    error
	reasons []string
}

func (u *unmet) Error() string { return u.kind.Error() + ": " + strings.Join(u.reasons, "; ") }
func (u *unmet) Unwrap() error { return u.kind }

// Meets checks a verified receipt's result against e; the error wraps
// ErrOtherQuestion, ErrOtherArtefact, ErrStale or ErrVerdict.
func (res *Result) Meets(e Expect) error {
	found := map[error][]string{}
	add := func(kind error, format string, args ...any) {
		found[kind] = append(found[kind], fmt.Sprintf(format, args...))
	}
	if e.Verdict != gatepb.Verdict_VERDICT_UNSPECIFIED || e.Model != "" || e.Org != "" || len(e.Uses) > 0 || e.ManifestDigest != "" {
		res.meetsGate(e, add)
	}
	if e.NotBefore > 0 && res.Height < e.NotBefore {
		add(ErrStale, "the state is at height %d, before %d", res.Height, e.NotBefore)
	}
	if e.MaxAge > 0 {
		now := e.Now
		if now.IsZero() {
			now = time.Now()
		}
		if age := now.Sub(res.Time); age > e.MaxAge {
			add(ErrStale, "the state is %s old (its time %s), more than %s", age.Round(time.Second), res.Time.UTC().Format(time.RFC3339), e.MaxAge)
		}
	}
	var first error
	var all []string
	for _, kind := range []error{ErrOtherQuestion, ErrOtherArtefact, ErrStale, ErrVerdict} {
		if len(found[kind]) > 0 && first == nil {
			first = kind
		}
		all = append(all, found[kind]...)
	}
	if first == nil {
		return nil
	}
	return &unmet{kind: first, reasons: all}
}

func (res *Result) meetsGate(e Expect, add func(error, string, ...any)) {
	if res.Path != gatepb.Query_Check_FullMethodName {
		add(ErrOtherQuestion, "it is a receipt of %s, not of a gate check", res.Path)
		return
	}
	var req gatepb.CheckRequest
	if err := proto.Unmarshal(res.Request, &req); err != nil {
		add(ErrOtherQuestion, "its request does not decode: %v", err)
		return
	}
	var resp gatepb.CheckResponse
	if res.Error == nil {
		if err := proto.Unmarshal(res.Answer, &resp); err != nil {
			add(ErrOtherQuestion, "its answer does not decode: %v", err)
			return
		}
	}
	if e.Model != "" {
		model := resp.Model
		if model == "" {
			model = req.Model
		}
		if model != e.Model {
			add(ErrOtherQuestion, "it checks model %q, not %q", model, e.Model)
		}
	}
	if e.Org != "" && req.Org != e.Org {
		add(ErrOtherQuestion, "it checks deployment by org %q, not %q", req.Org, e.Org)
	}
	for _, u := range e.Uses {
		if !slices.Contains(req.Uses, u) {
			add(ErrOtherQuestion, "it does not check use %s", gate.UseName(u))
		}
	}
	if e.ManifestDigest != "" {
		switch {
		case res.Error != nil:
			add(ErrOtherArtefact, "the gate answered with error %s/%d, about no artefact", res.Error.Codespace, res.Error.Code)
		case resp.ManifestDigest == "":
			add(ErrOtherArtefact, "it names no artefact (no version was found), not %s", e.ManifestDigest)
		case resp.ManifestDigest != e.ManifestDigest:
			add(ErrOtherArtefact, "it is about the artefact with manifest digest %s, not %s", resp.ManifestDigest, e.ManifestDigest)
		}
	}
	if e.Verdict != gatepb.Verdict_VERDICT_UNSPECIFIED {
		switch {
		case res.Error != nil:
			add(ErrVerdict, "the gate answered with error %s/%d, not a verdict", res.Error.Codespace, res.Error.Code)
		case resp.Verdict != e.Verdict:
			add(ErrVerdict, "the verdict is %s, not %s", verdictName(resp.Verdict), verdictName(e.Verdict))
		}
	}
}

func verdictName(v gatepb.Verdict) string { return strings.TrimPrefix(v.String(), "VERDICT_") }
