package biopilot

import "time"

// Organisation kinds (申报单位属性).
const (
	KindUniversity        = "university"
	KindResearchInstitute = "research_institute"
	KindStateOwned        = "state_owned"
	KindPrivate           = "private"
)

// OrgKinds maps kind keys to labels, in the form's order.
var OrgKinds = []struct{ Key, Label string }{
	{KindUniversity, "高校"}, {KindResearchInstitute, "科研机构"},
	{KindStateOwned, "国有企业"}, {KindPrivate, "民营企业"},
}

// Organisation is an applying organisation (申报单位).
type Organisation struct {
	ID       int64
	Name     string
	USCC     string // unified social credit code, GB 32100-2015
	Kind     string
	CityCode string // confirmed by the applicant at registration
	Disabled bool
	// SignPublicKey and SignPrivateKeyEnc are the organisation's SM2 seal: the
	// public key (PEM) and the private key encrypted with SM4 (review issue).
	SignPublicKey     string
	SignPrivateKeyEnc []byte
	CreatedAt         time.Time
}

// User is a person who logs in. An applicant belongs to one organisation (OrgID);
// an authority belongs to one jurisdiction (a city code, the province's code, or
// the country "000000" for the ministry).
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Email        string
	Phone        string
	Role         Role
	OrgID        int64  // applicants only
	Jurisdiction string // authorities only
	// OrgAdmin marks the organisation's administrator, who invites and disables
	// colleagues.
	OrgAdmin     bool
	Disabled     bool
	PasswordHash string
	// MustChangePassword is set for accounts created by an administrator.
	MustChangePassword bool
	CreatedAt          time.Time
	LastLoginAt        time.Time
}

// CountryCode is the jurisdiction of the ministry.
const CountryCode = "000000"

// Session is a logged-in session, stored in the database so that any instance can
// serve it. ID is the SHA-256 (hex) of the cookie token; the token itself is never
// stored.
type Session struct {
	ID        string
	UserID    int64
	CSRFToken string
	Address   string
	UserAgent string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute limit; the idle timeout is checked against LastSeen
}
