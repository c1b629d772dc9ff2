import type { ReportLocation } from '../core/report-archive';

/** Where the scan leaves each scan's report: a private bucket, one object per scan. */

export interface ArchivedObject {
  key: string;
  body: string;
  contentType: string;
  /** The name a download is saved under. */
  fileName: string;
}

export interface ReportArchive {
  /** Writes the object (encrypted at rest) and returns where it is; throws when it could not. */
  put(object: ArchivedObject): Promise<ReportLocation>;
}
