// Package webhook receives incoming HTTP webhooks at POST /hooks/NAME,
// checks their signature or token, and stores each accepted request as an
// event on the ingest stream before answering 202.
//
// The HTTP contract is DESIGN.md, section "Webhooks": 202 {"id": ...} once
// stored; 400 bad body; 401 bad or missing signature; 404 unknown hook; 405
// not POST; 413 too large; 415 unsupported content type; 503 not stored (the
// sender retries). Every error body is {"error": "..."}.
//
// Auth schemes: standard-webhooks, hmac-sha256, bearer and none. Each takes
// one or more secrets so a secret can be rotated without downtime. Secrets
// and signatures never appear in logs, errors or stored headers.
package webhook
