// A keyset-paginated list that polls its first page cheaply (If-None-Match)
// and appends older pages on request. Both ticket lists use it.
import { ref, type Ref } from 'vue'
import type { Answer } from '../api/client'
import type { Page } from '../api/types'
import { appendPage, errorText } from '../views/tickets'

export function usePagedList<T extends { id: number }>(
  fetchPage: (cursor: string | null, etag: string | null) => Promise<Answer<Page<T>>>,
) {
  const items = ref([]) as Ref<T[]>
  const nextCursor = ref<string | null>(null)
  /** Whether older pages are shown: polling then leaves the list alone. */
  const extraPages = ref(false)
  const error = ref<string | null>(null)
  const loading = ref(true)
  let etag: string | null = null

  /** Loads the first page; unchanged (304) leaves the list as it is. */
  async function load(reset = false) {
    try {
      const answer = await fetchPage(null, reset ? null : etag)
      if (!answer.notModified && answer.data) {
        items.value = answer.data.items
        nextCursor.value = answer.data.next_cursor
        etag = answer.etag
        extraPages.value = false
      }
      error.value = null
    } catch (e) {
      error.value = errorText(e)
    } finally {
      loading.value = false
    }
  }

  async function loadMore() {
    if (!nextCursor.value) return
    try {
      const answer = await fetchPage(nextCursor.value, null)
      if (answer.data) {
        items.value = appendPage(items.value, answer.data)
        nextCursor.value = answer.data.next_cursor
        extraPages.value = true
      }
    } catch (e) {
      error.value = errorText(e)
    }
  }

  return { items, nextCursor, extraPages, error, loading, load, loadMore }
}
