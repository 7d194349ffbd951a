-- Email notifications: an outbox written in the event's transaction and
-- drained by the sender after commit, and each person's choices. Nothing is
-- written here while mail is off.

-- One email to one person: about one ticket (several events within the
-- coalescing window share a row) or, without a ticket, an invitation.
-- `payload` holds what the email says (JSON); it is emptied once the email
-- is sent or given up, so no message text or link lingers.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    recipient_kind  TEXT    NOT NULL CHECK (recipient_kind IN ('user', 'admin')),
    recipient_id    INTEGER NOT NULL,
    to_addr         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    ticket_id       INTEGER REFERENCES tickets(id),
    payload         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'dead', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    done_at         INTEGER
);
-- The one index an event's transaction writes: the waiting emails, by ticket
-- and person (for coalescing); the sender finds what is due through it too.
-- Emails leave it once sent or given up; the partial indexes of those states
-- are written by the sender only, off the request path.
CREATE INDEX idx_mail_outbox_pending ON mail_outbox(ticket_id, recipient_kind, recipient_id) WHERE state = 'pending';
CREATE INDEX idx_mail_outbox_sent ON mail_outbox(id) WHERE state = 'sent';
CREATE INDEX idx_mail_outbox_dead ON mail_outbox(id) WHERE state = 'dead';
CREATE INDEX idx_mail_outbox_skipped ON mail_outbox(id) WHERE state = 'skipped';

-- A person's choice per kind of email; a missing row is the kind's default.
CREATE TABLE notification_settings (
    account_kind  TEXT    NOT NULL CHECK (account_kind IN ('user', 'admin')),
    account_id    INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    PRIMARY KEY (account_kind, account_id, kind)
) WITHOUT ROWID;
