package biopilot

import "time"

// Authority is a public body that reviews applications in a jurisdiction: a city's
// bureau of industry and information technology or development and reform, the
// province's, or the ministry. Like an organisation it holds an SM2 seal, used when
// it recommends, returns or co-signs.
type Authority struct {
	ID           int64
	Role         Role   // city_miit, city_drc, prov_miit, prov_drc or ministry
	Jurisdiction string // a city code, the province's code, or CountryCode
	Name         string // e.g. 广州市工业和信息化局
	// SignPublicKey and SignPrivateKeyEnc are the authority's SM2 seal: the public
	// key (PEM) and the private key encrypted with SM4 under the master key.
	SignPublicKey     string
	SignPrivateKeyEnc []byte
	CreatedAt         time.Time
}
