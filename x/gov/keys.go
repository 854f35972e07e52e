package gov

import (
	"encoding/binary"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
)

// Key prefixes within the module's store, ids and heights big-endian
// (the layout is in doc.go):
//
//	0x01                                 → next proposal id, 8 bytes
//	0x02 | id(8)                         → Proposal
//	0x03 | id(8) | len(orgID) | orgID    → Vote (the organisation's latest)
//	0x04 | votingEndHeight(8) | id(8)    → empty: the proposals decided at the end of that block
//	0x05 | status(1) | id(8)             → empty: the proposals in a status
const (
	prefixNextID   = 0x01
	prefixProposal = 0x02
	prefixVote     = 0x03
	prefixQueue    = 0x04
	prefixStatus   = 0x05
)

// NextIDKey holds the id the next proposal gets.
func NextIDKey() []byte { return []byte{prefixNextID} }

// ProposalKey is where proposal id is stored.
func ProposalKey(id uint64) []byte { return idKey(prefixProposal, id, 0) }

// VotesPrefix prefixes the votes on proposal id.
func VotesPrefix(id uint64) []byte { return idKey(prefixVote, id, 0) }

// VoteKey is where orgID's vote on proposal id is stored.
func VoteKey(id uint64, orgID string) []byte {
	if len(orgID) > 255 {
		panic("gov: organisation id longer than 255 bytes reached the key builder")
	}
	k := idKey(prefixVote, id, 1+len(orgID))
	k = append(k, byte(len(orgID)))
	return append(k, orgID...)
}

// QueuePrefix prefixes the proposals whose voting period ends at height.
func QueuePrefix(height int64) []byte { return idKey(prefixQueue, uint64(height), 0) }

// QueueKey queues proposal id to be decided at the end of block height.
func QueueKey(height int64, id uint64) []byte {
	k := make([]byte, 17)
	k[0] = prefixQueue
	binary.BigEndian.PutUint64(k[1:], uint64(height))
	binary.BigEndian.PutUint64(k[9:], id)
	return k
}

// StatusPrefix prefixes the proposals in status.
func StatusPrefix(status pb.ProposalStatus) []byte { return []byte{prefixStatus, byte(status)} }

// StatusKey indexes proposal id under status.
func StatusKey(status pb.ProposalStatus, id uint64) []byte {
	k := make([]byte, 10)
	k[0], k[1] = prefixStatus, byte(status)
	binary.BigEndian.PutUint64(k[2:], id)
	return k
}

// idKey is prefix | id(8), with room for extra more bytes.
func idKey(prefix byte, id uint64, extra int) []byte {
	k := make([]byte, 9, 9+extra)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}
