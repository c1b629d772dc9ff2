import type { CoverageGap } from '../../core/model';

/** The outcome of one read: the data when it could be read completely, and the gaps otherwise. */
export interface Read<T> {
  data?: T;
  gaps: CoverageGap[];
}

/** Progress of a per-entity fan-out (access keys, secret policies, service-last-accessed jobs). */
export type OnItemsProgress = (done: number, total: number) => void;
