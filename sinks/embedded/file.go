package embedded

import (
	"context"
	"slices"

	"github.com/codectx/codectx"
)

// File returns the chunks of one file in line order (see codectx.Index.File).
func (s *Store) File(ctx context.Context, source, path string) ([]codectx.Chunk, error) {
	if err := s.queryable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.idx.file(source, path), nil
}

func (x *memIndex) file(source, path string) []codectx.Chunk {
	x.mu.RLock()
	defer x.mu.RUnlock()
	docs := x.files[fileKey{source, path}]
	out := make([]codectx.Chunk, 0, len(docs))
	for _, d := range docs {
		if c := x.docs[d].chunk; c != nil {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b codectx.Chunk) int { return a.StartLine - b.StartLine })
	return out
}
