package gov_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/gov"
	pb "github.com/lineageledger/lineaged/x/gov/govv1"
)

func ExampleNextIDKey() {
	fmt.Printf("%x\n", gov.NextIDKey())
	// Output: 01
}

func ExampleProposalKey() {
	fmt.Printf("%x\n", gov.ProposalKey(7))
	// Output: 020000000000000007
}

func ExampleVotesPrefix() {
	fmt.Printf("%x\n", gov.VotesPrefix(7))
	// Output: 030000000000000007
}

func ExampleVoteKey() {
	fmt.Printf("%x\n", gov.VoteKey(7, "ab"))
	// Output: 030000000000000007026162
}

func ExampleQueuePrefix() {
	fmt.Printf("%x\n", gov.QueuePrefix(300))
	// Output: 04000000000000012c
}

func ExampleQueueKey() {
	fmt.Printf("%x\n", gov.QueueKey(300, 7))
	// Output: 04000000000000012c0000000000000007
}

func ExampleStatusPrefix() {
	fmt.Printf("%x\n", gov.StatusPrefix(pb.ProposalStatus_PROPOSAL_STATUS_VOTING))
	// Output: 0501
}

func ExampleStatusKey() {
	fmt.Printf("%x\n", gov.StatusKey(pb.ProposalStatus_PROPOSAL_STATUS_PASSED, 7))
	// Output: 05020000000000000007
}
