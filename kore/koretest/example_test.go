package koretest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// Point a kore.Client at the fake, send, and inspect what Kore would have
// received. In a test, koretest.Start(t) also closes the server at the end.
func Example() {
	srv := koretest.NewServer()
	defer srv.Close()
	srv.SetUnknownIdentities("ghost@example.com")

	client, err := kore.New(srv.ClientOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	job, err := client.Notify(ctx, kore.NotifyRequest{
		Channel:    kore.ChannelMSTeams,
		Message:    kore.Message{Type: kore.MessageText, Val: "Your order has shipped."},
		Identities: []string{"ann@example.com", "ghost@example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, _ = client.NotifyStatus(ctx, job.ID)
	fmt.Println(job.Status)

	for _, call := range srv.Calls() {
		fmt.Println(call.Method, call.Endpoint, call.Status)
	}
	sent := srv.NotifyCalls()[0].Notify
	fmt.Println(sent.Channel, sent.Message.Val, sent.Identities)
	fmt.Println("over the limit:", srv.MaxInWindow(time.Minute) > koretest.DefaultPerMinute)
	// Output:
	// PARTIAL_SUCCESS
	// POST notify 200
	// GET notify_status 200
	// msteams Your order has shipped. [ann@example.com ghost@example.com]
	// over the limit: false
}

// Inject failures to test retries: here Kore is rate limited once, then
// answers normally.
func ExampleServer_FailNext() {
	srv := koretest.NewServer()
	defer srv.Close()
	srv.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 429, RetryAfter: "2"})
	client, _ := kore.New(srv.ClientOptions()...)
	req := kore.NotifyRequest{
		Channel:    kore.ChannelSlack,
		Message:    kore.Message{Type: kore.MessageText, Val: "hi"},
		Identities: []string{"ann@example.com"},
	}

	_, err := client.Notify(context.Background(), req)
	wait, _ := kore.RetryAfter(err)
	fmt.Println(kore.IsRetryable(err), wait)

	_, err = client.Notify(context.Background(), req)
	fmt.Println(err)
	// Output:
	// true 2s
	// <nil>
}
