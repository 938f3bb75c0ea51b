package demo

import "biopilot"

// The national demo's data: Jiangsu's authorities, the ministry, the expert pool and
// the applications both provinces recommend to the ministry.

// nationalAuthorities are the accounts the national demo adds to Seed's: a Jiangsu
// city (南京) and the Jiangsu province, and the ministry.
var nationalAuthorities = []struct {
	username, name string
	role           biopilot.Role
	jurisdiction   string
}{
	{"nj-miit", "南京市工业和信息化局 孙明远", biopilot.RoleCityMIIT, "320100"},
	{"nj-drc", "南京市发展和改革委员会 许静怡", biopilot.RoleCityDRC, "320100"},
	{"js-prov-miit", "江苏省工业和信息化厅消费品工业处 顾文斌", biopilot.RoleProvMIIT, "320000"},
	{"js-prov-drc", "江苏省发展改革委创新和高技术发展处 钱嘉宁", biopilot.RoleProvDRC, "320000"},
	{"ministry", "工业和信息化部消费品工业司 马卫东", biopilot.RoleMinistry, biopilot.CountryCode},
}

// expertSeed is a member of the demo's expert pool and its login.
type expertSeed struct {
	username, name, org, uscc17, city string
	domains                           []string
	// relatedOrg is an applicant the expert declared a relation with (excluded).
	relatedOrg, relation string
}

// experts are seven experts of varied organisations, cities and fields: every
// recommended application of the demo has at least five without a conflict of
// interest in its domains (the city's own experts and a declared relation are
// excluded), so that the ministry's automatic assignment of five succeeds.
var experts = []expertSeed{
	{"expert1", "王建国", "江南示例大学", "12320000MB1J00011", "320200",
		[]string{"food_additives", "enzymes", "biopharma", "cosmetics", "plant_chassis", "lignocellulose"}, "", ""},
	{"expert2", "李慧敏", "华南示例理工大学", "12440000MB2D00001", "440100",
		[]string{"chemicals", "energy", "lignocellulose", "c1_feedstock", "enzymes", "cosmetics", "plant_chassis"}, "", ""},
	{"expert3", "张伟", "南京示例工业大学", "12320000MB1N00023", "320100",
		[]string{"biopharma", "chemicals", "c1_feedstock", "energy", "enzymes", "cosmetics", "plant_chassis"}, "", ""},
	{"expert4", "陈思远", "深圳示例先进技术研究院", "12440300MB2H00035", "440300",
		[]string{"food_additives", "biopharma", "cosmetics", "chemicals", "energy", "enzymes", "lignocellulose", "c1_feedstock", "plant_chassis"}, "", ""},
	{"expert5", "刘芳", "苏州示例生物医药研究院", "12320500MB1P00047", "320500",
		[]string{"biopharma", "cosmetics", "food_additives", "plant_chassis", "chemicals", "energy", "lignocellulose"}, "", ""},
	{"expert6", "赵立群", "常州示例生物制造创新中心", "12320400MB1C00059", "320400",
		[]string{"chemicals", "energy", "lignocellulose", "c1_feedstock", "plant_chassis", "biopharma", "cosmetics"}, "", ""},
	{"expert7", "周婷", "广东省示例微生物研究所", "12440000MB2W00061", "440100",
		[]string{"biopharma", "cosmetics", "food_additives", "enzymes", "plant_chassis", "energy", "chemicals", "lignocellulose"},
		"南京示例农业生物技术有限公司", "近三年合作项目"},
}

// nationalSample is an application the national demo takes to the ministry: the
// review sample's fields and what makes its document its own.
type nationalSample struct {
	reviewSample
	scope, overview string
	chassis         []string
	equipment       []string // its domain's key equipment, added to the 其他设备 (other) table
	client          string   // a contract's client and title
	contract        string
}

