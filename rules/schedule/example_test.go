package schedule_test

import (
	"fmt"
	"log"
	"time"

	"github.com/korelay/korelay/rules/schedule"
)

func Example() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	s, err := schedule.Parse("30 2 * * *", berlin)
	if err != nil {
		log.Fatal(err)
	}
	after := time.Date(2026, 3, 27, 12, 0, 0, 0, berlin)
	for _, f := range s.NextN(after, 3) {
		if f.Note != "" {
			fmt.Println(f.Time.Format(time.RFC3339), "-", f.Note)
			continue
		}
		fmt.Println(f.Time.Format(time.RFC3339))
	}
	// Output:
	// 2026-03-28T02:30:00+01:00
	// 2026-03-29T03:00:00+02:00 - 02:30 does not exist (DST spring-forward); fires at 03:00
	// 2026-03-30T02:30:00+02:00
}

func ExampleParse_error() {
	_, err := schedule.Parse("0 0 30 2 *", nil)
	fmt.Println(err)
	// Output:
	// cron spec "0 0 30 2 *": can never fire: no month in the spec has those days
}
