// Package notify tells people what concerns them: an in-app notification (站内消息)
// recorded through the store for every transition that concerns a person and for
// approaching deadlines, and an e-mail through SMTP when it is configured (logged
// otherwise), unless the person muted e-mail of that kind.
package notify

// Kind is a kind of notification. A person can mute e-mail per kind; in-app
// notifications are always recorded.
type Kind string

// Kinds of notification.
const (
	KindSubmitted             Kind = "submitted"               // to the city: an application awaits review
	KindReturned              Kind = "returned"                // to the applicant: returned for revision
	KindCosignRequested       Kind = "cosign_requested"        // to city_drc / prov_drc: a recommendation awaits co-signing
	KindRecommended           Kind = "recommended"             // to the applicant: the city recommended it
	KindRejected              Kind = "rejected"                // to the applicant: not recommended
	KindSentToProvince        Kind = "sent_to_province"        // to the applicant and the province: sent to the province
	KindReturnedToCity        Kind = "returned_to_city"        // to the city: the province returned its recommendation
	KindRecommendedToMinistry Kind = "recommended_to_ministry" // to the applicant and the city: recommended to the ministry
	KindStatusChanged         Kind = "status_changed"          // to the applicant: any other change of state
	KindDeadline3d            Kind = "deadline_3d"             // to the applicant: the deadline is in 3 days or less
	KindDeadline24h           Kind = "deadline_24h"            // to the applicant: the deadline is in 24 hours or less
)

// Kinds lists every kind in display order (for the settings page where e-mail is
// muted per kind).
var Kinds = []Kind{KindSubmitted, KindReturned, KindCosignRequested, KindRecommended, KindRejected,
	KindSentToProvince, KindReturnedToCity, KindRecommendedToMinistry, KindStatusChanged,
	KindDeadline3d, KindDeadline24h}

var kindLabels = map[Kind]string{
	KindSubmitted:             "有新的申请待审核",
	KindReturned:              "申请被退回修改",
	KindCosignRequested:       "推荐意见待会签",
	KindRecommended:           "地市已推荐",
	KindRejected:              "未获推荐",
	KindSentToProvince:        "已报送省级复核",
	KindReturnedToCity:        "省级退回地市推荐",
	KindRecommendedToMinistry: "已推荐至工业和信息化部",
	KindStatusChanged:         "申请状态变更",
	KindDeadline3d:            "距申报截止不足 3 天",
	KindDeadline24h:           "距申报截止不足 24 小时",
}

// Label is the kind's Chinese name.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }
