-- Daily work: what each ticket is about (previews), who it waits on, what is
-- new for each person (read marks), and internal notes that tenants never
-- see. Append-only: never edit a migration that has shipped.
--
-- A ticket keeps, per audience (tenants; the platform team, who also see
-- internal notes), the id of the newest message that audience sees and a
-- preview of the newest message that is not a system note, written in the
-- same transaction as the message, so lists need no per-row query and no
-- scan of the thread.

ALTER TABLE ticket_messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0
    CHECK (internal IN (0, 1) AND (internal = 0 OR sender_type = 'agent'));

ALTER TABLE tickets ADD COLUMN waiting_on TEXT CHECK (waiting_on IN ('agent', 'tenant'));
ALTER TABLE tickets ADD COLUMN public_message_id INTEGER;
ALTER TABLE tickets ADD COLUMN public_preview TEXT;
ALTER TABLE tickets ADD COLUMN public_preview_at INTEGER;
ALTER TABLE tickets ADD COLUMN public_preview_sender TEXT CHECK (public_preview_sender IN ('tenant', 'agent'));
ALTER TABLE tickets ADD COLUMN staff_message_id INTEGER;
ALTER TABLE tickets ADD COLUMN staff_preview TEXT;
ALTER TABLE tickets ADD COLUMN staff_preview_at INTEGER;
ALTER TABLE tickets ADD COLUMN staff_preview_sender TEXT CHECK (staff_preview_sender IN ('tenant', 'agent'));
ALTER TABLE tickets ADD COLUMN staff_preview_internal INTEGER NOT NULL DEFAULT 0 CHECK (staff_preview_internal IN (0, 1));
-- The last change the platform team sees (internal notes included); `updated_at`
-- stays the last change a tenant sees.
ALTER TABLE tickets ADD COLUMN staff_updated_at INTEGER NOT NULL DEFAULT 0;

-- The existing threads: no internal notes yet, so both audiences see the same.
UPDATE tickets SET
    public_message_id = (SELECT max(m.id) FROM ticket_messages m WHERE m.ticket_id = tickets.id),
    staff_updated_at = updated_at;
UPDATE tickets SET (public_preview, public_preview_at, public_preview_sender) = (
    SELECT substr(trim(replace(replace(replace(m.body, char(13), ' '), char(10), ' '), char(9), ' ')), 1, 200),
           m.created_at, m.sender_type
    FROM ticket_messages m
    WHERE m.ticket_id = tickets.id AND m.sender_type <> 'system'
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1);
UPDATE tickets SET
    staff_message_id = public_message_id,
    staff_preview = public_preview,
    staff_preview_at = public_preview_at,
    staff_preview_sender = public_preview_sender,
    waiting_on = CASE
        WHEN status IN ('solved', 'closed') THEN NULL
        WHEN public_preview_sender = 'agent' THEN 'tenant'
        ELSE 'agent' END;

-- "Needs reply" queues walk this one in order of activity.
CREATE INDEX idx_tickets_waiting_activity ON tickets(waiting_on, last_activity_at);

-- Each person's read mark per ticket: the newest message they have seen.
CREATE TABLE read_marks (
    reader_kind  TEXT    NOT NULL CHECK (reader_kind IN ('user', 'admin')),
    reader_id    INTEGER NOT NULL,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    message_id   INTEGER NOT NULL,
    PRIMARY KEY (reader_kind, reader_id, ticket_id)
) WITHOUT ROWID;

-- Full-text search learns which rows are internal notes, so that a tenant's
-- search never matches one.
DROP TRIGGER ticket_messages_search_insert;
DROP TRIGGER tickets_search_insert;
CREATE VIRTUAL TABLE ticket_search_v2 USING fts5(
    ticket_id UNINDEXED,
    internal UNINDEXED,
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO ticket_search_v2(ticket_id, internal, text) SELECT ticket_id, 0, text FROM ticket_search;
DROP TABLE ticket_search;
ALTER TABLE ticket_search_v2 RENAME TO ticket_search;

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search(ticket_id, internal, text)
    VALUES (NEW.id, 0, NEW.subject || ' ' || coalesce(NEW.sub_subject, ''));
END;

CREATE TRIGGER ticket_messages_search_insert AFTER INSERT ON ticket_messages
WHEN NEW.sender_type <> 'system' BEGIN
    INSERT INTO ticket_search(ticket_id, internal, text) VALUES (NEW.ticket_id, NEW.internal, NEW.body);
END;
