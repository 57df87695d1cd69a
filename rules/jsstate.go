package rules

import (
	"fmt"
	"strings"
)

// jsMode is where a point of a script's text is, for the JavaScript
// parser that will read it.
type jsMode uint8

const (
	jsCode         jsMode = iota // code, including inside ${ } of a template literal
	jsDQString                   // a "…" string literal
	jsSQString                   // a '…' string literal
	jsTemplate                   // the text of a `…` template literal
	jsLineComment                // a // comment (also <!--, --> and #!)
	jsBlockComment               // a /* */ comment
	jsRegexp                     // a /…/ regular expression literal
	jsRegexpClass                // a […] class inside one
	jsRegexpFlags                // the flags after one
)

// String describes the mode for messages.
func (m jsMode) String() string {
	return [...]string{"code", `a "…" string`, "a '…' string", "a `…` template literal",
		"a // comment", "a /* */ comment", "a regular expression literal", "a regular expression literal",
		"code"}[m]
}

// jsSlash says what a '/' in code starts: a regular expression literal or
// a division. Where the text before it leaves that open, it is ambiguous,
// and a '/' there is refused.
type jsSlash uint8

const (
	slashRegexp jsSlash = iota
	slashDiv
	slashAmbiguous
)

// jsPending is the start of a token that the next character completes.
type jsPending uint8

const (
	pendNone       jsPending = iota
	pendSlash                // code: '/' (a comment, a division or a regexp)
	pendLt                   // code: '<' (perhaps <!--)
	pendLtBang               // code: "<!"
	pendLtBangDash           // code: "<!-"
	pendStar                 // block comment: '*' (perhaps */)
	pendDollar               // template literal: '$' (perhaps ${)
	pendEscape               // string, template literal or regexp: after '\'
	pendEscapeCR             // string or template literal: after '\' and CR
	pendHash                 // the script's first character '#' (perhaps #!)
)

// tristate is a yes/no that branches may leave unknown.
type tristate uint8

const (
	no tristate = iota
	yes
	unknown
)

// Open brackets, as the bytes of jsState.stack.
const (
	openParen       = '(' // a '/' after its ')' divides
	openRegexpParen = 'r' // of if, while, for or with: a '/' after its ')' starts a regexp
	openFuzzyParen  = '?' // one of those two, depending on the branch taken before it
	openBracket     = '['
	openBrace       = '{'
	openSubst       = '$' // ${ in a template literal
)

// jsState is the scanner's state between two characters of a script. It
// is a value: branches of a template copy it, and their ends are compared.
type jsState struct {
	mode     jsMode
	pend     jsPending
	slash    jsSlash
	stack    string // the open brackets, innermost last
	word     string // the identifier, keyword or number being read
	afterDot bool   // the word is a property name (after '.')
	lastWord string // the keyword just read, for the '(' after it
	opRun    byte   // '+' or '-' when the last token was a run of them
	opCount  int    // the length of that run
	// runPostfix: that run began right after a value on the same line, so
	// its first "++" or "--" is postfix.
	runPostfix tristate
	lineStart  tristate // only blanks and comments since the line began
	dashes     int      // the run of '-' that began at a line start, for -->
	dashStart  tristate // lineStart where that run began
	start      bool     // nothing read yet, for #!
	// cutWord: a word ended at a branch boundary ({{if}}, {{else}},
	// {{end}}); a word character right after it is refused, as the word
	// JavaScript reads then depends on the branch taken.
	cutWord bool
	// noHash: the script's start is a branch boundary, where #! is refused.
	noHash bool
	// emptyPend is the unfinished token ('\' or '$') before a value in a
	// string or template literal: should the value be empty, the token goes
	// on with the next character, which is refused when that changes how
	// it reads.
	emptyPend jsPending
	// Where branches ended differently: whether the word after is a
	// property name, the keyword before a '(', the run of '+' or '-'
	// before, and the run of '-' at a line start.
	dotUnknown, wordUnknown, opUnknown, dashUnknown bool
}

// newJSState is the state at a script's start.
func newJSState() jsState { return jsState{lineStart: yes, start: true} }

// sameContext reports whether s and t are in the same context: the same
// mode, brackets and unfinished token. What they may differ in (what a '/'
// would start, the token before) joinJS merges.
func (s jsState) sameContext(t jsState) bool {
	return s.mode == t.mode && s.pend == t.pend && s.stack == t.stack && s.word == t.word
}

// equal reports whether s and t are the same in every respect.
func (s jsState) equal(t jsState) bool { return s == t }

// joinJS merges two branch ends in the same context: what differs becomes
// unknown, and a character whose reading depends on it is refused.
func joinJS(s, t jsState) jsState {
	if s.slash != t.slash {
		s.slash = slashAmbiguous
	}
	if s.lineStart != t.lineStart {
		s.lineStart = unknown
	}
	if s.afterDot != t.afterDot {
		s.afterDot, s.dotUnknown = false, true
	}
	if s.lastWord != t.lastWord {
		s.lastWord, s.wordUnknown = "", true
	}
	if s.opRun != t.opRun || s.opCount != t.opCount || s.runPostfix != t.runPostfix {
		s.opRun, s.opCount, s.opUnknown = 0, 0, true
	}
	if s.dashes != t.dashes || s.dashStart != t.dashStart {
		s.dashes, s.dashUnknown = 0, true
	}
	s.cutWord = s.cutWord || t.cutWord
	if s.emptyPend == pendNone {
		s.emptyPend = t.emptyPend
	}
	s.noHash = s.noHash || t.noHash
	s.dotUnknown = s.dotUnknown || t.dotUnknown
	s.wordUnknown = s.wordUnknown || t.wordUnknown
	s.opUnknown = s.opUnknown || t.opUnknown
	s.dashUnknown = s.dashUnknown || t.dashUnknown
	return s
}

// boundary ends the word being read at a branch boundary. A script that
// may or may not start with the branch cannot start with #! in it.
func (s *jsState) boundary() {
	if len(s.word) > 0 && s.mode == jsCode {
		s.endWord()
		s.cutWord = true
	}
	if s.start {
		s.start, s.noHash = false, true
	}
}

// describe names the state's context for messages.
func (s jsState) describe() string {
	d := s.mode.String()
	if n := s.substitutions(); n > 0 && s.mode == jsCode {
		d = fmt.Sprintf("code inside ${…} (%d deep)", n)
	}
	if s.pend != pendNone {
		d += " after an unfinished token"
	}
	if len(s.stack) > 0 {
		d += fmt.Sprintf(" with %d brackets open", len(s.stack))
	}
	return d
}

func (s jsState) substitutions() int { return strings.Count(s.stack, string(rune(openSubst))) }
