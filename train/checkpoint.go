package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/cnids/cnids/model"
)

// runState is the resumable state of a training run.
type runState struct {
	epoch     int
	lr        float64
	best      float64
	bestEpoch int
	stale     int
	bestState [][]float32
	history   []EpochRecord
	shuffle   *rand.PCG
	dropout   *rand.PCG
}

// checkpoint is the on-disk form of runState (gob, followed by a SHA-256
// of the gob bytes so that a torn write is detected).
type checkpoint struct {
	Epoch     int
	LR        float64
	Best      float64
	BestEpoch int
	Stale     int
	History   []EpochRecord
	Shuffle   []byte
	Dropout   []byte
	Tensors   []string
	Weights   [][]float32
	BestState [][]float32
	Optimizer model.OptimizerState
}

var errNoCheckpoint = errors.New("no checkpoint")

func tensorNames(net *model.Network[float32]) []string {
	var names []string
	for _, p := range net.State() {
		names = append(names, p.Name)
	}
	return names
}

// save writes the state atomically to path.
func (s *runState) save(path string, net *model.Network[float32], opt model.Optimizer[float32]) error {
	ob, err := model.SaveOptimizer(opt, net.Params())
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	sh, _ := s.shuffle.MarshalBinary() // PCG's MarshalBinary never fails
	dr, _ := s.dropout.MarshalBinary()
	c := checkpoint{Epoch: s.epoch, LR: s.lr, Best: s.best, BestEpoch: s.bestEpoch, Stale: s.stale,
		History: s.history, Shuffle: sh, Dropout: dr, Tensors: tensorNames(net),
		Weights: net.StateFloat32(), BestState: s.bestState, Optimizer: ob}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&c); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cnids-ckpt-*")
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return nil
}

// load restores the state from path into s, net and opt. It returns
// errNoCheckpoint when path does not exist.
func (s *runState) load(path string, net *model.Network[float32], opt model.Optimizer[float32]) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errNoCheckpoint
	}
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if len(data) < sha256.Size {
		return fmt.Errorf("train: resume from %s: file too short", path)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return fmt.Errorf("train: resume from %s: checksum mismatch (corrupted or truncated)", path)
	}
	var c checkpoint
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&c); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	names := tensorNames(net)
	if len(names) != len(c.Tensors) {
		return fmt.Errorf("train: resume from %s: checkpoint has %d tensors, the network %d (another architecture?)", path, len(c.Tensors), len(names))
	}
	for i := range names {
		if names[i] != c.Tensors[i] {
			return fmt.Errorf("train: resume from %s: tensor %d is %s in the checkpoint and %s in the network", path, i, c.Tensors[i], names[i])
		}
	}
	if err := net.LoadState(c.Weights); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	if err := model.RestoreOptimizer(opt, net.Params(), c.Optimizer); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	if err := s.shuffle.UnmarshalBinary(c.Shuffle); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	if err := s.dropout.UnmarshalBinary(c.Dropout); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	s.epoch, s.lr, s.best, s.bestEpoch, s.stale = c.Epoch, c.LR, c.Best, c.BestEpoch, c.Stale
	s.history, s.bestState = c.History, c.BestState
	return nil
}
