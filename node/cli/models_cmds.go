package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

const modelsQueryPath = "/lineage.models.v1.Query/"

func (e *env) modelsTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Model versions, revocations, supersessions and deployments"}

	register := &cobra.Command{
		Use:         "register NAME@VERSION",
		Annotations: runsRoute("models.register_model"),
		Short:       "Register a model version by its manifest digest (needs model-publisher)",
		Long: `Register a model version published by your organisation. The manifest
digest identifies the weights (see 'lineaged hash model'). With --sign the
--from key also signs the manifest digest; anyone can later check that
signature offline against the weights and the key stored with the record.

Every digest is checked before anything is signed: a malformed one would be
refused only in a block, after spending the account's sequence. --artefact
DIR computes the manifest digest here instead, as 'lineaged hash model' does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			manifestDigest, err := e.registerDigests(cmd)
			if err != nil {
				return err
			}
			return e.submit(cmd, func(s keyring.Signer, _ string, _ uint64) (proto.Message, error) {
				name, version, err := models.ParseRef(args[0])
				if err != nil {
					return nil, err
				}
				spec := &modelspb.ModelSpec{
					Name:                   name,
					Version:                version,
					ManifestDigest:         manifestDigest,
					FileManifestDigest:     e.v.GetString("file-manifest-digest"),
					Format:                 e.v.GetString("format"),
					BaseModel:              e.v.GetString("base"),
					TrainingDatasets:       e.v.GetStringSlice("dataset"),
					TrainingRun:            e.v.GetString("training-run"),
					EvaluationReportDigest: e.v.GetString("eval-digest"),
					LicenseIds:             e.v.GetStringSlice("license"),
				}
				msg := &modelspb.MsgRegisterModel{Model: spec}
				if e.v.GetBool("sign") {
					sig, err := s.Sign(models.ManifestSignBytes(spec.ManifestDigest))
					if err != nil {
						return nil, fmt.Errorf("failed to sign the manifest: %w", err)
					}
					msg.PublisherSignature = sig
				}
				return msg, nil
			}, nil)
		},
	}
	rf := register.Flags()
	rf.String("manifest-digest", "", "root digest of the model manifest, e.g. sha256:<hex> (or --artefact)")
	rf.String("artefact", "", "the model's directory: its manifest root digest is computed here (instead of --manifest-digest)")
	rf.String("file-manifest-digest", "", "digest of the per-file manifest document")
	rf.String("format", "", "serialisation format, e.g. safetensors, gguf, onnx")
	rf.String("base", "", "fine-tune parent, NAME@VERSION")
	rf.StringSlice("dataset", nil, "digest of a registered training dataset (repeatable)")
	rf.String("training-run", "", "id of the registered training run")
	rf.String("eval-digest", "", "digest of the evaluation report")
	rf.StringSlice("license", nil, "licence id the model is offered under (repeatable)")
	rf.Bool("sign", false, "attach a publisher signature over the manifest digest made with the --from key")

	revoke := &cobra.Command{
		Use:         "revoke NAME@VERSION",
		Annotations: runsRoute("models.revoke_model"),
		Short:       "Revoke a model version of your organisation (needs model-publisher)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				name, version, err := models.ParseRef(args[0])
				if err != nil {
					return nil, err
				}
				code := e.v.GetString("reason-code")
				if code == "" {
					return nil, fmt.Errorf("--reason-code is required: %s", strings.Join(models.RevocationReasonNames(), ", "))
				}
				reason, err := models.ParseRevocationReason(code)
				if err != nil {
					return nil, err
				}
				return &modelspb.MsgRevokeModel{Name: name, Version: version, ReasonCode: reason, Reason: e.v.GetString("reason")}, nil
			}, nil)
		},
	}
	revoke.Flags().String("reason-code", "", "why, one of: "+strings.Join(models.RevocationReasonNames(), ", "))
	revoke.Flags().String("reason", "", "explanation recorded on chain (required, at most 512 bytes)")

	supersede := &cobra.Command{
		Use:         "supersede NAME@VERSION",
		Annotations: runsRoute("models.supersede_model"),
		Short:       "Record that another version replaces a version of your organisation (needs model-publisher)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				name, version, err := models.ParseRef(args[0])
				if err != nil {
					return nil, err
				}
				by := e.v.GetString("by")
				if by == "" {
					return nil, errors.New("--by is required: the replacement, NAME@VERSION")
				}
				return &modelspb.MsgSupersedeModel{Name: name, Version: version, SupersededBy: by}, nil
			}, nil)
		},
	}
	supersede.Flags().String("by", "", "the replacement, NAME@VERSION")

	deploy := &cobra.Command{
		Use:         "deploy NAME@VERSION",
		Annotations: runsRoute("models.record_deployment"),
		Short:       "Record that your organisation deployed a model version (needs deployer)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				name, version, err := models.ParseRef(args[0])
				if err != nil {
					return nil, err
				}
				env := e.v.GetString("environment")
				if env == "" {
					return nil, errors.New("--environment is required, e.g. azure-openai/eastus/prod")
				}
				return &modelspb.MsgRecordDeployment{Name: name, Version: version, Environment: env, Note: e.v.GetString("note")}, nil
			}, nil)
		},
	}
	deploy.Flags().String("environment", "", "where, e.g. azure-openai/eastus/prod (required)")
	deploy.Flags().String("note", "", "note recorded with the deployment")

	cmd.AddCommand(register, revoke, supersede, deploy, e.modelsAliasTxCmd())
	return cmd
}

func (e *env) modelsQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Model versions, revocations, supersessions and deployments"}

	model := &cobra.Command{
		Use:         "model NAME@VERSION",
		Annotations: runsQuery(modelsQueryPath + "Model"),
		Short:       "Show a model version with its revocation and supersession, if any",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := models.ParseRef(args[0])
			if err != nil {
				return err
			}
			return e.query(cmd, modelsQueryPath+"Model", &modelspb.QueryModelRequest{Name: name, Version: version}, &modelspb.QueryModelResponse{})
		},
	}

	byDigest := &cobra.Command{
		Use:         "by-digest DIGEST",
		Annotations: runsQuery(modelsQueryPath + "ModelsByDigest"),
		Short:       "List the model versions registered with a manifest digest",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, modelsQueryPath+"ModelsByDigest", &modelspb.QueryModelsByDigestRequest{ManifestDigest: args[0]}, &modelspb.QueryModelsByDigestResponse{})
		},
	}

	versions := &cobra.Command{
		Use:         "versions NAME",
		Annotations: runsQuery(modelsQueryPath + "ModelVersions"),
		Short:       "List the versions of a model name in registration order",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			return e.query(cmd, modelsQueryPath+"ModelVersions",
				&modelspb.QueryModelVersionsRequest{Name: args[0], Limit: e.v.GetUint32("limit")}, &modelspb.QueryModelVersionsResponse{})
		},
	}
	versions.Flags().Uint32("limit", models.DefaultPageLimit, fmt.Sprintf("at most this many (at most %d)", models.MaxPageLimit))

	lineage := &cobra.Command{
		Use:         "lineage NAME@VERSION",
		Annotations: runsQuery(modelsQueryPath + "ModelLineage"),
		Short:       "Show a model version's base models, training datasets and runs, recursively",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			name, version, err := models.ParseRef(args[0])
			if err != nil {
				return err
			}
			return e.query(cmd, modelsQueryPath+"ModelLineage", &modelspb.QueryModelLineageRequest{
				Name: name, Version: version, MaxDepth: e.v.GetUint32("depth"), MaxNodes: e.v.GetUint32("max-nodes"),
			}, &modelspb.QueryModelLineageResponse{})
		},
	}
	lineage.Flags().Uint32("depth", models.DefaultLineageMaxDepth, fmt.Sprintf("hops to follow (at most %d)", models.MaxLineageDepth))
	lineage.Flags().Uint32("max-nodes", models.DefaultLineageMaxNodes, fmt.Sprintf("base models plus datasets to return (at most %d)", models.MaxLineageNodes))

	deployments := &cobra.Command{
		Use:         "deployments NAME[@VERSION]",
		Annotations: runsQuery(modelsQueryPath + "Deployments"),
		Short:       "List deployments of a model name, or of one version, oldest first",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			req := &modelspb.QueryDeploymentsRequest{Name: args[0], Limit: e.v.GetUint32("limit")}
			if strings.Contains(args[0], "@") {
				name, version, err := models.ParseRef(args[0])
				if err != nil {
					return err
				}
				req.Name, req.Version = name, version
			}
			return e.query(cmd, modelsQueryPath+"Deployments", req, &modelspb.QueryDeploymentsResponse{})
		},
	}
	deployments.Flags().Uint32("limit", models.DefaultPageLimit, fmt.Sprintf("at most this many (at most %d)", models.MaxPageLimit))

	cmd.AddCommand(model, byDigest, versions, lineage, deployments, e.modelsListCmd(), e.modelsImpactCmd())
	cmd.AddCommand(e.modelsAliasQueryCmds()...)
	return cmd
}

// registerDigests checks every digest of `tx models register` before
// anything is signed, and returns the manifest digest: --manifest-digest's,
// or the one computed from --artefact.
func (e *env) registerDigests(cmd *cobra.Command) (string, error) {
	manifestDigest, dir := e.v.GetString("manifest-digest"), e.v.GetString("artefact")
	switch {
	case manifestDigest != "" && dir != "":
		return "", usagef("give --manifest-digest or --artefact, not both")
	case dir != "":
		root, err := e.artefactRoot(cmd, dir)
		if err != nil {
			return "", err
		}
		manifestDigest = root
	case manifestDigest == "":
		return "", usagef("--manifest-digest or --artefact is required: the model's manifest root digest (lineaged hash model DIR), or its directory")
	default:
		if err := checkDigestFlag("manifest-digest", manifestDigest, "lineaged hash model", "--artefact "+manifestDigest); err != nil {
			return "", err
		}
	}
	for _, f := range []string{"file-manifest-digest", "eval-digest"} {
		if v := e.v.GetString(f); v != "" {
			if err := checkDigestFlag(f, v, "lineaged hash file", ""); err != nil {
				return "", err
			}
		}
	}
	for _, d := range e.v.GetStringSlice("dataset") {
		if err := checkDigestFlag("dataset", d, "lineaged hash file", ""); err != nil {
			return "", err
		}
	}
	return manifestDigest, nil
}
