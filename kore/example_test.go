package kore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// Send one text notification to two Teams users. The fake server stands in
// for https://platform.kore.ai; with a real bot, pass your host, bot id and
// app credentials instead.
func Example() {
	srv := koretest.NewServer()
	defer srv.Close()

	client, err := kore.New(
		kore.WithBaseURL(srv.URL), // e.g. "https://platform.kore.ai"
		kore.WithBotID(srv.BotID),
		kore.WithCredentials(srv.ClientID, srv.ClientSecret),
		kore.WithTimeout(10*time.Second),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := client.Notify(context.Background(), kore.NotifyRequest{
		Channel:    kore.ChannelMSTeams,
		Message:    kore.Message{Type: kore.MessageText, Val: "Please reset your password."},
		Identities: []string{"john.doe@example.com", "jane.roe@example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status, job.JobType)
	// Output: IN_PROGRESS PROACTIVE_NOTIFICATIONS_API
}

// Poll a notify job until Kore reports per-identity results.
func ExampleClient_NotifyStatus() {
	srv := koretest.NewServer(koretest.WithCompleteAfter(1))
	defer srv.Close()
	srv.SetUnknownIdentities("nobody@example.com")
	client, _ := kore.New(srv.ClientOptions()...)
	ctx := context.Background()

	job, err := client.Notify(ctx, kore.NotifyRequest{
		Channel:    kore.ChannelSlack,
		Message:    kore.Message{Type: kore.MessageText, Val: "Expense reports are due Friday."},
		Identities: []string{"ann@example.com", "nobody@example.com"},
	})
	for err == nil && !job.Done() {
		// Real code waits between polls; status calls count toward the rate limit.
		job, err = client.NotifyStatus(ctx, job.ID)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status)
	for _, log := range job.StatusLogs {
		fmt.Println(strings.TrimSpace(log.OriginalID + " " + log.Status + " " + log.Comments))
	}
	// Output:
	// PARTIAL_SUCCESS
	// ann@example.com SUCCESS
	// nobody@example.com FAILURE Identity is not associated with the channel
}

// Manage a user's SDK push devices.
func ExampleClient_SubscribeDevice() {
	srv := koretest.NewServer()
	defer srv.Close()
	client, _ := kore.New(srv.ClientOptions()...)
	ctx := context.Background()
	const user = "u-f30a2b4e-6b83-56d8-8397-011c430550a4"

	os, _ := kore.NormalizeOS("ios") // as typed by a user
	res, err := client.SubscribeDevice(ctx, user, kore.Device{DeviceID: "iphone-15", OSType: os})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Message, res.Device.OSType)

	devices, _ := client.SubscribedDevices(ctx, user)
	fmt.Println(len(devices), "device(s)")

	un, _ := client.UnsubscribeDevices(ctx, user, []kore.Device{
		{DeviceID: "iphone-15", OSType: kore.OSiOS},
		{DeviceID: "old-pixel", OSType: kore.OSAndroid},
	})
	fmt.Println(len(un.Unsubscribed), "unsubscribed; unknown:", un.InvalidDeviceIDs)

	all, _ := client.UnsubscribeAllDevices(ctx, user)
	fmt.Println(all.Message)
	// Output:
	// Device Subscribed iOS
	// 1 device(s)
	// 1 unsubscribed; unknown: [old-pixel]
	// All Devices are unsubscribed
}

// Classify a failed call: retry later (after Retry-After when given), or give
// up at once.
func ExampleIsRetryable() {
	srv := koretest.NewServer()
	defer srv.Close()
	srv.FailNext(1, koretest.Failure{Status: 429, RetryAfter: "30"})
	client, _ := kore.New(srv.ClientOptions()...)

	_, err := client.Notify(context.Background(), kore.NotifyRequest{
		Channel:    kore.ChannelSlack,
		Message:    kore.Message{Type: kore.MessageText, Val: "hi"},
		Identities: []string{"ann@example.com"},
	})
	wait, ok := kore.RetryAfter(err)
	fmt.Println(kore.IsRetryable(err), wait, ok)

	var apiErr *kore.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	// Output:
	// true 30s true
	// 429 Rate limit for this API has been reached, please try after some time
}
