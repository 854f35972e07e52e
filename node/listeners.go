package node

import (
	"fmt"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
)

// Listeners are the addresses a node listens on: CometBFT's RPC and P2P
// (config.toml) and the application's gRPC and REST APIs (app.toml).
type Listeners struct {
	RPC, P2P, GRPC, REST string
}

// ReadListeners reads home's listeners from its config files alone, without
// the environment variables and flags that may override them for one run.
func ReadListeners(home string) (Listeners, error) {
	cmt, err := LoadCometConfig(home)
	if err != nil {
		return Listeners{}, err
	}
	app, err := LoadConfig(home, viper.New())
	if err != nil {
		return Listeners{}, err
	}
	return Listeners{RPC: cmt.RPC.ListenAddress, P2P: cmt.P2P.ListenAddress, GRPC: app.API.GRPCAddress, REST: app.API.RESTAddress}, nil
}

// WriteListeners stores the non-empty addresses of l in home's config.toml
// and app.toml, so that later runs listen there too; everything else in
// the files keeps its value. A file is rewritten only if one of its
// addresses changes.
func WriteListeners(home string, l Listeners) error {
	cmt, err := LoadCometConfig(home)
	if err != nil {
		return err
	}
	rpc, p2p := set(&cmt.RPC.ListenAddress, l.RPC), set(&cmt.P2P.ListenAddress, l.P2P)
	if rpc || p2p {
		if err := cmt.ValidateBasic(); err != nil {
			return fmt.Errorf("invalid listen address: %w", err)
		}
		cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cmt)
	}
	app, err := LoadConfig(home, viper.New())
	if err != nil {
		return err
	}
	grpc, rest := set(&app.API.GRPCAddress, l.GRPC), set(&app.API.RESTAddress, l.REST)
	if grpc || rest {
		return WriteConfig(home, app)
	}
	return nil
}

// set sets *dst to v if v is not empty, and reports whether *dst changed.
func set(dst *string, v string) bool {
	if v == "" || *dst == v {
		return false
	}
	*dst = v
	return true
}
