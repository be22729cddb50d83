// Join, part and quit events of a room, delivered in batches. Each of them goes to every member, so a
// room filling (a restart, a class logging in at 9:00) costs a write per member per login: filling a
// room of 500 meant 125,000 writes, and that was most of a room fill's CPU (BENCHMARKS.md, Performance
// II). Held for up to limits.presenceBatchMs, the events of many logins reach each member as one write.
// Nobody needs a join event within milliseconds; everybody needs them in order, so anything else said
// in the room first delivers what is held (flushRoom), and a member who joins while events are held
// gets only those that come after it, as it would have unbatched. The one who joined is told at once
// (lib/node.ts join): its own join event confirms the join, right after the room's history.
import type { Outgoing } from './protocol/outgoing.js';
import type { Session } from './session.js';

/** An event, and the session that has it already (its own join, sent at once), if any. */
type Event = { out: Outgoing; told?: string };

type Held = {
  events: Event[];
  /** Members that joined while events were held, and how many of them they are not to get. */
  late: Map<Session, number> | null;
};

export class PresenceBatches {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rooms: ReadonlyMap<string, Set<Session>>,
    private readonly delayMs: () => number,
    private readonly counted: (n: number) => void,
  ) {}

  /** A join, part or quit event for `room`: delivered now when batching is off, else within delayMs. */
  add(room: string, out: Outgoing, told?: string): void {
    if (!this.rooms.has(room)) return;
    const event: Event = told === undefined ? { out } : { out, told };
    const delay = this.delayMs();
    if (delay <= 0) return this.deliver(room, [event], null);
    let h = this.held.get(room);
    if (!h) this.held.set(room, (h = { events: [], late: null }));
    h.events.push(event);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flushAll(), delay);
      this.timer.unref(); // held events alone do not keep a stopping process up
    }
  }

  /** `s` joined `room`: it is not to get the events held from before. */
  joined(room: string, s: Session): void {
    const h = this.held.get(room);
    if (h) (h.late ??= new Map()).set(s, h.events.length);
  }

  /** Delivers what is held for `room`: before anything else reaches the room, and when the delay is over. */
  flushRoom(room: string): void {
    const h = this.held.get(room);
    if (!h) return;
    this.held.delete(room);
    this.deliver(room, h.events, h.late);
  }

  /** Event by event, so that every member's frames stay in order and share the bytes of each event. */
  private deliver(room: string, events: Event[], late: Map<Session, number> | null): void {
    const members = this.rooms.get(room);
    if (!members) return;
    let n = 0;
    for (let i = 0; i < events.length; i++) {
      const { out, told } = events[i]!;
      for (const s of members) {
        if (s.id === told) continue;
        const from = late?.get(s);
        if (from === undefined || i >= from) { s.send(out); n++; }
      }
    }
    this.counted(n);
  }

  flushAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const room of [...this.held.keys()]) this.flushRoom(room);
  }
}
