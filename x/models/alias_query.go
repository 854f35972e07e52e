package models

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// ModelAlias implements pb.QueryServer: an alias's latest move.
func (q Querier) ModelAlias(_ context.Context, req *pb.QueryModelAliasRequest) (*pb.QueryModelAliasResponse, error) {
	if err := validateName(req.Name); err != nil {
		return nil, err
	}
	if err := validateAlias(req.Alias); err != nil {
		return nil, err
	}
	a, ok := loadAlias(q.r, req.Name, req.Alias)
	if !ok {
		return nil, ErrNotFound.Wrapf("alias %s of %s was never set", req.Alias, req.Name)
	}
	return &pb.QueryModelAliasResponse{Alias: a}, nil
}

// ModelAliases implements pb.QueryServer: the aliases of a name in key
// order (shorter first, then by their bytes), each with its latest move.
func (q Querier) ModelAliases(_ context.Context, req *pb.QueryModelAliasesRequest) (*pb.QueryModelAliasesResponse, error) {
	if err := validateName(req.Name); err != nil {
		return nil, err
	}
	var after []byte
	if req.StartAfter != "" {
		if err := kit.ValidateModelAlias("start_after", req.StartAfter); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
		after = AliasKey(req.Name, req.StartAfter)
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &pb.QueryModelAliasesResponse{}
	prefix := AliasesPrefix(req.Name)
	page := kit.ScanPage(q.r, []kit.KeyRange{{Start: prefix, End: kit.PrefixEnd(prefix)}}, after, limit, limit, func(key, value []byte) bool {
		a := new(pb.ModelAlias)
		kit.Decode(key, value, a)
		resp.Aliases = append(resp.Aliases, a)
		return true
	})
	if page.More {
		alias, _, ok := readPart(page.Last[len(prefix):])
		if !ok {
			panic(fmt.Sprintf("models: corrupt alias key %x", page.Last))
		}
		resp.NextStartAfter = alias
	}
	return resp, nil
}

// ModelAliasHistory implements pb.QueryServer: every move of an alias,
// oldest first. An alias never set has an empty history.
func (q Querier) ModelAliasHistory(_ context.Context, req *pb.QueryModelAliasHistoryRequest) (*pb.QueryModelAliasHistoryResponse, error) {
	if err := validateName(req.Name); err != nil {
		return nil, err
	}
	if err := validateAlias(req.Alias); err != nil {
		return nil, err
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	var after []byte
	if req.StartAfter > 0 {
		after = AliasMoveKey(req.Name, req.Alias, req.StartAfter)
	}
	resp := &pb.QueryModelAliasHistoryResponse{}
	prefix := AliasMovesPrefix(req.Name, req.Alias)
	page := kit.ScanPage(q.r, []kit.KeyRange{{Start: prefix, End: kit.PrefixEnd(prefix)}}, after, limit, limit, func(key, value []byte) bool {
		a := new(pb.ModelAlias)
		kit.Decode(key, value, a)
		resp.Moves = append(resp.Moves, a)
		return true
	})
	if page.More {
		if len(page.Last) != len(prefix)+8 {
			panic(fmt.Sprintf("models: corrupt alias move key %x", page.Last))
		}
		resp.NextStartAfter = binary.BigEndian.Uint64(page.Last[len(prefix):])
	}
	return resp, nil
}
