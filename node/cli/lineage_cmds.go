package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/digest"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// lineageQueryPath is the ABCI query path of a lineage Query method.
func lineageQueryPath(method string) string { return "/lineage.lineage.v1.Query/" + method }

func (e *env) lineageTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "lineage", Short: "Datasets and the runs that derive them"}

	register := &cobra.Command{
		Use:         "register-dataset DIGEST",
		Annotations: runsRoute("lineage.register_dataset"),
		Short:       "Register a dataset, or attest one another organisation registered (needs data-steward)",
		Long: `Register the dataset with content digest DIGEST (e.g. sha256:<64 hex>) as
NAMESPACE/NAME@VERSION, owned by your organisation. If another organisation
already registered DIGEST, this records your organisation's attestation that it
holds the same bytes instead; namespace, name and version must then match the
registered ones.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				if err := digest.Validate(args[0]); err != nil {
					return nil, fmt.Errorf("DIGEST: %w", err)
				}
				spec := &lineagepb.DatasetSpec{
					Digest:       args[0],
					Namespace:    e.v.GetString("namespace"),
					Name:         e.v.GetString("name"),
					Version:      e.v.GetString("version"),
					SizeBytes:    e.v.GetUint64("size"),
					MediaType:    e.v.GetString("media-type"),
					SchemaDigest: e.v.GetString("schema-digest"),
					Uri:          e.v.GetString("uri"),
					LicenseIds:   e.v.GetStringSlice("license"),
				}
				for _, f := range []struct{ flag, value string }{{"namespace", spec.Namespace}, {"name", spec.Name}, {"version", spec.Version}} {
					if f.value == "" {
						return nil, fmt.Errorf("--%s is required", f.flag)
					}
				}
				if spec.SchemaDigest != "" {
					if err := digest.Validate(spec.SchemaDigest); err != nil {
						return nil, fmt.Errorf("--schema-digest: %w", err)
					}
				}
				return &lineagepb.MsgRegisterDataset{Dataset: spec}, nil
			}, nil)
		},
	}
	rf := register.Flags()
	rf.String("namespace", "", "namespace, e.g. corpora (required)")
	rf.String("name", "", "name within the namespace, e.g. web-en (required)")
	rf.String("version", "", "version, e.g. 2026-01-01 or 1.2.0 (required)")
	rf.Uint64("size", 0, "size in bytes")
	rf.String("media-type", "", "IANA media type, e.g. application/x-parquet")
	rf.String("schema-digest", "", "digest of the schema document")
	rf.String("uri", "", "where the data can be found (never dereferenced by the chain)")
	rf.StringSlice("license", nil, "licence id it is offered under (repeatable, or comma-separated)")

	recordRun := &cobra.Command{
		Use:         "record-run",
		Annotations: runsRoute("lineage.record_run"),
		Short:       "Record a run that derived datasets from datasets (needs data-steward)",
		Long: `Record a transformation run: code (and optionally parameters and environment,
all given by digest) that turned the --input datasets into outputs. An output is
either a registered dataset, linked with --linked-output, or a new dataset
registered by this transaction, given with --new-output or --new-outputs-file.

--new-output takes one dataset as comma-separated fields, the digest first:

  DIGEST,ns=NAMESPACE,name=NAME,version=VERSION[,size=BYTES][,media-type=TYPE]
        [,schema-digest=DIGEST][,uri=URI][,license=ID]...

(namespace= may be spelled out; license= may repeat). Values cannot contain
commas; use --new-outputs-file for those. --new-outputs-file FILE (- for stdin)
holds a JSON array of DatasetSpec objects in protobuf JSON form, e.g.
  [{"digest":"sha256:…","namespace":"corpora","name":"web-clean",
    "version":"1","size_bytes":"1024","license_ids":["cc-by-4.0"]}]

On success the run id is printed on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				return e.lineageRecordRunMsg(cmd)
			}, func(res *client.Result) error {
				if id := lineageEventAttribute(res, "lineage.run_recorded", "run_id"); id != "" && !e.json() {
					fmt.Fprintf(e.stderr, "run %s\n", id)
				}
				return nil
			})
		},
	}
	rr := recordRun.Flags()
	rr.String("code-digest", "", "digest of the code that ran (required)")
	rr.String("parameters-digest", "", "digest of its parameters")
	rr.String("environment-digest", "", "digest of its environment (image, lock file)")
	rr.StringSlice("input", nil, "digest of a registered input dataset (repeatable, or comma-separated; at least one)")
	rr.StringSlice("linked-output", nil, "digest of a registered dataset the run produced (repeatable, or comma-separated)")
	rr.StringArray("new-output", nil, "a dataset the run produced, to register: DIGEST,ns=..,name=..,version=..[,size=..][,media-type=..][,schema-digest=..][,uri=..][,license=..] (repeatable)")
	rr.String("new-outputs-file", "", "JSON file (- for stdin) with an array of new output DatasetSpecs")
	rr.String("executor", "", "who or what ran it: job, pipeline, host (free text)")

	cmd.AddCommand(register, recordRun, e.lineageRevokeDatasetCmd())
	return cmd
}

