package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// bins are the binaries under test.
type bins struct{ korelay, reference string }

// buildAll builds (or takes from -bin and -ref-bin) the binaries the
// selected runs need.
func buildAll(ctx context.Context, o options, dir string, w io.Writer) (bins, error) {
	b := bins{korelay: o.Bin, reference: o.RefBin}
	needKorelay, needRef := o.needs()
	var err error
	if needKorelay && b.korelay == "" {
		fmt.Fprintln(w, "building ./cmd/korelay ...")
		if b.korelay, err = buildPackage(ctx, dir, "./cmd/korelay", "korelay"); err != nil {
			return b, err
		}
	}
	if needRef && b.reference == "" {
		fmt.Fprintln(w, "building ./bench/reference ...")
		if b.reference, err = buildPackage(ctx, dir, "./bench/reference", "reference"); err != nil {
			return b, err
		}
	}
	return b, nil
}

// moduleRoot returns the folder of korelay's go.mod, from the working
// directory (the module root under `go run ./bench`, bench/ under go test).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", errors.New("not inside the korelay module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// buildPackage builds pkg (relative to the module root) into dir/name and
// returns the binary's path.
func buildPackage(ctx context.Context, dir, pkg, name string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return bin, nil
}
