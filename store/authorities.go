package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"biopilot"
	"biopilot/seal"
)

// Every organisation and every authority holds an SM2 key pair, its seal (电子签章),
// generated when it is first needed. The private key is stored only sealed with
// SM4-GCM under the master key from configuration (seal.MasterKey), which never
// enters the database.

// EnsureAuthority returns the authority of a role in a jurisdiction, creating it
// with a fresh SM2 key sealed under mk if there is none. An existing authority is
// returned as it is (its name is not changed). Concurrent calls create one
// authority: the later ones return the first one's.
func (db *DB) EnsureAuthority(ctx context.Context, role biopilot.Role, jurisdiction, name string, mk seal.MasterKey) (*biopilot.Authority, error) {
	if !role.IsAuthority() {
		return nil, biopilot.FieldErrorf("role", "「%s」不是主管部门的角色", role.Label())
	}
	jurisdiction = strings.TrimSpace(jurisdiction)
	if jurisdiction == "" {
		return nil, biopilot.FieldErrorf("jurisdiction", "请填写主管部门的辖区代码")
	}
	if a, err := db.Authority(ctx, role, jurisdiction); err == nil {
		return a, nil
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, biopilot.FieldErrorf("name", "请填写主管部门名称")
	}
	key, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	sealed, err := key.Seal(mk)
	if err != nil {
		return nil, err
	}
	_, err = db.q().exec(ctx, `INSERT INTO authorities
		(role, jurisdiction, name, sign_public_key, sign_private_key_enc, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (role, jurisdiction) DO NOTHING`,
		string(role), jurisdiction, strings.TrimSpace(name), key.PublicPEM(), sealed, ms(db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: create authority: %w", err)
	}
	return db.Authority(ctx, role, jurisdiction)
}

const authorityColumns = `id, role, jurisdiction, name, sign_public_key, sign_private_key_enc, created_at`

// Authority returns the authority of a role in a jurisdiction.
func (db *DB) Authority(ctx context.Context, role biopilot.Role, jurisdiction string) (*biopilot.Authority, error) {
	return scanAuthority(db.q().queryRow(ctx, `SELECT `+authorityColumns+
		` FROM authorities WHERE role = ? AND jurisdiction = ?`, string(role), jurisdiction))
}

// AuthorityByID returns an authority by id.
func (db *DB) AuthorityByID(ctx context.Context, id int64) (*biopilot.Authority, error) {
	return scanAuthority(db.q().queryRow(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE id = ?`, id))
}

// Authorities lists every authority, ordered by id (for publishing their public
// keys, against which exported packages are verified).
func (db *DB) Authorities(ctx context.Context) ([]*biopilot.Authority, error) {
	return queryAll(ctx, db.q(), "authorities", scanAuthority, `SELECT `+authorityColumns+` FROM authorities ORDER BY id`)
}

func scanAuthority(s scanner) (*biopilot.Authority, error) {
	var (
		a       biopilot.Authority
		role    string
		created int64
	)
	err := s.Scan(&a.ID, &role, &a.Jurisdiction, &a.Name, &a.SignPublicKey, &a.SignPrivateKeyEnc, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "主管部门不存在")
	} else if err != nil {
		return nil, fmt.Errorf("store: authority: %w", err)
	}
	a.Role, a.CreatedAt = biopilot.Role(role), fromMS(created)
	return &a, nil
}

// AuthoritySigningKey opens the private key of an authority with the master key.
// A wrong master key is EINVALID.
func (db *DB) AuthoritySigningKey(ctx context.Context, id int64, mk seal.MasterKey) (*seal.Key, error) {
	a, err := db.AuthorityByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return openSigningKey(mk, a.SignPrivateKeyEnc, a.SignPublicKey, a.Name)
}

// EnsureOrganisationKey returns the organisation with its seal, generating an SM2
// key pair sealed under mk if it has none yet. The key is set only where none is:
// of concurrent calls one key wins and every call returns that one, so nothing is
// ever signed with a key that is then replaced.
func (db *DB) EnsureOrganisationKey(ctx context.Context, orgID int64, mk seal.MasterKey) (*biopilot.Organisation, error) {
	o, err := db.Organisation(ctx, orgID)
	if err != nil || o.SignPublicKey != "" {
		return o, err
	}
	key, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	sealed, err := key.Seal(mk)
	if err != nil {
		return nil, err
	}
	// Not SetOrganisationKeys: that replaces a key another instance may have just
	// set and used.
	if _, err := db.q().exec(ctx, `UPDATE organisations SET sign_public_key = ?, sign_private_key_enc = ?
		WHERE id = ? AND (sign_public_key IS NULL OR sign_public_key = '')`,
		key.PublicPEM(), sealed, orgID); err != nil {
		return nil, fmt.Errorf("store: set organisation key: %w", err)
	}
	return db.Organisation(ctx, orgID)
}

// OrganisationSigningKey opens the private key of an organisation with the master
// key. An organisation without a key is ENOTFOUND (see EnsureOrganisationKey); a
// wrong master key is EINVALID.
func (db *DB) OrganisationSigningKey(ctx context.Context, orgID int64, mk seal.MasterKey) (*seal.Key, error) {
	o, err := db.Organisation(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if o.SignPublicKey == "" || len(o.SignPrivateKeyEnc) == 0 {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "单位「%s」尚未生成签章密钥", o.Name)
	}
	return openSigningKey(mk, o.SignPrivateKeyEnc, o.SignPublicKey, o.Name)
}

// openSigningKey opens a sealed private key and checks that it belongs to the
// stored public key.
func openSigningKey(mk seal.MasterKey, sealed []byte, publicPEM, holder string) (*seal.Key, error) {
	key, err := seal.OpenKey(mk, sealed)
	if err != nil {
		return nil, err
	}
	if key.PublicPEM() != publicPEM {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "「%s」的签章私钥与公钥不匹配", holder)
	}
	return key, nil
}
