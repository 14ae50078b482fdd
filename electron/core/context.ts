import type { DataKey } from './db/cipher';
import type { StationDatabase } from './db/database';
import type { Writer } from './db/writer';
import type { Journal } from './journal';
import type { StationIdentity } from './site/bootstrap';

/**
 * What every domain of the core that writes and journals is given: the station's database and
 * data folder, the one writer, the journal, who this station is, who is signed in, and the clock;
 * files of its own that hold personal data (roster files) are encrypted with `dataKey`.
 */
export type CoreContext = {
  db: StationDatabase;
  dataDir: string;
  dataKey: DataKey;
  writer: Writer;
  journal: Journal;
  identity: StationIdentity;
  operatorId: () => string;
  now: () => Date;
};
