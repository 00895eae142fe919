package checker

// The sections of a Result that the run-level checks fill (checker/runcheck, checker/group),
// and the methods by which their findings join a history's result. They live here because a
// Result is written as results.json: its shape is this package's.

// FaultImpact is one injected fault and how long it took the cluster to recover from it.
// Durations are seconds from the fault's invocation; nil means it did not happen during the run
// (or does not apply: a fault with no partition has no new leader to wait for).
type FaultImpact struct {
	Fault    string   `json:"fault"`
	Nodes    []string `json:"nodes,omitempty"`
	Key      string   `json:"key,omitempty"` // the partition a leader fault aimed at
	InvokeOp int64    `json:"invoke_op"`
	// InjectedOp is the op that recorded the injection done (the nemesis' info completion).
	InjectedOp int64  `json:"injected_op,omitempty"`
	Start      int64  `json:"start"`         // ns since the run began
	Recovered  *int64 `json:"end,omitempty"` // ns: when its recovery completed
	Error      string `json:"error,omitempty"`
	// RecoveryError says why the fault's own recovery failed (heal-all then ended it).
	RecoveryError string `json:"recovery_error,omitempty"`
	// NewControllerAfter: until another node than the fault's target became the controller:
	// /controller named it (ZooKeeper) or it claimed the quorum's leadership at a higher epoch
	// (KRaft). Measured only for faults aimed at the controller in office.
	NewControllerAfter *float64 `json:"new_controller_after_s,omitempty"`
	// NewLeaderAfter: until Key had a leader other than the one it had when the fault began
	// (ZooKeeper's record, or else the first broker's metadata view to show one at a higher
	// leader epoch).
	NewLeaderAfter *float64 `json:"new_leader_after_s,omitempty"`
	// SendsOKAfter: until a send invoked after the fault began (to Key, if any) was acknowledged.
	SendsOKAfter *float64 `json:"sends_ok_after_s,omitempty"`
	// NewCoordinatorAfter: until the group workload's FindCoordinator look-up named a broker other
	// than the one the fault aimed at (coordinator faults only).
	NewCoordinatorAfter *float64 `json:"new_coordinator_after_s,omitempty"`
	// PowerLoss marks a power fault; DataLost is what each node it cut lost (nothing when it
	// failed before the loss), and LostWritesBefore the lost writes acknowledged before its
	// injection was done and not before the previous power fault's (AttributeLostWrites).
	PowerLoss        bool       `json:"power_loss,omitempty"`
	DataLost         []DataLoss `json:"data_lost,omitempty"`
	LostWritesBefore *int       `json:"lost_writes_before,omitempty"`
}

// DataLoss is what a power fault dropped from one data directory of a node: file bytes and
// directory entries that were written and not fsynced (the nemesis' record of lazyfs's reply).
type DataLoss struct {
	Node    string `json:"node"`
	Dir     string `json:"dir"`
	Bytes   int64  `json:"bytes"`
	Files   int    `json:"files"`
	Entries int    `json:"entries"`
}

// GroupStats describe the consumer-group ops of a history. Re-deliveries are expected under
// at-least-once delivery, so they are counted here rather than reported as anomalies.
type GroupStats struct {
	Members          int   `json:"members"`     // distinct member ids that joined
	Generations      int   `json:"generations"` // distinct generations joined
	Rebalances       int64 `json:"rebalances"`  // ok rebalance ops
	CommitsOK        int64 `json:"commits_ok"`
	CommitsFail      int64 `json:"commits_fail"`
	CommitsInfo      int64 `json:"commits_info"`
	Reads            int64 `json:"reads"`       // records returned to members
	Redelivered      int64 `json:"redelivered"` // of those, offsets some member had read before
	CoordinatorMoves int   `json:"coordinator_moves"`
	Coordinators     []int `json:"coordinators,omitempty"` // broker ids seen as coordinator, in order of first sight
	// UnconsumedUnknown counts acked values no member read where the group's drain did not
	// catch up: they may simply not have been read yet, so they are not group-unconsumed.
	UnconsumedUnknown int64 `json:"unconsumed_unknown,omitempty"`
}

// TxnStats describe the transactions of a history of the txn workload (checker/txn).
type TxnStats struct {
	Committed        int64 `json:"committed"`          // ok
	Aborted          int64 `json:"aborted"`            // fail
	AbortedOnPurpose int64 `json:"aborted_on_purpose"` // of those, the ones the workload meant to abort
	Indeterminate    int64 `json:"indeterminate"`      // info
	Incomplete       int64 `json:"incomplete"`         // invoked, never completed
	Mops             int64 `json:"mops"`               // micro-operations of completed transactions
	Sends            int64 `json:"sends"`
	Polls            int64 `json:"polls"` // polls that ran
	// The dependency graph's transactions (committed ones, and indeterminate ones whose sends
	// were read) and the edges between them (ww, wr, process and real-time order).
	GraphNodes   int     `json:"graph_nodes"`
	GraphEdges   int     `json:"graph_edges"`
	CycleSeconds float64 `json:"cycle_search_seconds"`
}

// AddAnomalies merges anomalies found outside the history checks (the election log's, the
// consumer group's) into r and recomputes its verdict. allow is the run's allowed set
// (UncleanElection belongs in it when unclean election is enabled).
func (r *Result) AddAnomalies(anomalies []Anomaly, allow map[AnomalyType]bool) {
	if r.Anomalies == nil {
		r.Anomalies = map[AnomalyType][]Anomaly{}
	}
	for _, a := range anomalies {
		r.Anomalies[a.Type] = append(r.Anomalies[a.Type], a)
	}
	r.Allowed = nil
	r.verdict(allow)
}

// AddIncomplete records reasons the verdict is unknown and decides the verdict again: anomalies
// found still make it invalid.
func (r *Result) AddIncomplete(reasons []string, allow map[AnomalyType]bool) {
	if len(reasons) == 0 {
		return
	}
	r.Incomplete = append(r.Incomplete, reasons...)
	r.Allowed = nil
	r.verdict(allow)
}
