package eval

import (
	"sort"
	"time"
)

// Budgets are the prompt sizes, in characters, at which span hits are counted.
var Budgets = []int{768, 2048, 4096}

// Outcome is how one retriever did on one task.
type Outcome struct {
	FileRank int // 1-based rank of the first snippet from the gold file in the top 10; 0: none
	SpanRank int // the same for the first snippet overlapping the gold span
	// InBudget[i] tells whether a snippet overlapping the gold span was packed within Budgets[i].
	InBudget []bool
	Latency  time.Duration
}

// hitsSpan reports whether s overlaps the gold span.
func hitsSpan(s Snippet, gold Span) bool {
	return s.File == gold.File && s.StartLine <= gold.EndLine && gold.StartLine <= s.EndLine
}

// Score ranks a retriever's answer for a task: ranked is its ranking, packed[i] what it packed
// within Budgets[i].
func Score(gold Span, ranked []Snippet, packed [][]Snippet, latency time.Duration) Outcome {
	o := Outcome{InBudget: make([]bool, len(packed)), Latency: latency}
	for i, s := range ranked {
		if i >= 10 {
			break
		}
		if o.FileRank == 0 && s.File == gold.File {
			o.FileRank = i + 1
		}
		if o.SpanRank == 0 && hitsSpan(s, gold) {
			o.SpanRank = i + 1
		}
	}
	for i, p := range packed {
		for _, s := range p {
			if hitsSpan(s, gold) {
				o.InBudget[i] = true
				break
			}
		}
	}
	return o
}

// Summary is a retriever's metrics over a set of tasks.
type Summary struct {
	Tasks  int     `json:"tasks"`
	File1  float64 `json:"file_hit_1"`
	File5  float64 `json:"file_hit_5"`
	File10 float64 `json:"file_hit_10"`
	Span1  float64 `json:"span_hit_1"`
	Span5  float64 `json:"span_hit_5"`
	Span10 float64 `json:"span_hit_10"`
	MRR    float64 `json:"mrr"` // by the span rank, over the top 10
	// Budget[i] is the span hit within Budgets[i] characters.
	Budget []float64 `json:"span_hit_within_budget"`
	P50MS  float64   `json:"latency_p50_ms"`
	P99MS  float64   `json:"latency_p99_ms"`
}

// Summarize averages outcomes.
func Summarize(outs []Outcome) Summary {
	s := Summary{Tasks: len(outs), Budget: make([]float64, len(Budgets))}
	if len(outs) == 0 {
		return s
	}
	at := func(rank, k int) float64 {
		if rank > 0 && rank <= k {
			return 1
		}
		return 0
	}
	lat := make([]time.Duration, 0, len(outs))
	for _, o := range outs {
		s.File1 += at(o.FileRank, 1)
		s.File5 += at(o.FileRank, 5)
		s.File10 += at(o.FileRank, 10)
		s.Span1 += at(o.SpanRank, 1)
		s.Span5 += at(o.SpanRank, 5)
		s.Span10 += at(o.SpanRank, 10)
		if o.SpanRank > 0 {
			s.MRR += 1 / float64(o.SpanRank)
		}
		for i, hit := range o.InBudget {
			if hit && i < len(s.Budget) {
				s.Budget[i]++
			}
		}
		lat = append(lat, o.Latency)
	}
	n := float64(len(outs))
	for _, p := range []*float64{&s.File1, &s.File5, &s.File10, &s.Span1, &s.Span5, &s.Span10, &s.MRR} {
		*p /= n
	}
	for i := range s.Budget {
		s.Budget[i] /= n
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s.P50MS = ms(percentile(lat, 0.50))
	s.P99MS = ms(percentile(lat, 0.99))
	return s
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Macro averages summaries with equal weight per project.
func Macro(sums []Summary) Summary {
	m := Summary{Budget: make([]float64, len(Budgets))}
	if len(sums) == 0 {
		return m
	}
	n := float64(len(sums))
	for _, s := range sums {
		m.Tasks += s.Tasks
		m.File1 += s.File1 / n
		m.File5 += s.File5 / n
		m.File10 += s.File10 / n
		m.Span1 += s.Span1 / n
		m.Span5 += s.Span5 / n
		m.Span10 += s.Span10 / n
		m.MRR += s.MRR / n
		for i := range m.Budget {
			if i < len(s.Budget) {
				m.Budget[i] += s.Budget[i] / n
			}
		}
		m.P50MS += s.P50MS / n
		m.P99MS += s.P99MS / n
	}
	return m
}
