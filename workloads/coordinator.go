package workloads

// CoordinatorValue is a FindCoordinator look-up of a consumer group (workloads/group), or of a
// transactional id (workloads/txn); ok carries the coordinator's broker id.
type CoordinatorValue struct {
	Group  string `json:"group,omitempty"`
	TxnID  string `json:"txn_id,omitempty"`
	Broker *int   `json:"broker,omitempty"`
}
