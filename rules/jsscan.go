package rules

// jsScanError is a problem at byte i of the text fed.
type jsScanError struct {
	i   int
	msg string
}

func (e *jsScanError) Error() string { return e.msg }

// feed advances the state over text, the literal text of a script.
func (s *jsState) feed(text string) error {
	for i, r := range text {
		if err := s.next(r); err != "" {
			return &jsScanError{i: i, msg: err}
		}
	}
	return nil
}

// next advances the state over one character; it returns a message when
// the character cannot be read safely.
func (s *jsState) next(r rune) string {
	if msg, done := s.first(r); done || msg != "" {
		return msg
	}
	switch s.mode {
	case jsCode:
		return s.code(r)
	case jsDQString:
		return s.str(r, '"')
	case jsSQString:
		return s.str(r, '\'')
	case jsTemplate:
		s.template(r)
	case jsLineComment:
		if isLineTerminator(r) {
			s.mode, s.lineStart, s.dashes = jsCode, yes, 0
		}
	case jsBlockComment:
		s.blockComment(r)
	case jsRegexp, jsRegexpClass:
		return s.regexp(r)
	case jsRegexpFlags:
		if isJSWordPart(r) {
			return ""
		}
		s.mode = jsCode
		return s.code(r)
	}
	return ""
}

// first handles what only the character after a value or a branch
// boundary, or the script's first character, may be; done says r was
// consumed.
func (s *jsState) first(r rune) (msg string, done bool) {
	if s.emptyPend != pendNone {
		p := s.emptyPend
		s.emptyPend = pendNone
		if s.readsDifferently(p, r) {
			return "a value that may be empty between a '\\' or '$' and this character: " +
				"the script would read differently when it is; move the value or the character", true
		}
	}
	if s.noHash {
		s.noHash = false
		if r == '#' {
			return "#! at the start of a {{if}}, {{range}} or {{with}} body: a script may start with #! only outside them", true
		}
	}
	if s.start {
		s.start = false
		if r == '#' {
			s.pend = pendHash
			return "", true
		}
	}
	return "", false
}

// readsDifferently reports whether r, in a string or template literal,
// means something else after the unfinished token p (a '\' or '$' before
// a value that turned out empty) than without it.
func (s *jsState) readsDifferently(p jsPending, r rune) bool {
	switch p {
	case pendDollar:
		return r == '{'
	case pendEscape, pendEscapeCR:
		return r == '\\' || isLineTerminator(r) ||
			s.mode == jsDQString && r == '"' || s.mode == jsSQString && r == '\'' ||
			s.mode == jsTemplate && (r == '`' || r == '$' || r == '{')
	}
	return false
}

// str reads a character of a string literal closed by quote.
func (s *jsState) str(r, quote rune) string {
	switch {
	case s.pend == pendEscapeCR:
		s.pend = pendNone
		if r == '\n' {
			return ""
		}
		return s.str(r, quote)
	case s.pend == pendEscape:
		s.pend = pendNone
		if r == '\r' {
			s.pend = pendEscapeCR
		}
	case r == '\\':
		s.pend = pendEscape
	case r == quote:
		s.mode = jsCode
		s.value()
	case r == '\n' || r == '\r':
		return "a line break inside a string literal: the string is not closed on its line"
	}
	return ""
}

// template reads a character of a template literal's text.
func (s *jsState) template(r rune) {
	switch {
	case s.pend == pendEscape:
		s.pend = pendNone
	case s.pend == pendDollar && r == '{':
		s.pend = pendNone
		s.stack += string(rune(openSubst))
		s.mode, s.slash = jsCode, slashRegexp
	case r == '\\':
		s.pend = pendEscape
	case r == '$':
		s.pend = pendDollar
	case r == '`':
		s.pend = pendNone
		s.mode = jsCode
		s.value()
	default:
		s.pend = pendNone
	}
}

func (s *jsState) blockComment(r rune) {
	switch {
	case s.pend == pendStar && r == '/':
		s.pend, s.mode = pendNone, jsCode
	case r == '*':
		s.pend = pendStar
	default:
		s.pend = pendNone
		if isLineTerminator(r) {
			s.lineStart, s.dashes = yes, 0
		}
	}
}

// regexp reads a character of a regular expression literal.
func (s *jsState) regexp(r rune) string {
	switch {
	case isLineTerminator(r):
		return "a line break inside a regular expression literal"
	case s.pend == pendEscape:
		s.pend = pendNone
	case r == '\\':
		s.pend = pendEscape
	case s.mode == jsRegexpClass:
		if r == ']' {
			s.mode = jsRegexp
		}
	case r == '[':
		s.mode = jsRegexpClass
	case r == '/':
		s.mode = jsRegexpFlags
		s.value()
	}
	return ""
}
