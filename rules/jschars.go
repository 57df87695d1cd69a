package rules

import "unicode"

// regexpAfterWords are the keywords after which a '/' starts a regexp.
var regexpAfterWords = map[string]bool{
	"break": true, "case": true, "continue": true, "default": true, "delete": true, "do": true,
	"else": true, "extends": true, "finally": true, "in": true, "instanceof": true, "new": true,
	"return": true, "throw": true, "try": true, "typeof": true, "void": true,
	"if": true, "while": true, "for": true, "with": true,
}

// ambiguousWords may be keywords or variable names.
var ambiguousWords = map[string]bool{"yield": true, "await": true, "of": true}

// parenFor returns the bracket of a '(' after word: after if, while, for
// and with, a statement, perhaps a regexp, begins after its ')'.
func parenFor(word string, unknown bool) byte {
	switch {
	case unknown:
		return openFuzzyParen
	case word == "if" || word == "while" || word == "for" || word == "with":
		return openRegexpParen
	}
	return openParen
}

// isJSWordPart reports whether r continues an identifier, keyword or
// number (\ for \u escapes in identifiers, # for private names).
func isJSWordPart(r rune) bool {
	return r == '$' || r == '_' || r == '\\' || r == '#' || r == '\u200c' || r == '\u200d' ||
		'0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' ||
		r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) ||
			unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Nl, r))
}

func isNumber(word string) bool {
	return len(word) > 0 && ('0' <= word[0] && word[0] <= '9' || word[0] == '.')
}

func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

// isJSSpace reports JavaScript's white space (not line terminators).
func isJSSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\v' || r == '\f' || r == '\u00a0' || r == '\ufeff' ||
		r > 0x7f && unicode.Is(unicode.Zs, r)
}
