package demo

import (
	"time"

	"biopilot"
)

// The first batch of the national evaluation (listed.go): six applications from
// 广东 and 江苏 recommended in autumn 2025, evaluated by the experts, five of them
// listed in December 2025 (the first national list) and one not.

// listedSample is an application of the first batch: its document (as the
// national samples') and how the evaluation went.
type listedSample struct {
	nationalSample
	share     float64 // the experts' typical share of the maximum points
	outlier   bool    // one expert scores far lower than the others
	conflict  bool    // the first expert assigned declares a conflict of interest
	objection bool    // an objection is filed against it during the notice
	listed    bool    // else the committee decides 不予入选
	reason    string  // the committee's reason
	stars     int     // the 2025 star rating when listed
	starWhy   string
	mobile    string // the platform's contact mobile (public in the directory)
	targets   [2]float64
}

// firstBatch: 广州, 佛山 and 南京, seven domains between them. The equipment
// names are what a person searches the directory for: 50L发酵罐, 冻干机,
// 连续流反应器, 喷雾干燥塔, 超临界萃取装置, 蒸汽爆破装置.
var firstBatch = []listedSample{
	{nationalSample{reviewSample{"广州示例重组蛋白科技有限公司", "91440116MA5FQ1L2X", "440100", "gz-protein", "杜文静",
		"示例重组蛋白与疫苗中试平台", []any{"biopharma"}, biopilot.StateListed},
		"重组蛋白药物、基因工程疫苗的发酵表达、纯化、冻干制剂中试及临床样品制备服务",
		"平台建有符合药品生产质量管理规范的发酵、纯化与冻干中试车间，面向创新药和疫苗企业提供从菌种构建到临床样品的一站式中试服务。",
		[]string{"大肠杆菌", "毕赤酵母"}, []string{"50L发酵罐", "冻干机", "层析系统", "切向流过滤系统", "全自动配液系统"},
		"示例创新药有限公司", "重组人生长激素发酵与纯化工艺放大"},
		0.90, false, false, false, true, "技术设备条件和服务能力突出，发酵—纯化—冻干全链条中试条件完备，同意拟入选。",
		5, "全链条中试条件完备，2025 年服务创新药企业数量居同领域前列。", "13800138101", [2]float64{24, 1600}},
	{nationalSample{reviewSample{"佛山示例食品酶制剂有限公司", "91440605MA5G7B3N2", "440600", "fs-biozyme", "区振华",
		"示例食品酶与功能配料中试平台", []any{"food_additives", "enzymes"}, biopilot.StateListed},
		"食品用酶制剂、功能糖及益生元的发酵放大、喷雾干燥与复配中试服务",
		"平台依托佛山食品产业集群，建有 50 升至 5 立方米梯级发酵和喷雾干燥中试线，为食品配料企业提供酶制剂与功能糖的工艺放大服务。",
		[]string{"枯草芽孢杆菌", "黑曲霉"}, []string{"50L发酵罐", "喷雾干燥塔", "板框压滤机", "膜浓缩系统", "粉体混合机"},
		"示例调味品股份有限公司", "复合酶制剂发酵工艺放大"},
		0.84, true, false, false, true, "梯级发酵与干燥中试条件完备，服务区域食品产业成效明显；专家评分分歧已经复核，同意拟入选。",
		4, "发酵放大能力强，服务中小企业数量多，质量体系尚需完善。", "13800138102", [2]float64{30, 900}},
	{nationalSample{reviewSample{"南京示例连续流生物催化有限公司", "91320111MA1YK8C5Q", "320100", "nj-flow", "邵一鸣",
		"示例连续流生物催化中试平台", []any{"chemicals", "lignocellulose"}, biopilot.StateListed},
		"酶法连续流合成、生物基化学品与木质纤维素平台化合物的催化转化及分离中试服务",
		"平台将固定化酶与连续流反应技术结合，建有公斤级至百公斤级连续流生物催化中试线，服务医药中间体和生物基化学品企业。",
		[]string{"大肠杆菌", "里氏木霉"}, []string{"连续流反应器", "固定化酶反应柱", "薄膜蒸发器", "在线红外分析仪", "精馏塔"},
		"示例医药化工有限公司", "手性醇酶法连续流合成中试"},
		0.82, false, true, false, true, "连续流生物催化技术先进，中试装置有特色，同意拟入选。",
		4, "连续流生物催化技术国内领先，服务合同额增长快。", "13800138103", [2]float64{15, 1200}},
	{nationalSample{reviewSample{"南京示例天然产物研究院有限公司", "91320115MA20D4R7W", "320100", "nj-natural", "沈佳琪",
		"示例植物提取与功效原料中试平台", []any{"cosmetics", "plant_chassis"}, biopilot.StateListed},
		"植物细胞培养、天然产物提取纯化与化妆品功效原料的中试及功效评价服务",
		"平台建有植物细胞培养、超临界萃取和冻干中试线，为化妆品和大健康企业提供天然功效原料的放大与评价服务。",
		[]string{"红豆杉细胞", "烟草BY-2细胞"}, []string{"超临界萃取装置", "冻干机", "200L植物细胞生物反应器", "中试喷雾干燥机", "高效液相色谱仪"},
		"示例化妆品股份有限公司", "植物干细胞提取物中试放大"},
		0.86, false, false, true, true, "植物细胞培养与提取纯化条件完备，功效评价能力强，同意拟入选。",
		3, "中试条件完备，对外服务尚处起步阶段，服务企业数量有待提高。", "13800138104", [2]float64{18, 700}},
	{nationalSample{reviewSample{"佛山示例生物质能源有限公司", "91440606MA5H2C6P8", "440600", "fs-biomass", "麦志强",
		"示例生物质糖化与生物燃气中试平台", []any{"lignocellulose", "energy"}, biopilot.StateListed},
		"农林废弃物蒸汽爆破预处理、酶解糖化、厌氧发酵产生物燃气的中试服务",
		"平台建有蒸汽爆破预处理、酶解糖化和厌氧发酵中试线，日处理秸秆 5 吨，为生物能源和环保企业提供工艺验证服务。",
		[]string{"酿酒酵母", "产甲烷菌群"}, []string{"蒸汽爆破装置", "厌氧发酵罐", "酶解反应釜", "沼气提纯装置", "气相色谱仪"},
		"示例环境能源有限公司", "秸秆厌氧发酵产生物天然气中试"},
		0.79, false, false, false, true, "预处理与厌氧发酵中试规模适当，服务区域农林废弃物资源化利用，同意拟入选。",
		3, "中试规模适当，运行稳定，服务目标完成情况待年度评价核实。", "13800138105", [2]float64{12, 500}},
	{nationalSample{reviewSample{"广州示例功效评价技术有限公司", "91440106MA5J9D1T3", "440100", "gz-skincare", "黎美玲",
		"示例化妆品功效评价中试平台", []any{"cosmetics"}, biopilot.StateNotListed},
		"化妆品原料功效评价、安全性检测与小试配方验证服务",
		"平台以化妆品功效评价和检测为主，建有细胞与皮肤模型实验室和小试配方车间。",
		[]string{"酿酒酵母"}, []string{"皮肤测试仪", "细胞成像系统", "小试乳化机"},
		"示例美妆科技有限公司", "美白原料功效评价"},
		0.63, false, false, false, false, "平台以检测评价为主，中试放大设备和规模不足，综合得分低于入选线，不予入选。",
		0, "", "13800138106", [2]float64{10, 300}},
}

