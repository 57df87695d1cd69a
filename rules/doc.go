// Package rules is korelay's rule language: it loads YAML rule files,
// validates and compiles them once, indexes them by trigger and turns an
// Event into rendered Notifications.
//
// # Rule files
//
// A rule file holds one YAML document with a "rules:" list:
//
//	rules:
//	  - name: order-shipped            # unique, [a-z0-9-]+
//	    description: Tell the customer when an order ships.
//	    on:
//	      webhook: orders              # or nats: "orders.*.updated", or cron: "0 9 * * MON"
//	      # timezone: Europe/Berlin    # cron only; default UTC
//	      # catch_up: 6h               # cron only; default 0 (missed fires are skipped)
//	    when: event.status == "shipped"  # optional boolean expression
//	    # for_each: data.employees     # optional fan-out; each element is `item`
//	    notify:
//	      channel: slack               # msteams | slack
//	      to: event.customer.email     # expression: a string or a list of strings
//	      # groups: [finance]          # config groups; to and/or groups
//	      text: "Hi {{ .event.customer.name }}, order {{ .event.id }} has shipped."
//	      # script: ...                # a JavaScript message instead of text
//	    dedup:                         # optional
//	      key: "{{ .event.id }}"       # template; rule + key + identity is the idempotency key
//	      for: 24h                     # default 24h
//	    mode: live                     # live | shadow (evaluate and count, never send)
//
// Unknown keys, duplicate keys and rule names, empty files, a missing or
// double trigger, timezone or catch_up without cron, and every reference to
// an unknown webhook, group, dataset, meta field or name are load errors.
// Load reports all of them at once, each as "file:line:col: message" at
// the offending node (inside an expression or template, at the offending
// token). YAML anchors, aliases and merge keys (<<) may be used.
//
// NATS subject patterns are what nats-server accepts: dot-separated
// non-empty tokens without whitespace, where the token "*" matches one
// token and a final ">" one or more; "*" or ">" inside a longer token
// ("eu*") is a literal character, as NATS reads it. Cron specs take 5 fields, 6 with leading
// seconds, or a descriptor (@daily, @every 30s); see package schedule for
// the DST rules.
//
// # Expressions
//
// when, to and for_each are expr-lang/expr expressions
// (https://expr-lang.org), compiled at load against a declared environment:
//
//	event     the payload: JSON objects are maps, integers int (or, beyond
//	          int64, a string of their exact digits), other numbers float
//	meta      source, subject (nats), webhook (webhook), schedule (the cron
//	          spec, cron), headers, id, time; unused fields are ""
//	item      the current element, only in rules with for_each
//	data      the datasets: data.NAME (a CSV is a list of maps of strings)
//	now       the evaluation's time: UTC, or the cron rule's time zone
//
// Any other top-level name is a load error. All of expr's builtins are
// available (lower, upper, trim, split, hasPrefix, filter, map, len, date,
// duration, ...) except now(), which `now` replaces (date() without a zone
// reads UTC); korelay adds:
//
//	daysUntil(t)  calendar days from now's date to t's date (negative when
//	              past); t is a time, a string (RFC 3339 or YYYY-MM-DD; a
//	              plain date is that day in now's time zone) or a number of
//	              Unix seconds
//	daysSince(t)  -daysUntil(t)
//
// when must be boolean: checked at load by the type checker and, where the
// type of event, item or data leaves it open, by the expression's shape
// (arithmetic, concatenation or a non-boolean literal at its root is a
// load error); and to must give a string or a
// list of strings (checked at load where the type is known, else at run
// time). Expressions are limited to 4096 bytes and 1000 syntax nodes, and
// each run to expr's memory budget of 1,000,000 units.
//
// # Templates
//
// text, script and dedup.key are Go text/template templates, parsed at load,
// whose data is {event, meta, item, data, now} (.event.customer.name). A
// reference to a missing key, or a value that is null, is an error for that
// notification (a Failure), never "<no value>"; default, given a field
// directly, turns a missing key into its default:
// {{ .event.nickname | default "there" }}. {{define}}, {{template}} and
// {{block}} are not allowed. Besides text/template's own functions, the
// helpers are lower, upper, trim, default, get, join, json, number, printf
// (which overrides text/template's and adapts JSON numbers to the verbs),
// date, daysUntil and daysSince; docs/rules.md describes each with an
// example.
//
// Values render as written: strings as they are, integers with all their
// digits, floats without an exponent where exact, times in RFC 3339, lists
// and maps as JSON. In a script message the template's text is read as
// JavaScript at load, and each value is escaped for where it stands: in
// code (and comments) as a JavaScript literal, inside a string or
// template literal the author wrote as escaped string content without
// quotes. Event data can therefore never end a string, template literal,
// comment or script element; a value in a regular expression literal, a
// '/' that may divide or start one, and a branch that does not end in the
// context it starts in are load errors.
//
// # Actions and timing
//
// A rule has exactly one action: notify, or devices, which subscribes or
// unsubscribes a Kore user's SDK push devices:
//
//	devices:
//	  action: unsubscribe            # subscribe | unsubscribe
//	  user: event.user.kore_id       # expression: the Kore user id
//	  device: all                    # expression: a device id, or the word all (unsubscribe only)
//	  # os: event.device.os          # expression, or the word android or ios; subscribe needs it
//
// Its Notification has Action ActionDevices, the user as its one identity
// and the DeviceAction in Devices. Notify rules may defer their
// notifications: quiet_hours (between "22:00-07:00", in timezone or in the
// zone timezone_from gives per identity) holds a notification that falls
// inside the window until it ends; digest (every D, or cron with a
// timezone, and a text or script template over .items and .count)
// collects them per identity until the period ends. Evaluate only marks
// such a notification with a Hold (when it is released, and why); keeping
// it is the caller's job, and RenderDigest renders a period's digest.
//
// # Evaluation
//
// Set.Evaluate evaluates an event only against the rules bound to its
// trigger: literal NATS subjects and webhooks are found by map, wildcard
// subjects through a token tree, cron events by rule name. A rule
// without for_each that matches yields one Notification for the
// identities of to followed by those of groups, deduplicated in order. In
// a rule with for_each, for_each is evaluated first and then, per item,
// when, to, the message and the dedup key (so when can test item); items
// whose rendered message (or device action), dedup key and hold are equal
// become one Notification with the union of their identities. A run-time error (a missing key, a
// non-string identity) is a Failure for that rule, with Reason ReasonRender,
// or ReasonDecode when the rule reads fields of the event and the payload
// is not a JSON object (an array, a number, or a string from a text/plain
// or non-JSON body). For for_each, one Failure lists the failed items
// while the others still notify. The other rules go on. Compiled rules are shared read-only; Evaluate is safe
// for concurrent use.
package rules
