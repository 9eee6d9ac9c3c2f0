// Package pipeline moves change events from sources through chunkers and embedders into a
// store. It is the only package that imports Watermill: the router, the topics, the event
// envelope, the middleware (panic recovery, retries, dead letters) and the bus back ends live
// here.
package pipeline

import (
	"encoding/json"
	"fmt"

	"github.com/codectx/codectx"
)

// SchemaVersion is the version of the event envelope and of every payload in it. It changes
// only when a payload changes incompatibly.
const SchemaVersion = 1

// Topic names.
const (
	// TopicSyncRequests carries SyncRequest events.
	TopicSyncRequests = "codectx.sync.requests"
	// TopicChanges is the prefix of the change topics. On the in-process bus changes are
	// partitioned by path over TopicChanges+".<n>", so that several handlers work in parallel
	// while the changes of one path stay in order.
	TopicChanges = "codectx.changes"
	// TopicDeadChanges receives change events the change handler could not handle.
	TopicDeadChanges = "codectx.dead.changes"
	// TopicDeadSyncRequests receives sync requests the sync handler could not handle.
	TopicDeadSyncRequests = "codectx.dead.sync"
)

// Event types, as written in the envelope.
const (
	TypeSyncRequest = "sync_request"
	TypeChange      = "change"
)

// Envelope wraps every event on the bus.
type Envelope struct {
	Schema int             `json:"schema"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
}

// SyncRequest asks for a source to be synced. It is only a hint: the sync reconciles with the
// source's current tip, so duplicates and replays are harmless.
type SyncRequest struct {
	Source     string `json:"source"`
	Reason     string `json:"reason"`                // schedule, webhook, admin, startup, cli
	DeliveryID string `json:"delivery_id,omitempty"` // the webhook's delivery id, for tracing
}

// ChangeEvent is one changed file, tagged with the sync run that produced it.
type ChangeEvent struct {
	codectx.Change
	RunID string `json:"run_id,omitempty"`
}

func encode(typ string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", typ, err)
	}
	return json.Marshal(Envelope{Schema: SchemaVersion, Type: typ, Data: data})
}

// decode reads an envelope of the given type into v. A wrong schema or type is permanent: no
// retry can make this process understand the event.
func decode(payload []byte, typ string, v any) error {
	var env Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return codectx.Permanent(fmt.Errorf("decoding envelope: %w", err))
	}
	if env.Schema != SchemaVersion {
		return codectx.Permanent(fmt.Errorf("event schema %d, this build reads %d", env.Schema, SchemaVersion))
	}
	if env.Type != typ {
		return codectx.Permanent(fmt.Errorf("event type %q, expected %q", env.Type, typ))
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return codectx.Permanent(fmt.Errorf("decoding %s: %w", typ, err))
	}
	return nil
}
