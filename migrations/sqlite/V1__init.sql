-- Phase-1 schema. Append-only: never edit a migration that has shipped.
-- Times are INTEGER microseconds since the Unix epoch, UTC; the API renders RFC 3339.

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  INTEGER NOT NULL
);

-- Tenant users (role `manager` in each company they belong to).
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash  TEXT    NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    token_version  INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE company_memberships (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT    NOT NULL DEFAULT 'manager' CHECK (role IN ('manager')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, company_id)
) WITHOUT ROWID;
CREATE INDEX idx_memberships_company ON company_memberships(company_id, user_id);

CREATE TABLE platform_admins (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role           TEXT    NOT NULL CHECK (role IN ('platform_owner', 'platform_admin', 'platform_support')),
    password_hash  TEXT    NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    token_version  INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    company_id          INTEGER NOT NULL REFERENCES companies(id),
    created_by_user_id  INTEGER NOT NULL REFERENCES users(id),
    type                TEXT    NOT NULL DEFAULT 'support' CHECK (type IN ('support', 'website_design')),
    subject             TEXT    NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
    sub_subject         TEXT             CHECK (sub_subject IS NULL OR length(sub_subject) BETWEEN 1 AND 100),
    status              TEXT    NOT NULL DEFAULT 'new' CHECK (status IN
                          ('new', 'triaged', 'in_progress', 'waiting_on_tenant', 'needs_engineering', 'solved', 'closed')),
    assigned_admin_id   INTEGER          REFERENCES platform_admins(id),
    last_activity_at    INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    closed_at           INTEGER,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- The spec's two ticket indexes.
CREATE INDEX idx_tickets_company_status ON tickets(company_id, status);
CREATE INDEX idx_tickets_last_activity ON tickets(last_activity_at);
-- What the lists need: every list is ordered by (last_activity_at DESC, id DESC);
-- the rowid (id) is the implicit last column of every index.
CREATE INDEX idx_tickets_company_activity ON tickets(company_id, last_activity_at);
CREATE INDEX idx_tickets_company_status_activity ON tickets(company_id, status, last_activity_at);
CREATE INDEX idx_tickets_status_activity ON tickets(status, last_activity_at);
CREATE INDEX idx_tickets_subject_activity ON tickets(subject, last_activity_at);
CREATE INDEX idx_tickets_assignee_activity ON tickets(assigned_admin_id, last_activity_at);

CREATE TABLE ticket_messages (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id),
    sender_type      TEXT    NOT NULL CHECK (sender_type IN ('tenant', 'agent', 'system')),
    sender_user_id   INTEGER          REFERENCES users(id),
    sender_admin_id  INTEGER          REFERENCES platform_admins(id),
    body             TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    created_at       INTEGER NOT NULL,
    CHECK (
        (sender_type = 'tenant' AND sender_user_id IS NOT NULL AND sender_admin_id IS NULL) OR
        (sender_type = 'agent'  AND sender_admin_id IS NOT NULL AND sender_user_id IS NULL) OR
        (sender_type = 'system' AND sender_user_id IS NULL)
    )
);
-- The spec's message index.
CREATE INDEX idx_ticket_messages_ticket_created ON ticket_messages(ticket_id, created_at);

CREATE TABLE ticket_coverage (
    id                 INTEGER PRIMARY KEY,
    platform_admin_id  INTEGER NOT NULL REFERENCES platform_admins(id),
    subject            TEXT    NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
    created_at         INTEGER NOT NULL
);
-- The spec's coverage index; unique, since a subject is covered once per agent.
CREATE UNIQUE INDEX idx_ticket_coverage_admin_subject ON ticket_coverage(platform_admin_id, subject);
CREATE INDEX idx_ticket_coverage_subject ON ticket_coverage(subject, platform_admin_id);

CREATE TABLE platform_audit_log (
    id           INTEGER PRIMARY KEY,
    action       TEXT    NOT NULL CHECK (action IN (
                   'ticket.create', 'ticket.message.create', 'ticket.status.update', 'ticket.assign',
                   'team.coverage.update', 'auth.login',
                   'company.create', 'user.create', 'user.disable', 'user.password.update',
                   'admin.create', 'admin.disable', 'admin.password.update')),
    actor_kind   TEXT    NOT NULL CHECK (actor_kind IN ('user', 'admin', 'cli')),
    actor_id     INTEGER,
    company_id   INTEGER REFERENCES companies(id),
    ticket_id    INTEGER REFERENCES tickets(id),
    detail       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    request_id   TEXT,
    client_addr  TEXT,
    created_at   INTEGER NOT NULL
);
-- Newest first is id DESC (ids grow with time); each filter has its own index.
CREATE INDEX idx_audit_action ON platform_audit_log(action);
CREATE INDEX idx_audit_ticket ON platform_audit_log(ticket_id);
CREATE INDEX idx_audit_company ON platform_audit_log(company_id);
CREATE INDEX idx_audit_actor ON platform_audit_log(actor_kind, actor_id);
CREATE INDEX idx_audit_created ON platform_audit_log(created_at);

-- Full-text search over a ticket's subject, sub-subject and every tenant or agent
-- message. One row per source; kept by triggers, so it commits with the write.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    ticket_id UNINDEXED,
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search(ticket_id, text)
    VALUES (NEW.id, NEW.subject || ' ' || coalesce(NEW.sub_subject, ''));
END;

CREATE TRIGGER ticket_messages_search_insert AFTER INSERT ON ticket_messages
WHEN NEW.sender_type <> 'system' BEGIN
    INSERT INTO ticket_search(ticket_id, text) VALUES (NEW.ticket_id, NEW.body);
END;
