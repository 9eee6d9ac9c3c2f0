package serve

import (
	"slices"
	"testing"
)

func TestNameTails(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"\t\tt.traceCancelRequest(sender, encodedLen, msg)", []string{"CancelRequest"}},
		{"\t\t\treturn scanPlanBinaryFloat4ToFloat64Scanner{}", []string{"PlanBinaryFloat4ToFloat64Scanner", "BinaryFloat4ToFloat64Scanner", "Float4ToFloat64Scanner", "ToFloat64Scanner", "Float64Scanner"}},
		// One word, or too short: no tail.
		{"\tx.closeAll(aB, getX)", nil},
		{"\treturn HTTPServer", nil},
	} {
		if got := nameTails(c.text, maxParts); !slices.Equal(got, c.want) {
			t.Errorf("nameTails(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := nameTails("aaaBbbCccDddEee", 2); len(got) != 2 {
		t.Errorf("nameTails with n = 2 gave %q", got)
	}
}
