package rules

import "bytes"

// code reads a character of code.
func (s *jsState) code(r rune) string {
	if msg, done := s.pending(r); done || msg != "" {
		return msg
	}
	dashes := s.dashes
	s.dashes = 0
	if s.dashUnknown {
		if r == '-' || r == '>' {
			return "'-' or '>' where a --> comment may or may not begin ({{if}} branches end differently)"
		}
		if !isJSSpace(r) {
			s.dashUnknown = false
		}
	}
	cut := s.cutWord
	s.cutWord = false
	if cut && isJSWordPart(r) {
		return "a word split by {{if}}, {{else}}, {{range}} or {{end}}: keep each word whole inside or outside the branch"
	}
	if isJSWordPart(r) || r == '.' && isNumber(s.word) {
		s.word += string(r)
		s.lineStart = no
		return ""
	}
	s.endWord()
	switch {
	case isLineTerminator(r):
		s.lineStart = yes
		s.blank()
		return ""
	case isJSSpace(r):
		s.blank()
		return ""
	case r == '-' && (dashes > 0 || s.lineStart != no):
		s.dashes = dashes + 1
		if dashes == 0 {
			s.dashStart = s.lineStart
		}
	case r == '>' && dashes == 2: // --> where a line began: a comment
		if s.dashStart == unknown {
			return "--> where a line may or may not have begun ({{if}} branches end differently)"
		}
		s.mode = jsLineComment
		return ""
	}
	newLine := s.lineStart
	s.lineStart = no
	return s.punct(r, newLine)
}

// pending completes a token begun by the previous character; done says r
// was consumed.
func (s *jsState) pending(r rune) (msg string, done bool) {
	p := s.pend
	s.pend = pendNone
	switch p {
	case pendHash:
		if r == '!' {
			s.mode = jsLineComment
			return "", true
		}
		s.word += "#"
	case pendSlash:
		switch r {
		case '/':
			s.mode = jsLineComment
			s.blank()
			return "", true
		case '*':
			s.mode = jsBlockComment
			s.blank()
			return "", true
		}
		if msg := s.slashToken(); msg != "" || s.mode != jsCode {
			if msg == "" {
				msg = s.next(r)
			}
			return msg, true
		}
	case pendLt:
		if r == '!' {
			s.pend = pendLtBang
			return "", true
		}
	case pendLtBang:
		if r == '-' {
			s.pend = pendLtBangDash
			return "", true
		}
	case pendLtBangDash:
		if r == '-' {
			s.mode = jsLineComment
			return "", true
		}
	}
	return "", false
}

// slashToken reads a '/' that starts no comment: a regexp or a division.
func (s *jsState) slashToken() string {
	switch s.slash {
	case slashRegexp:
		s.mode = jsRegexp
	case slashDiv:
		s.operator()
	default:
		return "'/' where JavaScript may read a division or a regular expression (after '}' or a '++' or '--' after it, " +
			"yield, await, of, or where {{if}} branches end differently); add parentheses"
	}
	return ""
}

// punct reads a character that is not part of a word, a blank or a line
// terminator; newLine says whether a line began since the last token.
func (s *jsState) punct(r rune, newLine tristate) string {
	lastWord := s.lastWord
	s.lastWord = ""
	switch r {
	case '"':
		s.mode = jsDQString
	case '\'':
		s.mode = jsSQString
	case '`':
		s.mode = jsTemplate
	case '/':
		s.pend = pendSlash
	case '(':
		s.stack += string(rune(parenFor(lastWord, s.wordUnknown)))
		s.operator()
	case '[', '{':
		s.stack += string(r)
		s.operator()
	case ')':
		open := s.pop(openParen, openRegexpParen, openFuzzyParen)
		s.value()
		switch open {
		case openFuzzyParen:
			s.slash = slashAmbiguous
		case openRegexpParen:
			s.slash = slashRegexp
		}
	case ']':
		s.pop(openBracket)
		s.value()
	case '}':
		return s.closeBrace()
	case '+', '-':
		s.plusMinus(byte(r), newLine)
	case '<':
		s.operator()
		s.pend = pendLt
	case '.':
		s.operator()
		s.afterDot = true
	default:
		s.operator()
	}
	return ""
}

// closeBrace reads '}': the end of a ${ } substitution, or of a block or
// object literal, after which a '/' is ambiguous.
func (s *jsState) closeBrace() string {
	if s.pop(openSubst) == openSubst {
		s.mode, s.pend = jsTemplate, pendNone
		return ""
	}
	s.pop(openBrace)
	s.operator()
	s.slash = slashAmbiguous
	return ""
}

