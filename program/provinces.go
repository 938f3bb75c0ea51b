package program

import (
	"cmp"
	"fmt"
	"maps"
	"strings"
)

// Provinces returns the provinces of the program's tree, in order: the root itself
// for a provincial deployment, the root's provinces for a national one.
func (p *Program) Provinces() []*Jurisdiction {
	var out []*Jurisdiction
	p.walk(p.RootJurisdiction(), func(j *Jurisdiction) {
		if j.Level == LevelProvince {
			out = append(out, j)
		}
	})
	return out
}

// ProvinceOf returns the province a code lies in (the code's own jurisdiction when it
// is a province), or nil for the country or a code outside the tree.
func (p *Program) ProvinceOf(code string) *Jurisdiction {
	j := p.Jurisdiction(code)
	if j == nil {
		return nil
	}
	if j.Level == LevelProvince {
		return j
	}
	for _, a := range p.Ancestors(code) {
		if a.Level == LevelProvince {
			return a
		}
	}
	return nil
}

// CitiesIn returns the program's cities lying within code (a province: its
// cities; the root: all of them; a city: itself), in the program's order.
func (p *Program) CitiesIn(code string) []City {
	var out []City
	for _, c := range p.Cities {
		if p.Contains(code, c.Code) {
			out = append(out, c)
		}
	}
	return out
}

// ProvinceAuthorities names the two provincial authorities of the province a code
// lies in (a province or one of its cities): its department of industry and
// information technology and its development and reform commission. The names come
// from the province's node of the tree (miit, drc), from the program's province
// for a provincial definition, else are made from the province's name. Both are ""
// for a code in no province.
func (p *Program) ProvinceAuthorities(code string) (miit, drc string) {
	prov := p.ProvinceOf(code)
	if prov == nil {
		return "", ""
	}
	miit, drc = prov.MIIT, prov.DRC
	if prov.Code == p.Province.Code {
		miit, drc = cmp.Or(miit, p.Province.MIIT), cmp.Or(drc, p.Province.DRC)
	}
	return cmp.Or(miit, prov.Name+"工业和信息化厅"), cmp.Or(drc, prov.Name+"发展和改革委员会")
}

// NumberPrefix is the prefix of the application numbers of the province a code lies
// in: the province's abbr (GD for 广东省, JS for 江苏省), else "P" and the
// province's two digits ("P32").
func (p *Program) NumberPrefix(code string) string {
	prov := p.ProvinceOf(code)
	switch {
	case prov != nil && prov.Abbr != "":
		return prov.Abbr
	case strings.HasPrefix(code, "44"):
		return "GD" // the Guangdong definition names no abbreviation
	case len(code) >= 2:
		return "P" + code[:2]
	}
	return "P"
}

// IsNational reports whether the deployment is the ministry's: its tree is rooted
// at the country.
func (p *Program) IsNational() bool { return p.RootJurisdiction().Level == LevelCountry }

// applyRuleParams replaces the rules' params named in RuleParams.
func (p *Program) applyRuleParams() error {
	if len(p.RuleParams) == 0 {
		return nil
	}
	if p.Rules.Params == nil {
		p.Rules.Params = Params{}
	}
	for k := range p.RuleParams {
		if _, ok := p.Rules.Params[k]; !ok {
			return fmt.Errorf("rule_params.%s 不是规则文件 params 中的项", k)
		}
	}
	maps.Copy(p.Rules.Params, p.RuleParams)
	return nil
}
