-- Accounts in the product: companies that can be suspended and whose names
-- are unique, one-time invitation links, revoked tokens, and the audit
-- log's vocabulary for account changes. Append-only: never edit a migration
-- that has shipped.

-- A company's name is unique compared case-insensitively after trimming
-- (`name_key`). Names that already collide keep their name; their key gets
-- the id, so the unique index can be built and neither is lost.
ALTER TABLE companies ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE companies ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN name_key TEXT;
UPDATE companies SET updated_at = created_at, name_key = lower(trim(name));
UPDATE companies SET name_key = name_key || ' #' || id
WHERE id NOT IN (SELECT min(id) FROM companies GROUP BY name_key);
CREATE UNIQUE INDEX idx_companies_name_key ON companies(name_key);

-- One-time links that let a person set their password: only a hash of the
-- token is kept, each is used once, and a new one for the same account
-- replaces the old.
CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY,
    account_kind  TEXT    NOT NULL CHECK (account_kind IN ('user', 'admin')),
    account_id    INTEGER NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX idx_invitations_account ON invitations(account_kind, account_id);

-- Tokens signed out before they expire, by their id (`jti`); a row is
-- forgotten once its token would have expired anyway.
CREATE TABLE revoked_tokens (
    jti         TEXT    PRIMARY KEY,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_revoked_tokens_expiry ON revoked_tokens(expires_at);

-- The audit log learns the account actions (the phase-1 names stay valid
-- for the rows that have them). SQLite cannot change a CHECK in place: the
-- table is rebuilt with every row and index.
CREATE TABLE platform_audit_log_v4 (
    id           INTEGER PRIMARY KEY,
    action       TEXT    NOT NULL CHECK (action IN (
                   'ticket.create', 'ticket.message.create', 'ticket.status.update', 'ticket.assign',
                   'team.coverage.update', 'auth.login', 'auth.logout',
                   'company.create', 'company.update', 'user.create', 'user.update', 'admin.create', 'admin.update',
                   'account.invite', 'account.password_set', 'account.password_change',
                   'user.disable', 'user.password.update', 'admin.disable', 'admin.password.update')),
    actor_kind   TEXT    NOT NULL CHECK (actor_kind IN ('user', 'admin', 'cli')),
    actor_id     INTEGER,
    company_id   INTEGER REFERENCES companies(id),
    ticket_id    INTEGER REFERENCES tickets(id),
    detail       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    request_id   TEXT,
    client_addr  TEXT,
    created_at   INTEGER NOT NULL
);
INSERT INTO platform_audit_log_v4 SELECT * FROM platform_audit_log;
DROP TABLE platform_audit_log;
ALTER TABLE platform_audit_log_v4 RENAME TO platform_audit_log;
CREATE INDEX idx_audit_action ON platform_audit_log(action);
CREATE INDEX idx_audit_ticket ON platform_audit_log(ticket_id);
CREATE INDEX idx_audit_company ON platform_audit_log(company_id);
CREATE INDEX idx_audit_actor ON platform_audit_log(actor_kind, actor_id);
CREATE INDEX idx_audit_created ON platform_audit_log(created_at);
