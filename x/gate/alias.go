package gate

import (
	"fmt"
	"strings"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
)

// validateAliasRequest checks a request that names its model by an alias:
// model must then be the model's name alone.
func validateAliasRequest(model, alias string) error {
	if err := kit.ValidateModelAlias("alias", alias); err != nil {
		return ErrInvalidRequest.Wrapf("%v", err)
	}
	if model == "" {
		return ErrInvalidRequest.Wrapf("alias %s needs model, the model's name", alias)
	}
	if strings.Contains(model, "@") {
		return ErrInvalidRequest.Wrapf("model %q: with alias, model is the model's name alone, without @version", model)
	}
	if err := kit.ValidateIdentifier("model", model, kit.MaxModelNameLen, kit.NameChars); err != nil {
		return ErrInvalidRequest.Wrapf("%v", err)
	}
	return nil
}

// resolveAlias finds the version the request's alias points to in the
// state checked. An alias never set, or cleared, points to none: that is a
// MODEL_NOT_REGISTERED finding (there is no version to name as its
// subject), and false.
func (c *check) resolveAlias() (version string, ok bool) {
	name, alias := c.req.Model, c.req.Alias
	a, found := c.models.Alias(c.r, name, alias)
	switch {
	case !found:
		c.deny(&gatev1.Finding{
			Reason: gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
			Detail: fmt.Sprintf("alias %s of %s was never set: it names no version", alias, name),
		})
		return "", false
	case a.GetVersion() == "":
		c.deny(&gatev1.Finding{
			Reason: gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
			Detail: fmt.Sprintf("alias %s of %s was cleared at height %d: it names no version", alias, name, a.GetHeight()),
		})
		return "", false
	}
	return a.Version, true
}
