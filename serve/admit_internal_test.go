package serve

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A retrieval that finds every slot taken waits for one, and the wait is measured; one that
// finds a free slot counts a wait of zero; one whose request ends while it waits gives up.
func TestAdmitMeasuresTheWait(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(Config{Retrievals: 1, Registerer: reg, Log: slog.New(slog.DiscardHandler)})
	if err := s.admit(context.Background()); err != nil { // the only slot
		t.Fatal(err)
	}
	admitted := make(chan error, 1)
	go func() { admitted <- s.admit(context.Background()) }()
	select {
	case err := <-admitted:
		t.Fatalf("admitted while the only slot was taken (err %v)", err)
	case <-time.After(30 * time.Millisecond):
	}
	<-s.retrievals // release: the waiting retrieval takes the slot
	if err := <-admitted; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.admit(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("admit with every slot taken and a request that ends: %v, want the deadline", err)
	}
	<-s.retrievals
	if err := s.admit(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-s.retrievals

	m := gatherHistogram(t, reg, "codectx_retrieval_wait_seconds")
	if m.count != 3 {
		t.Errorf("%d waits counted, want 3 (the one that gave up is not)", m.count)
	}
	if m.sum < 0.025 {
		t.Errorf("waits sum to %.3fs; the second retrieval alone waited at least 30ms", m.sum)
	}
}

type histogram struct {
	count uint64
	sum   float64
}

func gatherHistogram(t *testing.T, reg *prometheus.Registry, name string) histogram {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			h := mf.GetMetric()[0].GetHistogram()
			return histogram{h.GetSampleCount(), h.GetSampleSum()}
		}
	}
	t.Fatalf("no histogram %s", name)
	return histogram{}
}
