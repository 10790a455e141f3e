package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/cnids/cnids/features"
	"github.com/cnids/cnids/model"
	"github.com/cnids/cnids/train"
)

// writePredictions writes one CSV line per row: its line in the input,
// true and predicted class, the alert score and each class probability.
func writePredictions(path string, frame *features.Frame, ev *train.Evaluation, mf *model.File) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	classes := mf.Header.Classes
	k := len(classes)
	fmt.Fprint(w, "line,true,predicted,score,alert")
	for _, c := range classes {
		fmt.Fprintf(w, ",p_%s", c)
	}
	fmt.Fprintln(w)
	normal := mf.Header.NormalClass
	var buf []byte
	for i := range ev.Pred {
		p := ev.Probs[i*k : (i+1)*k]
		score := 1 - float64(p[normal])
		buf = buf[:0]
		buf = strconv.AppendInt(buf, int64(frame.Line[i]), 10)
		buf = append(buf, ',')
		buf = append(buf, classes[frame.Y[i]]...)
		buf = append(buf, ',')
		buf = append(buf, classes[ev.Pred[i]]...)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, score, 'g', 6, 64)
		buf = append(buf, ',')
		buf = strconv.AppendBool(buf, score > mf.Header.Threshold)
		for _, v := range p {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, float64(v), 'g', 6, 32)
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
