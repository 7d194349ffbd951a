// The platform team, companies and the subject catalogue, for agents.
import { fetchJson } from './client'
import type { Company, Page, SubjectEntry, TeamMember } from './types'

export async function team(): Promise<TeamMember[]> {
  return (await fetchJson<{ items: TeamMember[] }>('admin', '/platform-admin/team')).items
}

/** The newest companies, for the list's company filter (owners and admins only). */
export async function companies(): Promise<Company[]> {
  return (await fetchJson<Page<Company>>('admin', '/platform-admin/companies?limit=100')).items
}

export async function adminSubjects(): Promise<SubjectEntry[]> {
  return (await fetchJson<{ items: SubjectEntry[] }>('admin', '/platform-admin/subjects')).items
}

export async function saveCoverage(adminId: number, subjects: string[]): Promise<string[]> {
  const answer = await fetchJson<{ subjects: string[] }>('admin', `/platform-admin/team/coverage/${adminId}`, {
    method: 'PUT',
    body: { subjects },
  })
  return answer.subjects
}
