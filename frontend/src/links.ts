// Messages are plain text: the only markup the UI adds is a link for each
// http(s) URL (found by linkify-it, which knows where a URL ends before a
// closing bracket or a full stop). Text is never parsed as HTML.
import LinkifyIt from 'linkify-it'

const linkify = new LinkifyIt().set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false })
// Only web links: no mailto:, ftp: or protocol-relative ones.
linkify.add('mailto:', null).add('ftp:', null).add('//', null)

/** A run of a message's text, and the address when the run is a URL. */
export interface Segment {
  text: string
  href?: string
}

/** Splits a message into text and URLs, in order. */
export function segments(body: string): Segment[] {
  const matches = linkify.match(body) ?? []
  const out: Segment[] = []
  let at = 0
  for (const m of matches) {
    if (m.schema !== 'http:' && m.schema !== 'https:') continue
    if (m.index > at) out.push({ text: body.slice(at, m.index) })
    out.push({ text: m.raw, href: m.url })
    at = m.lastIndex
  }
  if (at < body.length) out.push({ text: body.slice(at) })
  return out
}

/** What every link in a message carries: a new tab that cannot reach back. */
export const LINK_REL = 'noopener noreferrer nofollow'
