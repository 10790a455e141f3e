// Package model holds cnids' neural networks: layers with forward and
// backward passes, the networks built from an Arch (the reference 1-D
// CNN and a CNN+LSTM), the softmax cross-entropy loss, optimisers, and
// batched, allocation-free inference for many goroutines at once.
//
// # Data layout
//
// A sample is channel-major, C channels of L positions with the position
// fastest, as one row of PyTorch's NCL layout; an encoded feature vector
// of F columns is one channel of F positions. A batch is its samples one
// after another. Flatten therefore moves no data, and a Dense layer after
// it sees the C*L features in torch.flatten(1)'s order, so that weights
// are interchangeable with PyTorch's: every parameter has PyTorch's shape
// and element order (Conv1d (out, in, kernel), Linear (out, in), LSTM
// weight_ih/weight_hh/bias_ih/bias_hh with gates i, f, g, o).
//
// # Layers
//
// A Layer maps a batch x of In()-shaped samples to y of Out()-shaped ones.
// It owns its parameters (Params, trainable, as *tensor.Dense values
// with gradients; Buffers, saved state such as BatchNorm's running
// statistics) and nothing else: everything a call needs or leaves behind
// for its backward pass lives in a scratch slice the caller passes, sized
// by ScratchLen. Backward adds parameter gradients into slices the caller
// passes (so that parallel shards can accumulate separately) and writes
// the input gradient when asked. The layers are Conv1D (im2col + GEMM;
// stride, padding, any channels and kernel), MaxPool1D (first maximum
// wins, as PyTorch), Dense, ReLU, Dropout (inverted; the mask is drawn by
// Sample from the step's rng), BatchNorm (per channel over batch and
// positions, or per feature; batch statistics in training, running
// statistics at inference), Flatten and LSTM (positions are time steps,
// channels the input features; last hidden state or the whole sequence;
// full backpropagation through time).
//
// Networks run Conv1D, ReLU and MaxPool1D that follow each other as one
// fused step that computes exactly what the three layers compute (a test
// compares them bit for bit) with two passes over the convolution output
// instead of six. Convolutions work on chunks of samples sized so that a
// chunk's im2col matrix and GEMM output stay in the L2 cache; the
// backward pass recomputes a chunk's im2col matrix rather than keeping the
// whole batch's.
//
// # Workspaces and concurrency
//
// A Network's parameters are only read by Predict and by Forward in
// inference mode, so one Network serves any number of goroutines, each
// with its own Workspace (NewWorkspace): the Workspace holds every
// activation, gradient and scratch buffer for batches up to its size, and
// after it is made Predict, Forward, Backward and TrainStep allocate
// nothing (with OpenBLAS; gonum's GEMM allocates inside its own calls).
// Training (Forward with train set, which updates BatchNorm's running
// statistics, Backward, optimiser steps) is for one goroutine at a time.
// A parallel workspace (NewParallelWorkspace) splits each batch into
// shards that run on their own goroutines with their own gradient
// accumulators, added up in shard order: results are deterministic for a
// given shard count, independent of GOMAXPROCS. Dropout masks are drawn
// serially before the shards run, so they do not depend on the split. A
// network with BatchNorm always runs unsplit, since its training
// statistics span the whole batch.
//
// # Element type
//
// Everything is generic over Float (float32 | float64). Production uses
// float32; the gradient checks use float64, where central differences are
// accurate enough to compare analytic gradients to a relative error below
// 1e-6. Matrix products go through internal/gemm (OpenBLAS when present,
// gonum otherwise).
//
// # Initialisation and optimisers
//
// Build draws weights from the seeded *rand.Rand it is given:
// He-uniform (Kaiming, bound sqrt(6/fan_in)) for the convolutions and
// hidden dense layers, which ReLUs follow, and Glorot-uniform (bound
// sqrt(6/(fan_in+fan_out))) for the LSTM (per gate) and the output layer;
// biases are 0 except the LSTM's forget-gate bias, 1. SGD (momentum,
// dampening, Nesterov) and Adam (bias-corrected; L2 or decoupled AdamW
// weight decay) follow PyTorch's update rules exactly (tests compare
// three steps of each with PyTorch); weight decay applies only to
// parameters whose Decay flag is set, the weights of convolutions, dense
// layers and the LSTM, never biases or BatchNorm's scale and shift.
// ClipGradNorm clips the global gradient norm as clip_grad_norm_.
// Optimisers take a settable learning rate for schedules.
//
// # Why by hand
//
// No maintained Go library provides these layers with backward passes on
// gorgonia tensors at this speed: gorgonia's own graph engine is
// unmaintained and slow on the CPU, and gonum has matrix products but no
// layers. So the layers are written here as plain loops over the tensors'
// backing slices around GEMM calls. gorgonia.org/tensor supplies the
// tensor type for parameters and the public API; its generic operations
// are not used in hot loops. The elementwise kernels are branch-free
// where the branch would be on random data (a branchy ReLU backward cost
// 6 ns per value, the branch-free one 0.5 ns), and the LSTM's float32 exp
// is a short inlined polynomial (exp32) because math.Exp through float64
// was its bottleneck.
//
// Performance notes: the GEMMs take most of the time; what remains is
// the passes around them, which Go does not vectorise. The one that
// mattered most, bias + ReLU + max-pool over every convolution output
// (a quarter of inference time in scalar Go), has an AVX2 kernel in
// pool2_amd64.s, used when the CPU has AVX2 and tested bit for bit
// against the Go version, which other CPUs and architectures run.
// Skipping the positions of the second convolution that see only zero
// inputs (one-hot blocks) was tried and measured: exact, but the
// gathering and scattering it needs in scalar Go cost as much as the GEMM
// work it saved, so it is not used. OpenBLAS's kernel choice matters more
// than anything here: its AVX-512 (SkylakeX) kernels run this network's
// GEMMs 1.6 to 1.9 times as fast as the AVX2 (Haswell) ones, so an
// OPENBLAS_CORETYPE=Haswell left in the environment costs that much.
package model
