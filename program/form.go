package program

import "strings"

// Field types of a form definition.
const (
	TypeText        = "text"     // a string
	TypeInteger     = "integer"  // a whole number
	TypeNumber      = "number"   // a decimal number
	TypeBool        = "bool"     // true or false
	TypeDate        = "date"     // YYYY-MM-DD
	TypeMonth       = "month"    // YYYY-MM
	TypeEnum        = "enum"     // one of Options
	TypeSet         = "set"      // a subset of Options, as a list of keys
	TypeList        = "list"     // a list of strings
	TypeTable       = "table"    // a list of rows; each row an object of Columns
	TypeAttachments = "evidence" // an object: option key → list of attachment ids
)

// Form is an application form: its sections and fields in the printed order.
type Form struct {
	Sections     []Section `json:"sections"`
	Instructions []string  `json:"instructions"`
	Fields       []*Field  `json:"fields"`
	Derived      []Derived `json:"derived"`

	byKey map[string]*Field
}

// Section is one numbered part of the form (一、基本信息 …).
type Section struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Groups []string `json:"groups,omitempty"`
	// Text is fixed text printed in the section (the declaration).
	Text string `json:"text,omitempty"`
}

// Field is one entry of the form. Key is a dotted path into the document
// ("applicant.legal_rep.mobile"). For tables, Columns describe each row's keys.
type Field struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Section  string `json:"section"`
	Group    string `json:"group,omitempty"`
	Required bool   `json:"required,omitempty"`
	// MaxChars limits text to so many non-white-space code points. On a table it
	// limits the columns named in MaxCharsColumns of all rows together.
	MaxChars        int      `json:"max_chars,omitempty"`
	MaxCharsColumns []string `json:"max_chars_columns,omitempty"`
	Multiline       bool     `json:"multiline,omitempty"`
	// Format names a check the rules apply (uscc, mobile, postcode, email); saving
	// never refuses a value for its format, so nothing typed is lost.
	Format string   `json:"format,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	Help   string   `json:"help,omitempty"`
	// Options of an enum, set or evidence field. OptionsFrom "domains" takes the
	// program's domains.
	Options     []Option `json:"options,omitempty"`
	OptionsFrom string   `json:"options_from,omitempty"`
	TrueLabel   string   `json:"true_label,omitempty"`
	FalseLabel  string   `json:"false_label,omitempty"`
	Default     any      `json:"default,omitempty"`
	Columns     []*Field `json:"columns,omitempty"`
}

// Derived is a value computed from the document (占总人数比重), printed but never
// typed. See Derive for the formats.
type Derived struct {
	Key    string   `json:"key"`
	Label  string   `json:"label"`
	Format string   `json:"format"`
	Ratio  []string `json:"ratio,omitempty"`
	AllOf  []string `json:"all_of,omitempty"`
}

// Field returns the field with the given dotted key, or nil.
func (f *Form) Field(key string) *Field { return f.byKey[key] }

// SectionFields returns the fields of a section in order.
func (f *Form) SectionFields(id string) []*Field {
	var out []*Field
	for _, fl := range f.Fields {
		if fl.Section == id {
			out = append(out, fl)
		}
	}
	return out
}

// Column returns a table column by key, or nil.
func (fl *Field) Column(key string) *Field {
	for _, c := range fl.Columns {
		if c.Key == key {
			return c
		}
	}
	return nil
}

// OptionLabel returns the label of an option key, or the key.
func (fl *Field) OptionLabel(key string) string {
	for _, o := range fl.Options {
		if o.Key == key {
			return o.Label
		}
	}
	return key
}

// Path splits the dotted key.
func (fl *Field) Path() []string { return strings.Split(fl.Key, ".") }
