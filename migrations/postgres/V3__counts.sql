-- Counts (see migrations/sqlite/V3__counts.sql). SQLite keeps tallies and
-- live read marks by trigger so that a count never scans; PostgreSQL counts
-- with its planner over these indexes (a company's tickets on one covering
-- index; the read marks by ticket). Append-only.

CREATE INDEX idx_tickets_company_counts ON tickets(company_id, status, waiting_on, assigned_admin_id);
CREATE INDEX idx_read_marks_ticket ON read_marks(ticket_id);
