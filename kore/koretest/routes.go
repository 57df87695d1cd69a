package koretest

import (
	"net/http"
	"strings"

	"github.com/korelay/korelay/kore"
)

// route is one endpoint of the fake.
type route struct {
	endpoint string // a kore.Endpoint* constant
	method   string
	limited  bool // counts toward the rate-limit windows
	hasBody  bool // needs a JSON body
	handle   func(s *Server, r *http.Request, body []byte, c *Call) reply
}

// routes of the fake, by endpoint.
var (
	notifyRoute      = route{kore.EndpointNotify, http.MethodPost, true, true, (*Server).handleNotify}
	statusRoute      = route{kore.EndpointNotifyStatus, http.MethodGet, true, false, (*Server).handleStatus}
	subscribeRoute   = route{kore.EndpointSubscribeDevice, http.MethodPost, false, true, (*Server).handleSubscribe}
	listRoute        = route{kore.EndpointSubscribedDevices, http.MethodGet, false, false, (*Server).handleList}
	unsubscribeRoute = route{kore.EndpointUnsubscribe, http.MethodDelete, false, true, (*Server).handleUnsubscribe}
)

// route finds the endpoint of a request; ok is false with the 404 or 405
// answer (a 405 still names the endpoint).
func (s *Server) route(method, path string) (route, reply, bool) {
	rt, ok := s.match(path)
	if !ok {
		return route{}, errorReply(http.StatusNotFound, 404, "no such API: "+path), false
	}
	if method != rt.method {
		rep := errorReply(http.StatusMethodNotAllowed, 405, method+" is not allowed here; use "+rt.method)
		rep.header = http.Header{"Allow": {rt.method}}
		return rt, rep, false
	}
	return rt, reply{}, true
}

// match maps a path to its route.
func (s *Server) match(path string) (route, bool) {
	bot := "/api/public/bot/" + s.BotID
	devices := strings.ReplaceAll(s.cfg.devicePrefix, "{id}", s.BotID)
	switch path {
	case bot + "/notify":
		return notifyRoute, true
	case devices + "/sdknotifications/subscribe":
		return subscribeRoute, true
	case devices + "/subscribeddevices":
		return listRoute, true
	case devices + "/sdknotifications/unsubscribe":
		return unsubscribeRoute, true
	}
	if id, ok := strings.CutPrefix(path, bot+"/notify/status/"); ok && id != "" && !strings.Contains(id, "/") {
		return statusRoute, true
	}
	return route{}, false
}

// jobIDOf returns the job id of a notify-status path.
func (s *Server) jobIDOf(path string) string {
	return strings.TrimPrefix(path, "/api/public/bot/"+s.BotID+"/notify/status/")
}
