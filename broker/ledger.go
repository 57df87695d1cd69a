package broker

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxDedupWindow is the longest TTL the ledger keeps a key for: its KV
// bucket's max age. Rules' dedup.for must not exceed it.
const MaxDedupWindow = 30 * 24 * time.Hour

// Ledger tuning.
const (
	// seenBatch keys go in one batched direct get (the server answers at
	// most 1024 messages per request).
	seenBatch = 1000
	// minBatchGet is the fewest keys read with a batched get; fewer are
	// read with plain gets, which need no subscription of their own.
	minBatchGet = 4
	// getConcurrency bounds parallel gets when batched gets are unavailable.
	getConcurrency = 64
	// ledgerTimeout bounds a ledger call whose context has no deadline.
	ledgerTimeout = 10 * time.Second
)

// errNoBatchGet means the server refused a batched direct get (older than
// nats-server 2.11): the ledger falls back to one get per key.
var errNoBatchGet = errors.New("batched direct get not supported")

// Ledger is the idempotency ledger: a KV bucket mapping each key to the time
// it expires. Keys may be any string; they are stored hashed (SHA-256,
// 128 bits, base64url) so every key is a valid KV key of fixed length. The
// bucket keeps entries for MaxDedupWindow; an entry past its own expiry
// reads as unseen. Safe for concurrent use.
type Ledger struct {
	nc      *nats.Conn
	kv      jetstream.KeyValue
	writes  *pubAcks // Record's writes
	prefix  string   // "$KV.<bucket>."
	getSubj string   // the bucket's direct-get API subject
	now     func() time.Time

	noBatch atomic.Bool // the server refused batched gets once
}

func newLedger(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, out *outbox, bucket string, replicas int) (*Ledger, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Replicas:    replicas,
		Description: "korelay idempotency ledger: hashed key -> expiry (unix nanoseconds)",
		History:     1,
		TTL:         MaxDedupWindow,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("ledger bucket %s: %w", bucket, err)
	}
	writes, err := newPubAcks(nc, out)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return &Ledger{
		nc:      nc,
		kv:      kv,
		writes:  writes,
		prefix:  "$KV." + bucket + ".",
		getSubj: "$JS.API.DIRECT.GET.KV_" + bucket,
		now:     time.Now,
	}, nil
}

// ledgerKey hashes a caller's key into a valid KV key.
func ledgerKey(key string) string { return string(appendLedgerKey(nil, key)) }

// appendLedgerKey appends the KV key of a caller's key to b.
func appendLedgerKey(b []byte, key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.AppendEncode(b, sum[:16])
}

// Seen reports, for each key, whether it was recorded and has not expired.
func (l *Ledger) Seen(ctx context.Context, keys []string) ([]bool, error) {
	ctx, cancel := withDefaultTimeout(ctx, ledgerTimeout)
	defer cancel()
	hashed := make([]string, len(keys))
	for i, k := range keys {
		hashed[i] = ledgerKey(k)
	}
	seen := make([]bool, len(keys))
	now := l.now().UnixNano()
	for start := 0; start < len(keys); start += seenBatch {
		end := min(start+seenBatch, len(keys))
		values, err := l.values(ctx, hashed[start:end])
		if err != nil {
			return nil, fmt.Errorf("ledger seen: %w", err)
		}
		for i := start; i < end; i++ {
			v, ok := values[hashed[i]]
			if !ok {
				continue
			}
			expires, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ledger seen: entry %s of key %q: %w", hashed[i], keys[i], err)
			}
			seen[i] = expires > now
		}
	}
	return seen, nil
}

// Record marks keys as seen for ttl (at most MaxDedupWindow). It writes all
// keys asynchronously and returns once the server stored every one.
func (l *Ledger) Record(ctx context.Context, keys []string, ttl time.Duration) error {
	subjects, value, err := l.writesFor(keys, ttl)
	if err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx, ledgerTimeout)
	defer cancel()
	if err := l.writes.publishAll(ctx, subjects, value); err != nil {
		return fmt.Errorf("ledger record %d keys: %w", len(keys), err)
	}
	return nil
}

