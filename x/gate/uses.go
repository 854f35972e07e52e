package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// useNames are the names users type for uses, canonical name first.
var useNames = []struct {
	name string
	use  gatev1.Use
}{
	{"commercial", gatev1.Use_USE_COMMERCIAL},
	{"derivatives", gatev1.Use_USE_DERIVATIVES},
	{"fine-tune", gatev1.Use_USE_DERIVATIVES},
	{"redistribution", gatev1.Use_USE_REDISTRIBUTION},
	{"ai-training", gatev1.Use_USE_AI_TRAINING},
}

// ParseUses reads a comma-separated list of uses as users type it:
// "commercial", "derivatives" (or its synonym "fine-tune"),
// "redistribution" and "ai-training", in any case. A use named twice counts
// once; the result is in [gatev1.Use] order, as [Keeper.Check] wants it.
func ParseUses(s string) ([]gatev1.Use, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrInvalidRequest.Wrapf("uses: at least one use is required (%s)", useList())
	}
	var out []gatev1.Use
	for part := range strings.SplitSeq(s, ",") {
		u, ok := parseUse(strings.TrimSpace(part))
		if !ok {
			return nil, ErrInvalidRequest.Wrapf("uses: unknown use %q (want %s)", strings.TrimSpace(part), useList())
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out, nil
}

func parseUse(s string) (gatev1.Use, bool) {
	for _, n := range useNames {
		if strings.EqualFold(s, n.name) {
			return n.use, true
		}
	}
	return gatev1.Use_USE_UNSPECIFIED, false
}

// UseName is the canonical name [ParseUses] reads for u.
func UseName(u gatev1.Use) string {
	for _, n := range useNames {
		if n.use == u {
			return n.name
		}
	}
	return fmt.Sprintf("unknown(%d)", int32(u))
}

func useList() string {
	names := make([]string, len(useNames))
	for i, n := range useNames {
		names[i] = n.name
	}
	return strings.Join(names, ", ")
}

// knownUse reports whether u is a use a request may name.
func knownUse(u gatev1.Use) bool {
	_, known := gatev1.Use_name[int32(u)]
	return known && u != gatev1.Use_USE_UNSPECIFIED
}

// licenceUse is the name x/licenses gives u in its restrictions, and what
// its Usage says about it.
func licenceUse(u gatev1.Use) (name string, permitted func(*licensesv1.Usage) bool) {
	switch u {
	case gatev1.Use_USE_COMMERCIAL:
		return "commercial_use", (*licensesv1.Usage).GetCommercialUse
	case gatev1.Use_USE_DERIVATIVES:
		return "derivatives", (*licensesv1.Usage).GetDerivatives
	case gatev1.Use_USE_REDISTRIBUTION:
		return "redistribution", (*licensesv1.Usage).GetRedistribution
	case gatev1.Use_USE_AI_TRAINING:
		return "ai_training", (*licensesv1.Usage).GetAiTraining
	}
	// Unreachable: requests are validated to hold known uses only.
	return "", func(*licensesv1.Usage) bool { return false }
}
