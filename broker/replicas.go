package broker

import (
	"context"
	"fmt"
)

// WaitingPulls reports how many pull requests other processes have waiting
// on the ingest stream's durable consumer. Called before Consume, a
// positive count means another korelay replica is consuming the same
// events (and spending its own Kore budget).
func (b *Broker) WaitingPulls(ctx context.Context) (int, error) {
	c, err := b.js.Consumer(ctx, b.opts.Stream, b.opts.Consumer)
	if err != nil {
		return 0, fmt.Errorf("consumer %s on stream %s: %w", b.opts.Consumer, b.opts.Stream, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer %s info: %w", b.opts.Consumer, err)
	}
	return info.NumWaiting, nil
}