// nationalSamples are recommended to the ministry by both provinces: three from
// 广东 (two in 广州, one in 佛山) and three from 江苏 (南京), of different domains.
var nationalSamples = []nationalSample{
	{reviewSample{"广州示例化妆品原料有限公司", "91440111MA5E8KP21", "440100", "gz-cosmetic", "罗雅琴",
		"示例功效化妆品原料中试平台", []any{"cosmetics"}, biopilot.StateRecommendedToMinistry},
		"重组胶原蛋白、透明质酸等功效原料的发酵放大、纯化与配方验证中试服务",
		"平台面向化妆品原料企业，提供重组蛋白与多糖类功效原料从菌种到公斤级样品的发酵、纯化和功效评价服务。",
		[]string{"毕赤酵母", "大肠杆菌"}, []string{"紫外凝胶成像仪", "流变仪", "原子吸收分光光度计", "物性测试仪", "盐析设备"},
		"示例日化科技有限公司", "重组Ⅲ型胶原蛋白发酵放大"},
	{reviewSample{"广州示例能源生物科技有限公司", "91440115MA9W2R6X3", "440100", "gz-energy", "梁志成",
		"示例生物燃料与生物基材料中试平台", []any{"energy", "lignocellulose"}, biopilot.StateRecommendedToMinistry},
		"纤维素乙醇、生物航煤前体的预处理、酶解发酵与精馏中试服务",
		"平台建有秸秆预处理、同步糖化发酵和精馏脱水中试线，为能源企业提供生物燃料工艺验证和放大服务。",
		[]string{"酿酒酵母", "运动发酵单胞菌"}, []string{"精馏塔", "生物质气化炉", "生物甲烷净化装置", "蒸汽爆破装置", "纤维素测定仪"},
		"示例新能源有限公司", "秸秆纤维素乙醇连续发酵中试"},
	{reviewSample{"佛山示例木质纤维科技有限公司", "91440607MA56HC3T4", "440600", "fs-fiber", "冯嘉欣",
		"示例木质纤维素高值化中试平台", []any{"lignocellulose"}, biopilot.StateRecommendedToMinistry},
		"农林废弃物组分分离、酶解糖化及木质素材料化利用中试服务",
		"平台依托佛山家具与造纸产业集群的农林剩余物资源，提供组分分离、酶解糖化和木质素造粒挤出成型的中试服务。",
		[]string{"里氏木霉", "黑曲霉"}, []string{"风选筛选机", "磨粉机", "酶解罐", "造粒机", "挤出机", "热分析仪"},
		"示例家居材料有限公司", "木质素基胶黏剂中试验证"},
	{reviewSample{"南京示例生物医药科技有限公司", "91320113MA1WQH2K4", "320100", "nj-pharma", "蒋文博",
		"示例抗体药物中试平台", []any{"biopharma"}, biopilot.StateRecommendedToMinistry},
		"单克隆抗体与重组蛋白药物的细胞培养工艺开发、纯化与质量研究中试服务",
		"平台按药品生产质量管理规范建设细胞培养和纯化中试车间，为创新药企业提供抗体药物从工艺开发到临床样品制备的服务。",
		[]string{"CHO细胞", "大肠杆菌"}, []string{"生物安全柜", "切向流超滤系统", "电泳仪", "近红外光谱仪", "多通道质谱仪", "低温冰箱"},
		"示例生物制药有限公司", "双特异性抗体细胞培养工艺放大"},
	{reviewSample{"南京示例绿色化工有限公司", "91320116MA1XT7N93", "320100", "nj-chem", "潘晓东",
		"示例生物基化学品中试平台", []any{"chemicals", "c1_feedstock"}, biopilot.StateRecommendedToMinistry},
		"生物基丁二酸、1,3-丙二醇等化学品的发酵转化、分离精制与一碳原料利用中试服务",
		"平台位于南京江北新材料科技园，建有发酵转化、结晶精制和尾气一碳组分利用中试装置，服务化工企业的生物替代工艺。",
		[]string{"谷氨酸棒杆菌", "食甲基菌"}, []string{"反应釜", "结晶罐", "元素分析仪", "X射线衍射仪", "脱硫塔", "一氧化碳快速分析仪"},
		"示例新材料股份有限公司", "生物基丁二酸结晶精制中试"},
	{reviewSample{"南京示例农业生物技术有限公司", "91320115MA1Y3LR86", "320100", "nj-plant", "韩雪梅",
		"示例植物细胞培养中试平台", []any{"plant_chassis"}, biopilot.StateRecommendedToMinistry},
		"紫杉醇、人参皂苷等植物天然产物的植物细胞悬浮培养与分离纯化中试服务",
		"平台建有植物细胞库和悬浮培养放大线，提供植物细胞系构建、生物反应器培养和树脂吸附纯化的中试服务。",
		[]string{"红豆杉细胞", "烟草BY-2细胞"}, []string{"植物细胞采集罐", "树脂吸附罐", "振动筛", "色谱柱", "卡尔费休水分测定仪", "密度计"},
		"示例中药科技有限公司", "人参皂苷细胞培养工艺放大"},
}

// letterNumbers are the city letters' numbers (文号) in the national demo.
var letterNumbers = map[string]string{
	"440100": "穗工信函〔2025〕52号",
	"440600": "佛工信函〔2025〕41号",
	"320100": "宁工信函〔2025〕27号",
}
