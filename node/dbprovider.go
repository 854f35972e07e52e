package node

import (
	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/lineageledger/lineaged/app/store"
)

// dbProvider opens CometBFT's databases as CometBFT does, but a pebble
// database with the quiet logger the state store uses: pebble's default
// logger prints the replay of every write-ahead log at each start straight
// to stderr, outside the node's log.
func dbProvider(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	if dbm.BackendType(ctx.Config.DBBackend) != dbm.PebbleDBBackend {
		return cmtcfg.DefaultDBProvider(ctx)
	}
	return dbm.NewPebbleDBWithOpts(ctx.ID, ctx.Config.DBDir(), &pebble.Options{Logger: store.QuietPebbleLogger{}})
}
