// One polite live region for the whole app: new messages and status changes
// that arrive by polling are read out by screen readers.
import { ref } from 'vue'
import type { TicketDetail } from '../api/types'
import { STATUS_LABELS } from '../api/types'

export const liveMessage = ref('')

export function announce(text: string) {
  // Clearing first makes a repeated message be read again.
  liveMessage.value = ''
  setTimeout(() => {
    liveMessage.value = text
  }, 50)
}

/** What changed between two versions of a ticket, in words; '' when nothing. */
export function describeChanges(before: TicketDetail | null, after: TicketDetail): string {
  if (!before || before.ticket.id !== after.ticket.id) return ''
  const parts: string[] = []
  const known = new Set(before.messages.map((m) => m.id))
  const fresh = after.messages.filter((m) => !known.has(m.id) && m.sender_type !== 'system')
  if (fresh.length === 1) parts.push(`New message from ${fresh[0].sender_name ?? 'someone'}.`)
  else if (fresh.length > 1) parts.push(`${fresh.length} new messages.`)
  if (before.ticket.status !== after.ticket.status) parts.push(`Status is now ${STATUS_LABELS[after.ticket.status]}.`)
  if (before.ticket.assigned_admin_id !== after.ticket.assigned_admin_id) {
    parts.push(after.ticket.assigned_admin_name ? `Assigned to ${after.ticket.assigned_admin_name}.` : 'Unassigned.')
  }
  return parts.join(' ')
}
