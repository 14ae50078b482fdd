import type { ArgsOf, ValueOf } from '../../api/contract';
import type { UploadHandlers } from '../../api/upload';
import type { UploadService } from './service';

type Impl = { [M in keyof UploadHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The upload part of the API, backed by the core's UploadService. */
export function uploadHandlers(upload: UploadService): Impl {
  return {
    'upload.status': async () => upload.status(),
    'upload.enroll': async (args) => upload.enroll(args),
    'upload.syncNow': async () => upload.syncNow(),
    'journal.verify': async () => upload.verifyJournal(),
    'results.positives': async ({ limit }) => upload.results.positives(limit),
    'retest.list': async ({ state }) => upload.results.retests(state ?? 'all'),
  };
}
