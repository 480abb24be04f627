/**
 * The change log of the Graph simulator, read by delta queries: a version per change of a user or
 * group (compacted to the latest per object), the version of each group's last property change, and
 * its member changes.
 */

/** The log of one kind of object (`u` users, `g` groups). */
export interface ChangeLog {
  versions: number[];
  ids: string[];
  last: Map<string, number>;
}

export class Changes {
  /** The version of the last change. */
  version = 0;
  /** Bumped by `expireDeltaLinks`: tokens of an older epoch are expired. */
  epoch = 0;
  readonly logs: Record<'u' | 'g', ChangeLog> = {
    u: { versions: [], ids: [], last: new Map() },
    g: { versions: [], ids: [], last: new Map() },
  };
  readonly groupPropsVersion = new Map<string, number>();
  readonly memberChanges = new Map<
    string,
    Map<string, { v: number; added: boolean; type: string }>
  >();

  record(kind: 'u' | 'g', id: string): void {
    const log = this.logs[kind];
    this.version++;
    log.versions.push(this.version);
    log.ids.push(id);
    log.last.set(id, this.version);
    if (log.versions.length > 4 * log.last.size + 1024) {
      // Compact: keep only the latest entry per object (tokens hold versions, not positions).
      const versions: number[] = [];
      const ids: string[] = [];
      log.versions.forEach((v, k) => {
        if (log.last.get(log.ids[k]!) === v) {
          versions.push(v);
          ids.push(log.ids[k]!);
        }
      });
      log.versions = versions;
      log.ids = ids;
    }
  }

  recordUser(id: string): void {
    this.record('u', id);
  }

  recordGroup(id: string): void {
    this.record('g', id);
    this.groupPropsVersion.set(id, this.version);
  }

  recordMember(groupId: string, memberId: string, added: boolean, type: string): void {
    this.record('g', groupId);
    let changes = this.memberChanges.get(groupId);
    if (!changes) this.memberChanges.set(groupId, (changes = new Map()));
    changes.set(memberId, { v: this.version, added, type });
  }
}
