// A list's counts, polled like the list (If-None-Match: a 304 changes
// nothing); their unread count goes to the tab title while the page is open.
import { onUnmounted, ref } from 'vue'
import type { Answer } from '../api/client'
import type { TicketCounts } from '../api/types'
import { unreadCount } from './title'

export function useCounts(fetchCounts: (etag: string | null) => Promise<Answer<TicketCounts>>) {
  const counts = ref<TicketCounts | null>(null)
  let etag: string | null = null

  async function load(fresh = false) {
    try {
      const answer = await fetchCounts(fresh ? null : etag)
      if (!answer.notModified && answer.data) {
        counts.value = answer.data
        etag = answer.etag
        unreadCount.value = answer.data.unread
      }
    } catch {
      // The list shows the error; the counts try again with the next poll.
    }
  }

  onUnmounted(() => {
    unreadCount.value = 0
  })

  return { counts, load }
}

/** How many tickets are in these statuses. */
export function inStatuses(counts: TicketCounts | null, statuses: readonly string[]): number {
  if (!counts) return 0
  return statuses.reduce((sum, s) => sum + (counts.by_status[s] ?? 0), 0)
}
