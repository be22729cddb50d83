// The single-node bus: publishing is delivering, synchronously, in order.
import type { Bus, BusMessage, BusNode, PresenceEntry } from './types.js';

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private node: BusNode | null = null;

  async start(node: BusNode): Promise<void> { this.node = node; }
  publish(msg: BusMessage): void { this.node?.deliver(msg); }
  async presence(): Promise<PresenceEntry[]> { return this.node ? this.node.localPresence() : []; }
  status(): string { return 'ok'; }
  async ping(): Promise<void> {}

  async close(): Promise<void> { this.node = null; }
}
