// One ticket's thread, kept fresh: the first load, cheap polls with
// If-None-Match (a 304 changes nothing), and a spoken summary of what a
// poll brought. The manager's and the agent's ticket views both use it.
import { ref, watch, type Ref } from 'vue'
import type { Answer } from '../api/client'
import type { TicketDetail } from '../api/types'
import { errorText } from '../views/tickets'
import { announce, describeChanges } from './announce'

export function useTicketDetail(
  id: Ref<number | null>,
  fetchDetail: (id: number, etag: string | null) => Promise<Answer<TicketDetail>>,
  onChange: (detail: TicketDetail) => void = () => {},
) {
  const detail = ref<TicketDetail | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(true)
  let etag: string | null = null

  /** Takes a version of the ticket as current (also an answer to an action). */
  function adopt(next: TicketDetail, tag: string | null) {
    detail.value = next
    etag = tag
    onChange(next)
  }

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
