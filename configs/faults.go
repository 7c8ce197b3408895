package configs

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bandeira/bandeira/internal/fault"
)

// Admin configures the admin API that every process serves on its HTTP port
// (/admin/faults; docs/faults.md).
type Admin struct {
	// TokenFile holds the API's bearer token. Empty: `bandeira run` (and `bandeira node`)
	// use <data_dir>/admin-token, writing a fresh random token there (mode 0600) when the
	// file does not exist yet. --admin-token-file overrides it.
	TokenFile string `yaml:"token_file"`
	// FaultSeed seeds the fault injector's random draws (drops and jitter), so that a run
	// reproduces. --fault-seed overrides it.
	FaultSeed uint64 `yaml:"fault_seed"`
}

// Faults are the faults set when the network starts, by target (docs/faults.md); the
// admin API and `bandeira fault` change them while it runs.
type Faults map[fault.Target]fault.Fault

// CheckFaultTarget reports whether t names a party or a link of this configuration: an
// issuer or network role it has, or a link from a role to one of the roles it calls.
func (c Config) CheckFaultTarget(t fault.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	roles := c.Roles()
	caller, callee, link := t.Link()
	if !link {
		parties := slices.DeleteFunc(slices.Clone(roles), func(r Role) bool {
			return r.Kind() != KindIssuer && r.Kind() != KindNetwork
		})
		if !slices.Contains(parties, Role(t)) {
			return fmt.Errorf("target %s: no such party (the parties are %s)", t, RoleList(parties))
		}
		return nil
	}
	if !slices.Contains(roles, Role(caller)) {
		return fmt.Errorf("target %s: no such party %s (the roles are %s)", t, caller, RoleList(roles))
	}
	if callees := c.Callees(Role(caller)); !slices.Contains(callees, Role(callee)) {
		return fmt.Errorf("target %s: %s does not call %s (it calls %s)", t, caller, callee, RoleList(callees))
	}
	return nil
}

// validateFaults checks every fault of the faults section, naming its target.
func (c Config) validateFaults() error {
	targets := make([]fault.Target, 0, len(c.Faults))
	for t := range c.Faults {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	var msgs []string
	for _, t := range targets {
		if err := c.CheckFaultTarget(t); err != nil {
			msgs = append(msgs, err.Error())
			continue
		}
		if err := c.Faults[t].Validate(); err != nil {
			msgs = append(msgs, fmt.Sprintf("target %s: %v", t, err))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
