-- Counts without scanning every ticket. Append-only: never edit a migration
-- that has shipped.
--
-- The counts endpoints answer on every poll, so they must not cost a pass
-- over all tickets. Two derived structures, kept by triggers in the same
-- transaction as the change they follow (like the search index):
--
-- 1. `ticket_tallies`: how many tickets there are per subject, status, who
--    they wait on and assignee. The platform's counts (the whole platform,
--    or a support agent's subjects and assigned tickets) add up these rows
--    instead of counting tickets; a few hundred rows, not the whole table.
-- 2. `read_marks.live`: the mark is up to date (at least the newest message
--    its reader's audience sees) on a ticket that is not solved or closed.
--    An open ticket is unread exactly when its reader has no live mark on
--    it, so "unread" is the open count minus the reader's live marks, and
--    only those are counted.

CREATE TABLE ticket_tallies (
    subject            TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    waiting_on         TEXT,
    assigned_admin_id  INTEGER,
    n                  INTEGER NOT NULL CHECK (n >= 0)
);
-- One row per key (`IS` matches NULLs; a UNIQUE index would not).
CREATE INDEX idx_ticket_tallies_key ON ticket_tallies(subject, status, waiting_on, assigned_admin_id);

INSERT INTO ticket_tallies(subject, status, waiting_on, assigned_admin_id, n)
SELECT subject, status, waiting_on, assigned_admin_id, count(*) FROM tickets GROUP BY 1, 2, 3, 4;

CREATE TRIGGER tickets_tally_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_tallies(subject, status, waiting_on, assigned_admin_id, n)
    SELECT NEW.subject, NEW.status, NEW.waiting_on, NEW.assigned_admin_id, 0
    WHERE NOT EXISTS (SELECT 1 FROM ticket_tallies WHERE subject = NEW.subject AND status = NEW.status
                      AND waiting_on IS NEW.waiting_on AND assigned_admin_id IS NEW.assigned_admin_id);
    UPDATE ticket_tallies SET n = n + 1 WHERE subject = NEW.subject AND status = NEW.status
        AND waiting_on IS NEW.waiting_on AND assigned_admin_id IS NEW.assigned_admin_id;
END;

CREATE TRIGGER tickets_tally_update AFTER UPDATE OF subject, status, waiting_on, assigned_admin_id ON tickets
WHEN OLD.subject IS NOT NEW.subject OR OLD.status IS NOT NEW.status
  OR OLD.waiting_on IS NOT NEW.waiting_on OR OLD.assigned_admin_id IS NOT NEW.assigned_admin_id BEGIN
    UPDATE ticket_tallies SET n = n - 1 WHERE subject = OLD.subject AND status = OLD.status
        AND waiting_on IS OLD.waiting_on AND assigned_admin_id IS OLD.assigned_admin_id;
    INSERT INTO ticket_tallies(subject, status, waiting_on, assigned_admin_id, n)
    SELECT NEW.subject, NEW.status, NEW.waiting_on, NEW.assigned_admin_id, 0
    WHERE NOT EXISTS (SELECT 1 FROM ticket_tallies WHERE subject = NEW.subject AND status = NEW.status
                      AND waiting_on IS NEW.waiting_on AND assigned_admin_id IS NEW.assigned_admin_id);
    UPDATE ticket_tallies SET n = n + 1 WHERE subject = NEW.subject AND status = NEW.status
        AND waiting_on IS NEW.waiting_on AND assigned_admin_id IS NEW.assigned_admin_id;
END;

CREATE TRIGGER tickets_tally_delete AFTER DELETE ON tickets BEGIN
    UPDATE ticket_tallies SET n = n - 1 WHERE subject = OLD.subject AND status = OLD.status
        AND waiting_on IS OLD.waiting_on AND assigned_admin_id IS OLD.assigned_admin_id;
END;

-- A company's counts (its managers', or the platform's company filter) walk
-- one covering index over that company's tickets.
CREATE INDEX idx_tickets_company_counts ON tickets(company_id, status, waiting_on, assigned_admin_id);

-- A read mark carries what the visibility rule and the counts' filters ask
-- of its ticket (company and subject never change; the assignee is kept in
-- step below), so a person's live marks are counted on one index, without
-- visiting their tickets.
ALTER TABLE read_marks ADD COLUMN live INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1));
ALTER TABLE read_marks ADD COLUMN company_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE read_marks ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE read_marks ADD COLUMN assigned_admin_id INTEGER;
UPDATE read_marks SET (live, company_id, subject, assigned_admin_id) = (
    SELECT t.status NOT IN ('solved', 'closed')
           AND read_marks.message_id >= coalesce(CASE read_marks.reader_kind
                 WHEN 'user' THEN t.public_message_id ELSE t.staff_message_id END, 0),
           t.company_id, t.subject, t.assigned_admin_id
    FROM tickets t WHERE t.id = read_marks.ticket_id);
CREATE INDEX idx_read_marks_ticket ON read_marks(ticket_id);
CREATE INDEX idx_read_marks_live ON read_marks(reader_kind, reader_id, company_id, subject, assigned_admin_id)
    WHERE live = 1;

-- A ticket's newest messages, status or assignee changed: its marks follow.
-- (A mark being set works out its own `live`; see the store.)
CREATE TRIGGER tickets_read_marks_follow
AFTER UPDATE OF status, public_message_id, staff_message_id, assigned_admin_id ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.public_message_id IS NOT NEW.public_message_id
  OR OLD.staff_message_id IS NOT NEW.staff_message_id OR OLD.assigned_admin_id IS NOT NEW.assigned_admin_id BEGIN
    UPDATE read_marks SET
        live = (NEW.status NOT IN ('solved', 'closed') AND message_id >= coalesce(
            CASE reader_kind WHEN 'user' THEN NEW.public_message_id ELSE NEW.staff_message_id END, 0)),
        assigned_admin_id = NEW.assigned_admin_id
    WHERE ticket_id = NEW.id;
END;
