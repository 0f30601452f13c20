package textdiff

import "testing"

func TestFirstLine(t *testing.T) {
	tests := []struct {
		want, got string
		line      int
		w, g      string
	}{
		{"a\nb\n", "a\nb\n", 0, "", ""},
		{"a\nb\n", "a\nc\n", 2, "b", "c"},
		{"a\n", "a\nb\n", 2, "", "b"},
		{"a\nb", "a", 2, "b", ""},
		{"a\n", "a", 2, "", ""},
	}
	for _, tt := range tests {
		line, w, g := FirstLine(tt.want, tt.got)
		if line != tt.line || w != tt.w || g != tt.g {
			t.Errorf("FirstLine(%q, %q) = %d %q %q, want %d %q %q", tt.want, tt.got, line, w, g, tt.line, tt.w, tt.g)
		}
	}
}
