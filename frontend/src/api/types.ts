// The shapes the server answers with, taken from its OpenAPI document
// (schema.d.ts is generated from docs/openapi.json by openapi-typescript;
// `npm run build` regenerates it and CI fails when it drifts), plus the
// labels the UI shows for them.
import type { components } from './schema'

type Schemas = components['schemas']

export type Status = Schemas['Status']
export type AdminRole = Schemas['AdminRole']
export type Ticket = Schemas['Ticket']
export type Message = Schemas['Message']
export type TicketDetail = Schemas['TicketDetail']
export type TicketCounts = Schemas['TicketCounts']
export type SubjectEntry = Schemas['SubjectEntry']
export type Company = Schemas['Company']
export type Membership = Schemas['Membership']
export type User = Schemas['User']
export type Admin = Schemas['Admin']
/** A member of the team. Support agents get names and roles only: no email,
 * no active flag (they see active members only). */
export type TeamMember = Schemas['TeamMember']
export type UiSettings = Schemas['UiSettings']
export type FieldProblem = Schemas['FieldError']
export type UserLogin = Schemas['UserLogin']
export type AdminLogin = Schemas['AdminLogin']
export type ManagerAccount = Schemas['ManagerAccount']
export type Invitation = Schemas['Invitation']
export type InvitationFor = Schemas['InvitationFor']
export type Accepted = Schemas['Accepted']
export type NewManager = Schemas['NewManager']
export type NewTeamMember = Schemas['NewTeamMember']
export type NewSession = Schemas['NewSession']
export type Notifications = Schemas['Notifications']
export type UnsubscribeLink = Schemas['UnsubscribeLink']

/** What each email choice means, in the account page's words. */
export const CHOICE_LABELS: Record<string, string> = {
  agent_reply: 'Replies and status changes on the tickets I opened',
  all_company_tickets: 'Replies and status changes on every ticket of my companies',
  new_ticket: 'New tickets in the subjects I cover',
  tenant_message: 'Customer messages on tickets assigned to me (or, when unassigned, in my subjects)',
  assignment: 'A ticket is assigned to me',
  internal_note: 'Internal notes on tickets assigned to me',
  all_new_tickets: 'Every new ticket, whatever its subject',
}

/** One page of a keyset-paginated list. */
export type Page<T> = Omit<Schemas['Page_Ticket'], 'items'> & { items: T[] }

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

export const ROLE_LABELS: Record<AdminRole, string> = {
  platform_owner: 'Owner',
  platform_admin: 'Admin',
  platform_support: 'Support',
}
