package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// listFlags are the filters and paging flags of the listing commands.
func listFlags(cmd *cobra.Command, what, cursor string, defLimit, maxLimit, defScan, maxScan int) {
	f := cmd.Flags()
	f.String("namespace", "", "only "+what+" in this namespace")
	f.String("prefix", "", "only "+what+" whose name starts with this")
	f.String("org", "", "only "+what+" of this organisation")
	f.String("license", "", "only "+what+" offered under this licence id")
	f.String("start-after", "", "continue after this "+cursor+" (the last page's next_start_after)")
	f.Uint32("limit", uint32(defLimit), fmt.Sprintf("at most this many (at most %d)", maxLimit))
	f.Uint32("max-scan", uint32(defScan), fmt.Sprintf("examine at most this many records for the page, matching or not (at most %d)", maxScan))
}

// printPage prints a page of a listing, then, on stderr, how to read on.
func (e *env) printPage(resp proto.Message, next string, scanned uint32, bounded bool) error {
	if err := e.printProto(resp); err != nil {
		return err
	}
	switch {
	case bounded:
		fmt.Fprintf(e.stderr, "examined %d records (--max-scan) before the page filled: more may match; continue with --start-after %s\n", scanned, next)
	case next != "":
		fmt.Fprintf(e.stderr, "more remain: continue with --start-after %s\n", next)
	}
	return nil
}

func (e *env) modelsListCmd() *cobra.Command {
	path := modelsQueryPath + "Models"
	cmd := &cobra.Command{
		Use:         "list",
		Annotations: runsQuery(path),
		Short:       "List model versions by namespace, name prefix, organisation and licence",
		Long: `List model versions a page at a time, in the order of their keys: shorter names
first, names of one length alphabetically, the versions of a name likewise.

--namespace keeps names in a namespace ("acme" of "acme/bot"); --prefix keeps
names starting with a prefix (with --namespace, of the part after "NS/"). Both
read only the records they list. --org and --license examine records in that
order and keep those that match: a page examines at most --max-scan records and,
when that stops it before --limit matched, says so. Either way the answer's
next_start_after is where to continue (--start-after); empty when nothing remains.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			req := &modelspb.QueryModelsRequest{
				Namespace: e.v.GetString("namespace"), Prefix: e.v.GetString("prefix"),
				Org: e.v.GetString("org"), LicenseId: e.v.GetString("license"),
				StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit"), MaxScan: e.v.GetUint32("max-scan"),
			}
			resp := &modelspb.QueryModelsResponse{}
			if err := e.ask(cmd, path, req, resp); err != nil {
				return err
			}
			return e.printPage(resp, resp.NextStartAfter, resp.Scanned, resp.ScanBoundReached)
		},
	}
	listFlags(cmd, "versions", "NAME@VERSION", models.DefaultPageLimit, models.MaxPageLimit, models.DefaultMaxScan, models.MaxScan)
	return cmd
}

func (e *env) datasetsListCmd() *cobra.Command {
	path := lineageQueryPath("Datasets")
	cmd := &cobra.Command{
		Use:         "datasets",
		Annotations: runsQuery(path),
		Short:       "List datasets by namespace, name prefix, owning organisation and licence",
		Long: `List datasets a page at a time, in the order of the name index: by namespace,
then name, then version, each shorter first and then alphabetically.

--namespace reads only that namespace's datasets, and --prefix with it only the
names starting with the prefix. --prefix without --namespace, --org (the owning
organisation) and --license examine datasets in that order and keep those that
match: a page examines at most --max-scan datasets and, when that stops it before
--limit matched, says so. Either way the answer's next_start_after (a digest) is
where to continue (--start-after); empty when nothing remains.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			req := &lineagepb.QueryDatasetsRequest{
				Namespace: e.v.GetString("namespace"), Prefix: e.v.GetString("prefix"),
				Org: e.v.GetString("org"), LicenseId: e.v.GetString("license"),
				StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit"), MaxScan: e.v.GetUint32("max-scan"),
			}
			resp := &lineagepb.QueryDatasetsResponse{}
			if err := e.ask(cmd, path, req, resp); err != nil {
				return err
			}
			return e.printPage(resp, resp.NextStartAfter, resp.Scanned, resp.ScanBoundReached)
		},
	}
	listFlags(cmd, "datasets", "dataset DIGEST", lineage.DefaultPageLimit, lineage.MaxPageLimit, lineage.DefaultMaxScan, lineage.MaxScan)
	return cmd
}