// batchLetters are the city letters of the first batch.
var batchLetters = map[string]string{
	"440100": "穗工信函〔2025〕31号",
	"440600": "佛工信函〔2025〕22号",
	"320100": "宁工信函〔2025〕15号",
}

// offsets vary the experts' scores of an application around its share; the
// outlier's expert scores at outlierShare.
var (
	offsets      = []float64{0.02, -0.03, 0.04, -0.01, 0, 0.01}
	outlierShare = 0.58
)

// when is a moment of the first batch, in Beijing time.
func when(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2025, month, day, hour, minute, 0, 0, biopilot.Beijing)
}

// objector and the grounds of the objection (异议不成立 after the ministry's check).
const (
	objectorName    = "王先生"
	objectorContact = "13912345678"
	objectionText   = "据了解，该平台申报的200L植物细胞生物反应器为租赁设备，并非平台自有，申报材料与实际情况不符，请予核查。"
	objectionReason = "经核查设备购置发票、固定资产登记和现场核验记录，200L植物细胞生物反应器为平台自有设备，异议不成立。"
	conflictReason  = "本人近三年曾为该单位提供技术咨询服务，申请回避。"
)

// comments are the experts' comments per criterion, by level (good, fair, weak).
var comments = map[string][3]string{
	"equipment":      {"关键中试设备配置齐全、先进，国产化水平较高。", "设备配置基本满足中试需要，部分在线检测设备依赖进口。", "中试放大设备规模偏小，以检测设备为主。"},
	"infrastructure": {"用房和公用工程条件好，安评、环评手续齐全。", "基础条件满足要求，部分区域布局有待优化。", "中试场地面积有限，公用工程配套不足。"},
	"service":        {"技术团队实力强，近三年中试服务业绩突出。", "具备一定服务能力，典型案例较少。", "对外服务以检测为主，中试服务业绩不足。"},
	"ip_protection":  {"知识产权保护制度健全，关键区域监控完备。", "有基本的知识产权管理制度，执行记录需完善。", "知识产权保护制度不够细化。"},
	"goals":          {"发展目标明确、量化，服务机制有创新。", "目标基本明确，量化指标可进一步细化。", "发展目标偏笼统，缺少量化指标。"},
}
