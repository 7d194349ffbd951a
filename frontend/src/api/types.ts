// The shapes the server answers with (see the Rust `db` module).

export type Status =
  | 'new'
  | 'triaged'
  | 'in_progress'
  | 'waiting_on_tenant'
  | 'needs_engineering'
  | 'solved'
  | 'closed'

export const STATUSES: Status[] = [
  'new',
  'triaged',
  'in_progress',
  'waiting_on_tenant',
  'needs_engineering',
  'solved',
  'closed',
]

export const STATUS_LABELS: Record<Status, string> = {
  new: 'New',
  triaged: 'Triaged',
  in_progress: 'In progress',
  waiting_on_tenant: 'Waiting on customer',
  needs_engineering: 'Needs engineering',
  solved: 'Solved',
  closed: 'Closed',
}

export type AdminRole = 'platform_owner' | 'platform_admin' | 'platform_support'

export const ROLE_LABELS: Record<AdminRole, string> = {
  platform_owner: 'Owner',
  platform_admin: 'Admin',
  platform_support: 'Support',
}

export interface Ticket {
  id: number
  company_id: number
  company_name: string
  created_by_user_id: number
  created_by_name: string
  type: string
  subject: string
  sub_subject: string | null
  status: Status
  assigned_admin_id: number | null
  assigned_admin_name: string | null
  last_activity_at: string
  created_at: string
  updated_at: string
  closed_at: string | null
}

export interface Message {
  id: number
  ticket_id: number
  sender_type: 'tenant' | 'agent' | 'system'
  sender_user_id: number | null
  sender_admin_id: number | null
  sender_name: string | null
  body: string
  created_at: string
}

export interface TicketDetail {
  ticket: Ticket
  messages: Message[]
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface SubjectEntry {
  name: string
  label: string
  sub_subjects: string[]
}

export interface Company {
  id: number
  name: string
}

export interface Membership extends Company {
  role: string
}

export interface User {
  id: number
  email: string
  name: string
}

export interface Admin {
  id: number
  email: string
  name: string
  role: AdminRole
}

/** A member of the team. Support agents get names and roles only: no
 * email, no active flag (they see active members only). */
export interface TeamMember {
  id: number
  name: string
  role: AdminRole
  email?: string
  active?: boolean
  coverage?: string[]
}

export interface UiSettings {
  poll_interval_secs: number
}

export interface FieldProblem {
  field: string
  code: string
  message: string
}
