// One ticket's thread, kept fresh: the first load, cheap polls with
// If-None-Match (a 304 changes nothing), a spoken summary of what a poll
// brought, and the person's read mark moved on when the thread is shown in
// a visible tab (never from a poll in a hidden one). The manager's and the
// agent's ticket views both use it.
import { onMounted, onUnmounted, ref, watch, type Ref } from 'vue'
import type { Answer } from '../api/client'
import type { TicketDetail } from '../api/types'
import { errorText } from '../views/tickets'
import { announce, describeChanges } from './announce'

export interface TicketDetailOptions {
  /** Called with each new version of the ticket. */
  onChange?: (detail: TicketDetail) => void
  /** Moves the person's read mark on to a message. */
  markRead?: (id: number, messageId: number) => Promise<void>
  /** Called once a read mark has moved (the lists refresh). */
  onRead?: () => void
}

export function useTicketDetail(
  id: Ref<number | null>,
  fetchDetail: (id: number, etag: string | null) => Promise<Answer<TicketDetail>>,
  options: TicketDetailOptions = {},
) {
  const detail = ref<TicketDetail | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(true)
  let etag: string | null = null

  /** Marks the shown thread read, when it is shown in a visible tab. */
  async function markShownRead() {
    const shown = detail.value
    const last = shown?.messages[shown.messages.length - 1]
    if (!shown || !last || !shown.ticket.unread || !options.markRead) return
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return
    try {
      await options.markRead(shown.ticket.id, last.id)
      if (detail.value?.ticket.id === shown.ticket.id) detail.value.ticket.unread = false
      options.onRead?.()
    } catch {
      // Not marked: it stays unread and is tried again when shown again.
    }
  }

  /** Takes a version of the ticket as current (also an answer to an action). */
  function adopt(next: TicketDetail, tag: string | null) {
    detail.value = next
    etag = tag
    options.onChange?.(next)
    void markShownRead()
  }

  const onVisible = () => void markShownRead()
  onMounted(() => document.addEventListener('visibilitychange', onVisible))
  onUnmounted(() => document.removeEventListener('visibilitychange', onVisible))

  /** Loads the ticket; `fresh` ignores the ETag (after an action or a switch). */
  async function load(fresh = false) {
    const wanted = id.value
    if (wanted === null) {
      detail.value = null
      loading.value = false
      return
    }
    try {
      const answer = await fetchDetail(wanted, fresh ? null : etag)
      if (!answer.notModified && answer.data && id.value === wanted) {
        const change = fresh ? '' : describeChanges(detail.value, answer.data)
        adopt(answer.data, answer.etag)
        if (change) announce(change)
      }
      error.value = null
    } catch (e) {
      error.value = errorText(e)
      if (fresh) detail.value = null
    } finally {
      loading.value = false
    }
  }

  watch(id, () => {
    etag = null
    void load(true)
  })

  return { detail, error, loading, load, adopt }
}
