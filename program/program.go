// Package program holds a call for applications as data: its identity, issuing bodies,
// jurisdictions, domains, deadlines, the application form and the guide's rules.
//
// A program definition is a directory of JSON files (program.json, and the form and
// rules files it names). The 2025 Guangdong call is embedded in the binary; another
// edition is a new directory loaded with --program, not new code.
package program

import (
	"fmt"
	"time"
)

// Program is one call for applications.
type Program struct {
	ID          string    `json:"id"`
	Edition     int       `json:"edition"`
	Title       string    `json:"title"`
	ShortTitle  string    `json:"short_title"`
	Notice      string    `json:"notice"`
	NoticeTitle string    `json:"notice_title"`
	GuideTitle  string    `json:"guide_title"`
	Issuers     []string  `json:"issuers"`
	UTCOffset   string    `json:"utc_offset"`
	Deadlines   Deadlines `json:"deadlines"`
	Province    Province  `json:"province"`
	Cities      []City    `json:"cities"`
	Domains     []Option  `json:"domains"`
	FormFile    string    `json:"form"`
	RulesFile   string    `json:"rules"`

	// JurisdictionTree is the optional tree of jurisdictions (country → province →
	// city); when absent it is built from Province and Cities. See national.go.
	JurisdictionTree *Jurisdiction `json:"jurisdictions,omitempty"`
	// RuleParams, when given, replace top-level entries of the rules file's params
	// (a definition sharing another's rules file adapts its constants: the national
	// call does not limit registration to one province). See applyRuleParams.
	RuleParams Params `json:"rule_params,omitempty"`
	// Evaluation is the optional national-stage section (experts, score sheet, 公示,
	// public fields); see national.go and Eval.
	Evaluation *Evaluation `json:"evaluation,omitempty"`
	// Annual is the optional annual-evaluation section (report form, targets, score sheet); see annual.go.
	Annual *Annual `json:"annual,omitempty"`

	// Form is the application form, loaded from FormFile.
	Form *Form `json:"-"`
	// Rules is the raw rules definition, loaded from RulesFile; the rules package
	// compiles it.
	Rules *RuleSet `json:"-"`
	// Source names where the definition was loaded from (for messages).
	Source string `json:"-"`

	loc *time.Location
	jur *jurIndex // built at load time by initNational
}

// Deadlines are the program's deadlines. Each value is either a date (YYYY-MM-DD),
// meaning the end of that day in the program's time zone, or an RFC 3339 instant.
type Deadlines struct {
	Applicant string `json:"applicant"`
	City      string `json:"city"`
}

// Province is the province that runs the call.
type Province struct {
	Code string `json:"code"`
	Name string `json:"name"`
	MIIT string `json:"miit"`
	DRC  string `json:"drc"`
}

// City is a prefecture-level city (GB/T 2260 code).
type City struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Option is a key with its Chinese label (domains, enumerations).
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Location is the program's time zone (Beijing time for Guangdong).
func (p *Program) Location() *time.Location { return p.loc }

// ApplicantDeadline is the instant from which applicants can no longer submit.
func (p *Program) ApplicantDeadline() time.Time {
	t, _ := parseDeadline(p.Deadlines.Applicant, p.loc)
	return t
}

// CityDeadline is the instant from which cities can no longer send to the province.
func (p *Program) CityDeadline() time.Time {
	t, _ := parseDeadline(p.Deadlines.City, p.loc)
	return t
}

// City returns the city with the given code, or nil.
func (p *Program) City(code string) *City {
	for i := range p.Cities {
		if p.Cities[i].Code == code {
			return &p.Cities[i]
		}
	}
	return nil
}

// CityName returns the name of a city code, or the code itself when unknown.
func (p *Program) CityName(code string) string {
	if c := p.City(code); c != nil {
		return c.Name
	}
	if code == p.Province.Code && p.Province.Name != "" {
		return p.Province.Name
	}
	if j := p.Jurisdiction(code); j != nil {
		return j.Name
	}
	return code
}

// DomainLabel returns the Chinese label of a domain key, or the key when unknown.
func (p *Program) DomainLabel(key string) string {
	for _, d := range p.Domains {
		if d.Key == key {
			return d.Label
		}
	}
	return key
}

// SuggestCity suggests the city of an organisation from its unified social credit
// code: the division code's first four digits + "00", when that is one of the
// program's cities. A code registered at province level suggests none.
func (p *Program) SuggestCity(uscc string) string {
	if len(uscc) < 8 {
		return ""
	}
	code := uscc[2:6] + "00"
	if p.City(code) != nil {
		return code
	}
	return ""
}

// WithDeadlines returns a copy of the program whose deadlines are replaced (the demo
// moves them into the future; an administrator's extension does the same).
func (p *Program) WithDeadlines(d Deadlines) (*Program, error) {
	for _, v := range []string{d.Applicant, d.City} {
		if _, err := parseDeadline(v, p.loc); err != nil {
			return nil, err
		}
	}
	cp := *p
	cp.Deadlines = d
	return &cp, nil
}

// parseDeadline parses a date (end of that day in loc) or an RFC 3339 instant.
func parseDeadline(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("截止时间 %q 应为 YYYY-MM-DD 或 RFC 3339 时间", s)
}

// parseOffset parses "+08:00" into a fixed zone.
func parseOffset(s string) (*time.Location, error) {
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("utc_offset %q 应形如 +08:00", s)
	}
	_, off := t.Zone()
	name := "UTC" + s
	if off == 8*3600 {
		name = "CST"
	}
	return time.FixedZone(name, off), nil
}
