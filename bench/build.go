package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

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

// buildKorelay builds ./cmd/korelay into dir and returns the binary's path.
func buildKorelay(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "korelay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/korelay")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/korelay: %w\n%s", err, stderr.String())
	}
	return bin, nil
}
