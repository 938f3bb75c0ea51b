package xlsx

import (
	"io"
	"strings"

	"biopilot/program"
)

// GapsSheet is the name of EquipmentGaps' sheet.
const GapsSheet = "设备差距"

// Keys of the equipment tables' columns the gap sheet reads. A table is an
// equipment table when it has a GapColumn.
const (
	GapColumn      = "gap_level"
	SupplierColumn = "domestic_suppliers"
)

// severeGaps are the gap levels that, without a domestic supplier, mark a row.
var severeGaps = map[string]bool{"large": true, "very_large": true}

// tableShort names the equipment tables briefly; other tables use their label.
var tableShort = map[string]string{
	"equipment.fermentation": "发酵",
	"equipment.purification": "纯化",
	"equipment.testing":      "检验",
	"equipment.other":        "其他",
	"software":               "软件",
}

// gapColumns are the gap sheet's columns after the application's: header, the
// table columns it is read from (the first present), and the width.
var gapColumns = []struct {
	header string
	keys   []string
	width  float64
}{
	{"名称/类别", []string{"name", "category"}, 24},
	{"品牌", []string{"brand"}, 14},
	{"型号", []string{"model", "version"}, 14},
	{"数量", []string{"quantity"}, 8},
	{"差距情况", []string{GapColumn}, 12},
	{"详细描述", []string{"gap_detail"}, 36},
	{"国内潜在供应商", []string{SupplierColumn}, 24},
	{"购置时间", []string{"purchased_on"}, 11},
	{"价格（万元）", []string{"price_10k_yuan"}, 12},
}

// NoSupplier reports whether a 国内潜在供应商 text names none: empty, or 暂无 and the
// like.
func NoSupplier(s string) bool {
	switch strings.TrimFunc(s, isSpace) {
	case "", "暂无", "无", "没有", "尚无", "-", "—", "/", "／":
		return true
	}
	return false
}

// EquipmentGaps writes every equipment and software row of every application with
// its gap to international equipment and its domestic suppliers, so the province
// sees where domestic substitutes are missing. Rows with 差距较大 or 差距很大 and
// no supplier (empty or 暂无) are highlighted.
func EquipmentGaps(w io.Writer, p *program.Program, rows []AppRow) error {
	f, st, err := newBook(GapsSheet)
	if err != nil {
		return err
	}
	defer f.Close()
	var tables []*program.Field
	for _, fl := range p.Form.Fields {
		if fl.Type == program.TypeTable && fl.Column(GapColumn) != nil {
			tables = append(tables, fl)
		}
	}
	cols := []column{{"申请编号", 18}, {"申报单位", 30}, {"地市", 10}, {"设备类别", 10}}
	for _, c := range gapColumns {
		cols = append(cols, column{c.header, c.width})
	}
	s, err := newStream(f, GapsSheet, cols, st)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range rows {
		r := &rows[i]
		org := orDoc(r.OrgName, r.Document, "applicant.name")
		city := p.CityName(r.CityCode)
		for _, tbl := range tables {
			v, _ := program.Lookup(r.Document, tbl.Key)
			list, _ := v.([]any)
			short := tableShort[tbl.Key]
			if short == "" {
				short = tbl.Label
			}
			gapCol := tbl.Column(GapColumn)
			for _, it := range list {
				m, ok := it.(map[string]any)
				if !ok {
					continue
				}
				clear(vals)
				vals[0], vals[1], vals[2], vals[3] = r.Number, org, city, short
				for j, c := range gapColumns {
					for _, k := range c.keys {
						if tbl.Column(k) == nil {
							continue
						}
						if x, ok := m[k]; ok {
							if k == GapColumn {
								x = gapCol.OptionLabel(str(x))
							}
							vals[4+j] = x
						}
						break
					}
				}
				supplier, _ := m[SupplierColumn].(string)
				if severeGaps[str(m[GapColumn])] && NoSupplier(supplier) {
					for j, x := range vals {
						style := st.highlight
						if j == 4+4 { // 差距情况
							style = st.highlightText
						}
						vals[j] = cellStyled(style, x)
					}
				}
				if err := s.row(vals); err != nil {
					return err
				}
			}
		}
	}
	if err := s.close(); err != nil {
		return err
	}
	if _, err := f.NewSheet("说明"); err != nil {
		return err
	}
	notes := []string{
		"本表列出所有申请填报的发酵、纯化、检验、其他设备及数字化软件系统，每行一台（套）。",
		"底色标出的行：差距情况为「差距较大」或「差距很大」，且国内潜在供应商为空或「暂无」，即尚无国内替代的设备。",
		"可使用表头的筛选按钮按地市、设备类别、差距情况筛选。",
	}
	for i, n := range notes {
		if err := f.SetCellValue("说明", cellName(0, i+1), n); err != nil {
			return err
		}
	}
	if err := f.SetColWidth("说明", "A", "A", 100); err != nil {
		return err
	}
	return write(f, w)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
