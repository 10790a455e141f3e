// Package sensor runs cnids' detection pipeline for one input: a capture
// source feeds the flow table, finished connections become NSL-KDD
// feature rows in connection order, a pool of classifier workers turns
// batches of rows into verdicts, and the alert events are written to a
// sink in connection order.
//
//	capture.Source -> flow.Table -> features.KDDExtractor -> model.Classifier x N -> alert.Sink
//
// Every arrow is a channel of batches. The stages run under one errgroup:
// an error in any stage stops the run and is returned. Cancelling the
// stop context is the graceful shutdown: reading stops, every open flow is
// flushed (reason "shutdown"), classified and written, and Run returns the
// counters.
//
// Determinism: the flow stage emits connections in a deterministic order,
// the features stage numbers its batches, and the sink stage writes them
// in that order; a row's verdict does not depend on the other rows of its
// batch. The same input, flags and model therefore give the same events
// in the same order whatever the worker count, as long as no flow was
// evicted.
//
// Without a classifier the pipeline hands each row to a function instead
// (cnids extract).
package sensor
