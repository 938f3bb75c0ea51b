package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"biopilot"
)

// CreateOrganisation inserts o and sets o.ID and o.CreatedAt. A duplicate USCC is
// ECONFLICT with a message saying the code is registered already.
//
// The USCC is stored trimmed and upper-cased; o.USCC is updated to match. A
// CreatedAt already set is kept (to the millisecond).
func (db *DB) CreateOrganisation(ctx context.Context, o *biopilot.Organisation) error {
	uscc := normUSCC(o.USCC)
	if uscc == "" {
		return biopilot.FieldErrorf("uscc", "请填写统一社会信用代码")
	}
	if strings.TrimSpace(o.Name) == "" {
		return biopilot.FieldErrorf("name", "请填写单位名称")
	}
	created := db.stamp(o.CreatedAt)
	var pub sql.NullString
	if o.SignPublicKey != "" {
		pub = sql.NullString{String: o.SignPublicKey, Valid: true}
	}
	var priv any
	if o.SignPrivateKeyEnc != nil {
		priv = o.SignPrivateKeyEnc
	}
	var id int64
	err := db.q().queryRow(ctx, `INSERT INTO organisations
		(name, uscc, kind, city_code, disabled, sign_public_key, sign_private_key_enc, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.Name, uscc, o.Kind, o.CityCode, boolInt(o.Disabled), pub, priv, ms(created)).Scan(&id)
	if isUniqueViolation(err) {
		e := biopilot.FieldErrorf("uscc", "统一社会信用代码 %s 已注册，请勿重复注册；如需加入该单位，请联系单位管理员。", uscc)
		e.Code = biopilot.ECONFLICT
		return e
	} else if err != nil {
		return fmt.Errorf("store: create organisation: %w", err)
	}
	o.ID, o.USCC, o.CreatedAt = id, uscc, created
	return nil
}

// Organisation returns an organisation by id.
func (db *DB) Organisation(ctx context.Context, id int64) (*biopilot.Organisation, error) {
	return db.organisationWhere(ctx, `id = ?`, id)
}

// OrganisationByUSCC returns an organisation by its code.
func (db *DB) OrganisationByUSCC(ctx context.Context, uscc string) (*biopilot.Organisation, error) {
	return db.organisationWhere(ctx, `uscc = ?`, normUSCC(uscc))
}

// SetOrganisationKeys stores an organisation's SM2 seal: the public key (PEM) and
// the private key encrypted with SM4.
func (db *DB) SetOrganisationKeys(ctx context.Context, orgID int64, publicKey string, privateKeyEnc []byte) error {
	res, err := db.q().exec(ctx, `UPDATE organisations SET sign_public_key = ?, sign_private_key_enc = ? WHERE id = ?`,
		publicKey, privateKeyEnc, orgID)
	return orgUpdated(res, err)
}

// SetOrganisationDisabled disables or enables an organisation.
func (db *DB) SetOrganisationDisabled(ctx context.Context, orgID int64, disabled bool) error {
	res, err := db.q().exec(ctx, `UPDATE organisations SET disabled = ? WHERE id = ?`, boolInt(disabled), orgID)
	return orgUpdated(res, err)
}

func orgUpdated(res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("store: update organisation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errOrgNotFound()
	}
	return nil
}

func errOrgNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "单位不存在") }

const organisationColumns = `id, name, uscc, kind, city_code, disabled, sign_public_key, sign_private_key_enc, created_at`

func (db *DB) organisationWhere(ctx context.Context, where string, args ...any) (*biopilot.Organisation, error) {
	var (
		o        biopilot.Organisation
		disabled int
		pub      sql.NullString
		priv     []byte
		created  int64
	)
	err := db.q().queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE `+where, args...).
		Scan(&o.ID, &o.Name, &o.USCC, &o.Kind, &o.CityCode, &disabled, &pub, &priv, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrgNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: organisation: %w", err)
	}
	o.Disabled = disabled != 0
	o.SignPublicKey = pub.String
	o.SignPrivateKeyEnc = priv
	o.CreatedAt = fromMS(created)
	return &o, nil
}

// normUSCC is the stored form of a unified social credit code.
func normUSCC(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