// lineageRecordRunMsg builds MsgRecordRun from record-run's flags.
func (e *env) lineageRecordRunMsg(cmd *cobra.Command) (*lineagepb.MsgRecordRun, error) {
	msg := &lineagepb.MsgRecordRun{
		CodeDigest:        e.v.GetString("code-digest"),
		ParametersDigest:  e.v.GetString("parameters-digest"),
		EnvironmentDigest: e.v.GetString("environment-digest"),
		Inputs:            e.v.GetStringSlice("input"),
		Outputs:           e.v.GetStringSlice("linked-output"),
		Executor:          e.v.GetString("executor"),
	}
	if msg.CodeDigest == "" {
		return nil, errors.New("--code-digest is required")
	}
	for _, f := range []struct{ flag, value string }{
		{"code-digest", msg.CodeDigest}, {"parameters-digest", msg.ParametersDigest}, {"environment-digest", msg.EnvironmentDigest},
	} {
		if f.value == "" {
			continue
		}
		if err := digest.Validate(f.value); err != nil {
			return nil, fmt.Errorf("--%s: %w", f.flag, err)
		}
	}
	if len(msg.Inputs) == 0 {
		return nil, errors.New("--input is required: the digest of at least one registered dataset")
	}
	for _, f := range []struct {
		flag   string
		values []string
	}{{"input", msg.Inputs}, {"linked-output", msg.Outputs}} {
		for _, d := range f.values {
			if err := digest.Validate(d); err != nil {
				return nil, fmt.Errorf("--%s: %w", f.flag, err)
			}
		}
	}
	newOutputs, err := cmd.Flags().GetStringArray("new-output")
	if err != nil {
		return nil, fmt.Errorf("--new-output: %w", err)
	}
	for i, s := range newOutputs {
		spec, err := parseLineageNewOutput(s)
		if err != nil {
			return nil, fmt.Errorf("--new-output #%d %q: %w", i+1, s, err)
		}
		msg.NewOutputs = append(msg.NewOutputs, spec)
	}
	if path := e.v.GetString("new-outputs-file"); path != "" {
		specs, err := e.readLineageDatasetSpecs(path)
		if err != nil {
			return nil, fmt.Errorf("--new-outputs-file: %w", err)
		}
		msg.NewOutputs = append(msg.NewOutputs, specs...)
	}
	if len(msg.Outputs)+len(msg.NewOutputs) == 0 {
		return nil, errors.New("a run needs an output: give --linked-output, --new-output or --new-outputs-file")
	}
	return msg, nil
}

// parseLineageNewOutput reads "DIGEST,key=value,..." (see record-run's help).
func parseLineageNewOutput(s string) (*lineagepb.DatasetSpec, error) {
	fields := strings.Split(s, ",")
	spec := &lineagepb.DatasetSpec{Digest: strings.TrimSpace(fields[0])}
	if err := digest.Validate(spec.Digest); err != nil {
		return nil, fmt.Errorf("the first field must be the digest: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		key, value, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return nil, fmt.Errorf("field %q: want key=value", f)
		}
		if key == "namespace" {
			key = "ns"
		}
		if seen[key] && key != "license" {
			return nil, fmt.Errorf("%s given twice", key)
		}
		seen[key] = true
		switch key {
		case "ns":
			spec.Namespace = value
		case "name":
			spec.Name = value
		case "version":
			spec.Version = value
		case "size":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("size %q: want a number of bytes", value)
			}
			spec.SizeBytes = n
		case "media-type":
			spec.MediaType = value
		case "schema-digest":
			if err := digest.Validate(value); err != nil {
				return nil, fmt.Errorf("schema-digest: %w", err)
			}
			spec.SchemaDigest = value
		case "uri":
			spec.Uri = value
		case "license":
			spec.LicenseIds = append(spec.LicenseIds, value)
		default:
			return nil, fmt.Errorf("unknown field %q (want ns, name, version, size, media-type, schema-digest, uri or license)", key)
		}
	}
	for _, req := range []string{"ns", "name", "version"} {
		if !seen[req] {
			return nil, fmt.Errorf("%s= is required", req)
		}
	}
	return spec, nil
}

// readLineageDatasetSpecs reads a JSON array of DatasetSpec in protobuf JSON form.
func (e *env) readLineageDatasetSpecs(path string) ([]*lineagepb.DatasetSpec, error) {
	data, err := readInput(e.stdin, expandHome(path))
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of dataset specs: %w", path, err)
	}
	specs := make([]*lineagepb.DatasetSpec, len(raw))
	for i, r := range raw {
		specs[i] = new(lineagepb.DatasetSpec)
		if err := protojson.Unmarshal(r, specs[i]); err != nil {
			return nil, fmt.Errorf("%s: element %d: %w", path, i, err)
		}
	}
	return specs, nil
}

