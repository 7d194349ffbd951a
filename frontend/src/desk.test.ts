// The agent's-desk helpers: links in messages, drafts, shortcuts.
import { beforeEach, describe, expect, it } from 'vitest'
import { clearDrafts, draftKey, hasDrafts, loadDraft, saveDraft } from './drafts'
import { LINK_REL, segments } from './links'
import { isTyping, shortcutFor, stepIndex } from './shortcuts'
import { sessionEndedMessage } from './views/login'

describe('links in messages', () => {
  it('turns http(s) URLs into links and leaves the rest as text', () => {
    expect(segments('See https://example.com/a?b=1, then reply.')).toEqual([
      { text: 'See ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ', then reply.' },
    ])
    expect(segments('(http://x.example/path)')).toEqual([
      { text: '(' },
      { text: 'http://x.example/path', href: 'http://x.example/path' },
      { text: ')' },
    ])
  })

  it('never links other schemes, bare domains, emails or markup', () => {
    for (const body of ['javascript:alert(1)', 'mail me at a@b.example', 'example.com', 'ftp://x.example/f', '<a href="https://x.example">x</a>']) {
      const parts = segments(body)
      const linked = parts.filter((p) => p.href).map((p) => p.href)
      expect(linked.every((h) => h?.startsWith('https://') || h?.startsWith('http://')), body).toBe(true)
      expect(parts.map((p) => p.text).join('')).toBe(body)
    }
    expect(segments('javascript:alert(1)')).toEqual([{ text: 'javascript:alert(1)' }])
    expect(LINK_REL).toBe('noopener noreferrer nofollow')
  })
})

describe('drafts', () => {
  beforeEach(() => sessionStorage.clear())

  it('keeps a draft per ticket and kind, forgets an empty one, and clears a kind on sign-out', () => {
    const a = draftKey('admin', 7)
    const m = draftKey('user', 7, 3)
    expect(a).not.toBe(m)
    saveDraft(a, { text: 'Half a sentence', internal: true })
    saveDraft(m, { text: 'Mine', internal: false })
    expect(loadDraft(a)).toEqual({ text: 'Half a sentence', internal: true })
    expect(hasDrafts('admin')).toBe(true)
    saveDraft(a, { text: '   ', internal: false })
    expect(loadDraft(a)).toBeNull()
    expect(hasDrafts('admin')).toBe(false)
    clearDrafts('user')
    expect(loadDraft(m)).toBeNull()
  })

  it('says on the sign-in page that the draft is kept, when it is', () => {
    expect(sessionEndedMessage(true)).toBe('Your session ended; sign in to continue. Your draft is kept.')
    expect(sessionEndedMessage(false)).toBe('Your session ended; sign in to continue.')
  })
})

describe('keyboard shortcuts', () => {
  const key = (k: string, target: EventTarget | null = document.body, mods: Partial<KeyboardEvent> = {}) =>
    shortcutFor({ key: k, ctrlKey: false, metaKey: false, altKey: false, target, ...mods })

  it('maps j, k, r, / and ? outside fields', () => {
    expect(key('j')).toBe('next')
    expect(key('k')).toBe('previous')
    expect(key('r')).toBe('reply')
    expect(key('/')).toBe('search')
    expect(key('?')).toBe('help')
    expect(key('x')).toBeNull()
    expect(key('r', document.body, { ctrlKey: true })).toBeNull()
  })

  it('never fires while typing in a field', () => {
    for (const tag of ['input', 'textarea', 'select']) {
      const el = document.createElement(tag)
      document.body.append(el)
      expect(isTyping(el), tag).toBe(true)
      expect(key('j', el), tag).toBeNull()
    }
    expect(isTyping(document.createElement('a'))).toBe(false)
  })

  it('moves through a list without running off its ends', () => {
    expect(stepIndex(-1, 1, 3)).toBe(0)
    expect(stepIndex(-1, -1, 3)).toBe(2)
    expect(stepIndex(0, 1, 3)).toBe(1)
    expect(stepIndex(2, 1, 3)).toBe(2)
    expect(stepIndex(0, -1, 3)).toBe(0)
    expect(stepIndex(-1, 1, 0)).toBe(-1)
  })
})
