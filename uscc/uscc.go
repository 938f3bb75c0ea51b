// Package uscc checks unified social credit codes (统一社会信用代码, GB 32100-2015).
//
// A code has 18 characters: the registration authority (1), the organisation
// category (1), the GB/T 2260 administrative division of the registering
// authority (6), the subject identification code (9) and a check character (1).
// The characters are the digits and the capital letters other than I, O, Z, S
// and V; the check character is computed from the first 17 with weights 3^i mod 31.
package uscc

import (
	"strings"
	"unicode/utf8"

	"biopilot"
)

// Charset is the code's alphabet; a character's value is its index.
const Charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// Length is the length of a code.
const Length = 18

// weights[i] = 3^i mod 31.
var weights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// value returns the value of a code character, or -1.
func value(c byte) int {
	return strings.IndexByte(Charset, c)
}

// CheckChar computes the check character of the first 17 characters of a code.
// It returns an EINVALID error in Chinese when first17 is not 17 valid characters.
func CheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != Length-1 || len(first17) != Length-1 {
		return 0, biopilot.FieldErrorf("uscc", "计算校验位需要统一社会信用代码的前 17 位，实际为 %d 位", n)
	}
	sum := 0
	for i := 0; i < Length-1; i++ {
		v := value(first17[i])
		if v < 0 {
			return 0, charError(rune(first17[i]), i+1)
		}
		sum += v * weights[i]
	}
	return Charset[(31-sum%31)%31], nil
}

// Validate checks a code: its length, its characters and its check character. It
// returns nil for a valid code, otherwise an EINVALID *biopilot.Error whose Chinese
// message says what is wrong (naming the expected check character when that is it).
func Validate(code string) error {
	if strings.TrimSpace(code) == "" {
		return biopilot.FieldErrorf("uscc", "统一社会信用代码为空")
	}
	if n := utf8.RuneCountInString(code); n != Length {
		return biopilot.FieldErrorf("uscc", "统一社会信用代码应为 %d 位，实际为 %d 位", Length, n)
	}
	pos := 0
	for _, r := range code {
		pos++
		if err := charError(r, pos); err != nil {
			return err
		}
	}
	want, err := CheckChar(code[:Length-1])
	if err != nil {
		return err
	}
	if got := code[Length-1]; got != want {
		return biopilot.FieldErrorf("uscc", "统一社会信用代码校验位错误：按前 17 位计算，第 18 位应为「%c」，实际为「%c」", want, got)
	}
	return nil
}

// charError explains why r, at position pos (from 1), is not a code character, or
// returns nil when it is one.
func charError(r rune, pos int) error {
	if r < utf8.RuneSelf && value(byte(r)) >= 0 {
		return nil
	}
	up := r - 'a' + 'A'
	switch {
	case r >= 'a' && r <= 'z' && value(byte(up)) >= 0:
		return biopilot.FieldErrorf("uscc", "统一社会信用代码第 %d 位「%c」应为大写字母「%c」", pos, r, up)
	case strings.ContainsRune("IOZSVioszv", r):
		return biopilot.FieldErrorf("uscc", "统一社会信用代码第 %d 位「%c」无效：代码不使用字母 I、O、Z、S、V", pos, r)
	}
	return biopilot.FieldErrorf("uscc", "统一社会信用代码第 %d 位「%c」无效：只能是数字或大写字母（不含 I、O、Z、S、V）", pos, r)
}

// Division returns the administrative division code of a code (characters 3–8),
// or "" when the code is too short.
func Division(code string) string {
	if len(code) < 8 {
		return ""
	}
	return code[2:8]
}
