// Package deploy holds no code. Its folder ships korelay's deployment
// files: the container image (Dockerfile, korelay.yaml, rules/), a docker
// compose stack (compose.yaml, compose/), a systemd unit (korelay.service)
// and a Grafana dashboard (grafana/korelay.json). Its tests check them,
// since CI has no container engine and no systemd: README.md says what
// each file is for.
package deploy