// pop closes the innermost bracket if it is one of opens and returns it,
// else 0; unbalanced brackets are a syntax error of the script, which then
// never runs.
func (s *jsState) pop(opens ...byte) byte {
	if n := len(s.stack); n > 0 && bytes.IndexByte(opens, s.stack[n-1]) >= 0 {
		open := s.stack[n-1]
		s.stack = s.stack[:n-1]
		return open
	}
	return 0
}

// plusMinus reads '+' or '-'; newLine says whether a line began since the
// token before. After an odd run of them ("+", "+++" = "++ +") a '/'
// starts a regexp. After an even run it depends on what "++" or "--"
// was: postfix, after a value on the same line ("a++ / 2"), it is a value
// and a '/' divides; prefix, after an operator or a line break ("x =
// --/}/.source", "a\n--/re/.x" where a ';' is inserted), an operand
// follows and a '/' starts a regexp.
func (s *jsState) plusMinus(c byte, newLine tristate) {
	count := 1
	if s.opRun == c {
		count = s.opCount + 1
	}
	unknownRun := s.opUnknown
	if count == 1 {
		switch {
		case s.slash == slashRegexp || newLine == yes:
			s.runPostfix = no
		case s.slash == slashDiv && newLine == no:
			s.runPostfix = yes
		default:
			s.runPostfix = unknown
		}
	}
	s.operator()
	s.opRun, s.opCount = c, count
	if count%2 == 0 {
		switch s.runPostfix {
		case yes:
			s.slash = slashDiv
		case unknown:
			s.slash = slashAmbiguous
		}
	}
	if unknownRun {
		s.slash, s.opUnknown = slashAmbiguous, true
	}
}

// blank records white space or a comment, which ends a run of '+' or '-'
// ("+ +" is two operators, "++" one).
func (s *jsState) blank() { s.opRun, s.opCount = 0, 0 }

// operator records a token after which a '/' starts a regexp.
func (s *jsState) operator() {
	s.slash, s.opRun, s.opCount, s.afterDot = slashRegexp, 0, 0, false
	s.settled()
}

// value records a token after which a '/' divides.
func (s *jsState) value() {
	s.slash, s.opRun, s.opCount, s.afterDot, s.lastWord = slashDiv, 0, 0, false, ""
	s.settled()
}

// settled forgets what branches left unknown once a token is read.
func (s *jsState) settled() {
	s.dotUnknown, s.wordUnknown, s.opUnknown = false, false, false
}

// endWord classifies the word just read.
func (s *jsState) endWord() {
	if len(s.word) == 0 {
		return
	}
	w := s.word
	afterDot, dotUnknown, lastWord := s.afterDot, s.dotUnknown, s.lastWord
	s.word = ""
	s.value()
	switch {
	case dotUnknown && (regexpAfterWords[w] || ambiguousWords[w]):
		s.slash = slashAmbiguous
	case afterDot || isNumber(w):
	case regexpAfterWords[w]:
		s.slash, s.lastWord = slashRegexp, w
	case w == "await" && lastWord == "for": // for await (…)
		s.slash, s.lastWord = slashAmbiguous, lastWord
	case ambiguousWords[w]:
		s.slash = slashAmbiguous
	default:
		s.lastWord = w
	}
}

// action records an interpolated value at the current point; the mode it
// is in decides its escaping. The value is code, string content or a
// comment's text, never a character that completes a pending token.
func (s *jsState) action() (jsMode, string) {
	if s.mode == jsRegexpFlags {
		s.mode = jsCode
	}
	switch s.mode {
	case jsCode:
		if s.pend == pendSlash {
			if msg := s.slashToken(); msg != "" {
				return s.mode, msg
			}
		}
		if s.mode == jsCode {
			s.pend, s.cutWord, s.noHash = pendNone, false, false
			s.endWord()
			s.value()
			s.lineStart, s.dashes, s.start = no, 0, false
			return jsCode, ""
		}
	case jsRegexp, jsRegexpClass:
	case jsDQString, jsSQString, jsTemplate:
		// string content may be empty: then the unfinished token goes on
		// with the text after the value.
		if s.pend != pendNone {
			s.emptyPend = s.pend
		}
		s.pend = pendNone
		return s.mode, ""
	default: // comments: a literal, never empty
		s.pend = pendNone
		return s.mode, ""
	}
	return s.mode, "values cannot be interpolated into a regular expression literal; build it with new RegExp(…) from a string"
}
