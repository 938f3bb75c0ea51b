package workflow

// batchActions are the actions of the national stage. The ministry takes them on
// many applications at once through the store's batch methods (Assign, OpenNotice,
// Publish, RemovePlatform: one transaction each, one transitions row per
// application), from its own pages, never from an application's review page.
var batchActions = map[Action]bool{
	Assign: true, Publicize: true, NotList: true, List: true, Remove: true,
}

// Batch reports whether the rule's action runs in a batch of the national stage
// (assign, publicize, not_list, list, remove) rather than as a single-application
// action of the review pages. Next decides it all the same.
func (r Rule) Batch() bool { return batchActions[r.Action] }

// NationalActions lists the actions of the national stage in workflow order.
var NationalActions = []Action{Assign, Publicize, NotList, List, Remove}
