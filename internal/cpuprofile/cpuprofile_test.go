package cpuprofile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStartWritesAProfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cpu.prof")
	stop, err := Start(file)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if st, err := os.Stat(file); err != nil {
		t.Errorf("profile %s: %v", file, err)
	} else if st.Size() == 0 {
		t.Errorf("profile %s is empty", file)
	}
	if stop, err := Start(""); err != nil {
		t.Errorf("Start(\"\") = %v", err)
	} else {
		stop()
	}
	if _, err := Start(filepath.Join(t.TempDir(), "no", "such", "dir", "p")); err == nil {
		t.Error("Start into a missing folder succeeded")
	}
}
