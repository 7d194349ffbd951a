// Keyboard shortcuts, for people who work through a queue all day:
// j/k move through the list, Enter opens (the focused row is a link), r
// goes to the reply box, / to search, ? lists the keys. None fires while
// typing in a field; Ctrl+Enter (sending) belongs to the reply box itself.

export type Shortcut = 'next' | 'previous' | 'reply' | 'search' | 'help'

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'j / k', what: 'Next / previous ticket in the list' },
  { keys: 'Enter', what: 'Open the ticket in focus' },
  { keys: 'r', what: 'Write a reply' },
  { keys: '/', what: 'Search' },
  { keys: 'Ctrl + Enter', what: 'Send (in the reply box)' },
  { keys: '?', what: 'Show these keys' },
]

const KEYS: Record<string, Shortcut> = { j: 'next', k: 'previous', r: 'reply', '/': 'search', '?': 'help' }

/** Whether the key lands in something the person types into. */
export function isTyping(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const el = target as HTMLElement
  if (el.isContentEditable) return true
  return el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null
}

/** The shortcut a key press means, if any. */
export function shortcutFor(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>): Shortcut | null {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return null
  return KEYS[event.key] ?? null
}

/** The row to focus after `current` when moving by `step` (clamped to the list). */
export function stepIndex(current: number, step: 1 | -1, length: number): number {
  if (length === 0) return -1
  if (current < 0) return step > 0 ? 0 : length - 1
  return Math.min(length - 1, Math.max(0, current + step))
}

/** What the page does for each shortcut: rows are `[data-row]` links, the
 * reply box is `#reply`, the search box `[data-search]`. */
export function runShortcut(shortcut: Shortcut, doc: Document, openHelp: () => void): boolean {
  switch (shortcut) {
    case 'next':
    case 'previous': {
      const rows = Array.from(doc.querySelectorAll<HTMLElement>('[data-row]'))
      const index = stepIndex(rows.indexOf(doc.activeElement as HTMLElement), shortcut === 'next' ? 1 : -1, rows.length)
      if (index < 0) return false
      rows[index].focus()
      rows[index].scrollIntoView({ block: 'nearest' })
      return true
    }
    case 'reply': {
      const box = doc.querySelector<HTMLElement>('#reply')
      if (!box || (box as HTMLTextAreaElement).disabled) return false
      box.focus()
      box.scrollIntoView({ block: 'nearest' })
      return true
    }
    case 'search': {
      const box = doc.querySelector<HTMLElement>('[data-search]')
      if (!box) return false
      // A search folded away (the agents' filters on a phone) unfolds first.
      const folded = box.closest('details')
      if (folded && !folded.open) folded.open = true
      box.focus()
      return true
    }
    case 'help':
      openHelp()
      return true
  }
}
