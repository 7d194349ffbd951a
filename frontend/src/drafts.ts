// A reply being typed is kept per ticket in sessionStorage (this tab only,
// gone when it closes), so a session that ends mid-sentence loses nothing:
// after signing in again the box shows it. Signing out on purpose forgets
// the signed-out kind's drafts.
import type { Kind } from './session'

export interface Draft {
  text: string
  /** An agent's internal note rather than a reply. */
  internal: boolean
}

const PREFIX = 'ticketing.draft.'

const store = (): Storage | null => globalThis.sessionStorage ?? null

/** The storage key of a ticket's draft, per kind of account (and company for managers). */
export function draftKey(kind: Kind, ticketId: number, companyId: number | null = null): string {
  return `${PREFIX}${kind}.${companyId ?? 0}.${ticketId}`
}

export function loadDraft(key: string): Draft | null {
  try {
    const raw = store()?.getItem(key)
    if (!raw) return null
    const value = JSON.parse(raw) as Partial<Draft>
    return typeof value.text === 'string' ? { text: value.text, internal: value.internal === true } : null
  } catch {
    return null
  }
}

/** Keeps a draft; an empty one is forgotten. */
export function saveDraft(key: string, draft: Draft) {
  try {
    if (draft.text.trim()) store()?.setItem(key, JSON.stringify(draft))
    else store()?.removeItem(key)
  } catch {
    // Storage full or refused: the draft simply is not kept.
  }
}

export function clearDraft(key: string) {
  store()?.removeItem(key)
}

function keysOf(kind: Kind): string[] {
  const s = store()
  if (!s) return []
  const keys: string[] = []
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i)
    if (key?.startsWith(`${PREFIX}${kind}.`)) keys.push(key)
  }
  return keys
}

/** Whether this tab keeps a draft for this kind of account. */
export function hasDrafts(kind: Kind): boolean {
  return keysOf(kind).length > 0
}

/** Forgets every draft of this kind (on signing out). */
export function clearDrafts(kind: Kind) {
  for (const key of keysOf(kind)) store()?.removeItem(key)
}
