// The tab title: the page's name, and in front of it the number of tickets
// with something new ("(3) Tickets · Ticketing"), so a person sees it from
// another tab. Pages that know the count set it; the app writes the title.
import { ref } from 'vue'

export const pageTitle = ref('Ticketing')
export const unreadCount = ref(0)

/** The title for a page name and an unread count. */
export function titleFor(page: string, unread: number): string {
  return `${unread > 0 ? `(${unread}) ` : ''}${page} · Ticketing`
}
