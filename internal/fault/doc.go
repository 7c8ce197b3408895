// Package fault injects faults into the hops of the network, live: latency, dropped
// requests, a party or a link that is down, a forced response code. It sits below every
// party and imports only the root package, so it works on any bandeira.Authorizer.
//
// A Registry holds at most one Fault per Target and is changed while requests flow. Its
// Wrap decorates an Authorizer for one target: with no fault set a call costs one atomic
// load more than the Authorizer it wraps. cmd/bandeira wraps every party and every callee
// it builds (docs/faults.md says where each target applies in both topologies).
//
// The random draws (drop, jitter) come from a generator per target seeded from the
// Registry's seed and the target's name, restarted each time the target's fault is set,
// so the same seed and the same sequence of calls to a target give the same faults.
package fault