// RecordAsync is Record without waiting: it starts the writes and returns;
// done hears once whether every key was stored, within ledgerTimeout. done
// runs on the goroutine that received the last acknowledgement (or a
// timer's); it must not wait for another Record.
func (l *Ledger) RecordAsync(keys []string, ttl time.Duration, done func(error)) {
	subjects, value, err := l.writesFor(keys, ttl)
	if err != nil {
		done(err)
		return
	}
	l.writes.publishAsync(subjects, value, ledgerTimeout, func(err error) {
		if err != nil {
			err = fmt.Errorf("ledger record %d keys: %w", len(keys), err)
		}
		done(err)
	})
}

// FlushWrites has the ledger's writes waiting in the broker's outbox sent
// within a fraction of a millisecond (with every other write waiting
// there, and those that join them meanwhile) instead of at the end of the
// outbox's linger: for a caller that waits for the writes' acknowledgement.
func (l *Ledger) FlushWrites() { l.writes.out.soon() }

// writesFor returns the subjects and the value that record keys for ttl.
func (l *Ledger) writesFor(keys []string, ttl time.Duration) ([]string, []byte, error) {
	if ttl <= 0 || ttl > MaxDedupWindow {
		return nil, nil, fmt.Errorf("ledger record: ttl %s outside (0, %s]", ttl, MaxDedupWindow)
	}
	value := []byte(strconv.FormatInt(l.now().Add(ttl).UnixNano(), 10))
	subjects := make([]string, len(keys))
	var buf [128]byte
	for i, k := range keys {
		subjects[i] = string(appendLedgerKey(append(buf[:0], l.prefix...), k))
	}
	return subjects, value, nil
}

// values returns the current value of each hashed key that has one.
func (l *Ledger) values(ctx context.Context, keys []string) (map[string][]byte, error) {
	if len(keys) >= minBatchGet && !l.noBatch.Load() {
		v, err := l.batchGet(ctx, keys)
		if !errors.Is(err, errNoBatchGet) {
			return v, err
		}
		l.noBatch.Store(true)
	}
	return l.parallelGet(ctx, keys)
}

// batchGet fetches the last message of every key in one direct-get request
// ("multi_last"), answered by a stream of messages ending in a 204 (EOB) or
// 404 (none found) status.
func (l *Ledger) batchGet(ctx context.Context, keys []string) (map[string][]byte, error) {
	subjects := make([]string, len(keys))
	for i, k := range keys {
		subjects[i] = l.prefix + k
	}
	req, err := json.Marshal(struct {
		MultiLast []string `json:"multi_last"`
		Batch     int      `json:"batch"`
	}{subjects, len(subjects)})
	if err != nil {
		return nil, err
	}
	inbox := l.nc.NewInbox()
	sub, err := l.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := l.nc.PublishRequest(l.getSubj, inbox, req); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, err
		}
		switch status := m.Header.Get("Status"); status {
		case "":
			if m.Header.Get("KV-Operation") == "" { // not a delete or purge marker
				out[strings.TrimPrefix(m.Header.Get(jetstream.SubjectHeader), l.prefix)] = m.Data
			}
		case "204", "404":
			return out, nil
		case "503":
			return nil, nats.ErrNoResponders
		default:
			return nil, fmt.Errorf("%w: status %s %s", errNoBatchGet, status, m.Header.Get("Description"))
		}
	}
}

// parallelGet gets keys one by one, getConcurrency at a time.
func (l *Ledger) parallelGet(ctx context.Context, keys []string) (map[string][]byte, error) {
	var (
		mu       sync.Mutex
		out      = make(map[string][]byte, len(keys))
		firstErr error
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	for range min(getConcurrency, len(keys)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(keys); i = int(next.Add(1) - 1) {
				e, err := l.kv.Get(ctx, keys[i])
				mu.Lock()
				switch {
				case err == nil:
					out[keys[i]] = e.Value()
				case !errors.Is(err, jetstream.ErrKeyNotFound) && firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out, firstErr
}

// withDefaultTimeout bounds ctx by d unless it already has a deadline.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
