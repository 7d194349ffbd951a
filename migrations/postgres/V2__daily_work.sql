-- Daily work: previews, who a ticket waits on, read marks, internal notes
-- (see migrations/sqlite/V2__daily_work.sql for the design). PostgreSQL
-- starts at this schema with no earlier data, so nothing is backfilled.
-- Append-only: never edit a migration that has shipped.

ALTER TABLE ticket_messages ADD COLUMN internal boolean NOT NULL DEFAULT false
    CHECK (NOT internal OR sender_type = 'agent');

ALTER TABLE tickets ADD COLUMN waiting_on text CHECK (waiting_on IN ('agent', 'tenant'));
ALTER TABLE tickets ADD COLUMN public_message_id bigint;
ALTER TABLE tickets ADD COLUMN public_preview text;
ALTER TABLE tickets ADD COLUMN public_preview_at bigint;
ALTER TABLE tickets ADD COLUMN public_preview_sender text CHECK (public_preview_sender IN ('tenant', 'agent'));
ALTER TABLE tickets ADD COLUMN staff_message_id bigint;
ALTER TABLE tickets ADD COLUMN staff_preview text;
ALTER TABLE tickets ADD COLUMN staff_preview_at bigint;
ALTER TABLE tickets ADD COLUMN staff_preview_sender text CHECK (staff_preview_sender IN ('tenant', 'agent'));
ALTER TABLE tickets ADD COLUMN staff_preview_internal boolean NOT NULL DEFAULT false;
ALTER TABLE tickets ADD COLUMN staff_updated_at bigint NOT NULL DEFAULT 0;

CREATE INDEX idx_tickets_waiting_activity ON tickets(waiting_on, last_activity_at, id);

CREATE TABLE read_marks (
    reader_kind  text   NOT NULL CHECK (reader_kind IN ('user', 'admin')),
    reader_id    bigint NOT NULL,
    ticket_id    bigint NOT NULL REFERENCES tickets(id),
    message_id   bigint NOT NULL,
    PRIMARY KEY (reader_kind, reader_id, ticket_id)
);

-- A tenant's search never matches an internal note.
ALTER TABLE ticket_search ADD COLUMN internal boolean NOT NULL DEFAULT false;