// lineageEventAttribute returns the value of key in the first event of type typ.
func lineageEventAttribute(res *client.Result, typ, key string) string {
	for _, ev := range res.Events {
		if ev.Type != typ {
			continue
		}
		for _, at := range ev.Attributes {
			if at.Key == key {
				return at.Value
			}
		}
	}
	return ""
}

func (e *env) lineageQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "lineage", Short: "Datasets and the runs that derive them"}

	dataset := &cobra.Command{
		Use:         "dataset DIGEST",
		Annotations: runsQuery(lineageQueryPath("Dataset")),
		Short:       "Show a dataset and the organisations that attested it",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, lineageQueryPath("Dataset"), &lineagepb.QueryDatasetRequest{Digest: args[0]}, &lineagepb.QueryDatasetResponse{})
		},
	}
	byName := &cobra.Command{
		Use:         "dataset-by-name NAMESPACE NAME VERSION",
		Annotations: runsQuery(lineageQueryPath("DatasetByName")),
		Short:       "Show the dataset registered as NAMESPACE/NAME@VERSION",
		Args:        cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, lineageQueryPath("DatasetByName"),
				&lineagepb.QueryDatasetByNameRequest{Namespace: args[0], Name: args[1], Version: args[2]}, &lineagepb.QueryDatasetByNameResponse{})
		},
	}
	history := &cobra.Command{
		Use:         "history NAMESPACE NAME",
		Annotations: runsQuery(lineageQueryPath("DatasetHistory")),
		Short:       "List the versions of NAMESPACE/NAME in registration order",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			return e.query(cmd, lineageQueryPath("DatasetHistory"),
				&lineagepb.QueryDatasetHistoryRequest{Namespace: args[0], Name: args[1], Limit: e.v.GetUint32("limit")}, &lineagepb.QueryDatasetHistoryResponse{})
		},
	}
	history.Flags().Uint32("limit", 100, "at most this many (at most 1000)")

	lineage := &cobra.Command{
		Use:         "lineage DIGEST",
		Annotations: runsQuery(lineageQueryPath("Lineage")),
		Short:       "Walk a dataset's lineage breadth first",
		Long: `Walk derived-from edges from DIGEST: upstream towards the datasets it was
derived from, or downstream towards what was derived from it. Every dataset is
listed once at its shortest depth; "truncated" says a limit cut the walk short.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			dir, err := parseLineageDirection(e.v.GetString("direction"))
			if err != nil {
				return fmt.Errorf("--direction: %w", err)
			}
			return e.query(cmd, lineageQueryPath("Lineage"), &lineagepb.QueryLineageRequest{
				Digest: args[0], Direction: dir, MaxDepth: e.v.GetUint32("depth"), MaxNodes: e.v.GetUint32("max-nodes"),
			}, &lineagepb.QueryLineageResponse{})
		},
	}
	lineage.Flags().String("direction", "upstream", "upstream or downstream")
	lineage.Flags().Uint32("depth", 10, "how many edges deep to walk (at most 100)")
	lineage.Flags().Uint32("max-nodes", 1000, "stop after this many datasets (at most 10000)")

	run := &cobra.Command{
		Use:         "run ID",
		Annotations: runsQuery(lineageQueryPath("Run")),
		Short:       "Show a run",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, lineageQueryPath("Run"), &lineagepb.QueryRunRequest{Id: args[0]}, &lineagepb.QueryRunResponse{})
		},
	}
	runs := &cobra.Command{
		Use:         "runs DIGEST",
		Annotations: runsQuery(lineageQueryPath("RunsByDataset")),
		Short:       "List the runs that consumed or produced a dataset",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			return e.query(cmd, lineageQueryPath("RunsByDataset"),
				&lineagepb.QueryRunsByDatasetRequest{Digest: args[0], Limit: e.v.GetUint32("limit")}, &lineagepb.QueryRunsByDatasetResponse{})
		},
	}
	runs.Flags().Uint32("limit", 100, "at most this many runs, both lists together (at most 1000)")

	cmd.AddCommand(dataset, byName, history, lineage, run, runs, e.datasetsListCmd(), e.lineageRevocationQueryCmd())
	return cmd
}

func parseLineageDirection(s string) (lineagepb.Direction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "upstream", "up":
		return lineagepb.Direction_DIRECTION_UPSTREAM, nil
	case "downstream", "down":
		return lineagepb.Direction_DIRECTION_DOWNSTREAM, nil
	}
	return 0, fmt.Errorf("%q: want upstream or downstream", s)
}
