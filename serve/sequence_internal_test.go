package serve

import (
	"reflect"
	"testing"
)

func TestSequenceBounds(t *testing.T) {
	for _, c := range []struct {
		prefix, suffix string
		want           []seqBound
	}{
		{
			"\tdefaultMap.RegisterType(&Type{Name: \"bit\", OID: BitOID, Codec: BitsCodec{}})\n",
			"\tdefaultMap.RegisterType(&Type{Name: \"box\", OID: BoxOID, Codec: BoxCodec{}})\n",
			[]seqBound{{"bitoid", "boxoid", "oid"}, {"bitscodec", "boxcodec", "codec"}},
		},
		{"\tcancelRequest  CancelRequest\n\n", "\tcopyFail       CopyFail\n", []seqBound{{"cancelrequest", "copyfail", ""}}},
		// Names with nothing in common: no sequence.
		{"\tcase float64:\n", "\tcase bool:\n", nil},
		// Lines of other shapes.
		{"\tx := f(a)\n", "\tif x > 0 {\n", nil},
		{"\tx := f(a)\n", "\tx := f(a, b)\n", nil},
		{"", "\tx := 1\n", nil},
	} {
		if got := sequenceBounds(c.prefix, c.suffix); !reflect.DeepEqual(got, c.want) {
			t.Errorf("sequenceBounds(%q, %q) = %v, want %v", c.prefix, c.suffix, got, c.want)
		}
	}
}

func TestWeighBySequence(t *testing.T) {
	between := &candidate{kind: "const", score: 1, signals: []string{"scope:BoolOID"}}
	next := &candidate{kind: "const", score: 1, signals: []string{"symbol:BoxOID"}}
	laterBetween := &candidate{kind: "const", score: 1, signals: []string{"sibling:BoolArrayOID"}}
	otherSuffix := &candidate{kind: "type", score: 1, signals: []string{"scope:BoolCodec"}}
	lexical := &candidate{score: 1, signals: []string{"bm25"}}
	weighBySequence([]*candidate{between, next, laterBetween, otherSuffix, lexical},
		[]seqBound{{"bitoid", "boxoid", "oid"}}, []string{"BoxOID", "BoolArrayOID"})
	if between.score != weightBetween {
		t.Errorf("BoolOID (between BitOID and BoxOID) scored %v, want %v", between.score, float64(weightBetween))
	}
	for _, c := range []*candidate{next, laterBetween, otherSuffix, lexical} {
		if c.score != 1 {
			t.Errorf("%v scaled to %v, want it left", c.signals, c.score)
		}
	}
}
